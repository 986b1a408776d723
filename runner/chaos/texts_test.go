package chaos

import (
	"strings"
	"testing"

	"github.com/kubetutor/kubetutor/i18n"
	"github.com/kubetutor/kubetutor/runner/l10n"
)

var testSteps = []string{"apply-configmap", "apply-services", "apply-statefulset", "replication-running", "write-data",
	"read-loop", "break-probe", "restore-probe", "delete-pod", "drain-node", "uncordon-node", "scale-up"}

func translator(t *testing.T, lang string) *l10n.Translator {
	t.Helper()
	cat, err := l10n.LoadCatalog(i18n.FS)
	if err != nil {
		t.Fatal(err)
	}
	return cat.Translator(lang)
}

// screen builds a TUI screen the way the TUI lays it out: the lesson's
// text (with step headings of its own), the rule, the step panel, panes.
func screen(tr *l10n.Translator, panel ...string) string {
	text := []string{
		" Run a Replicated Stateful Application                                section 5/7",
		"  ✓ 9 Delete a pod    │ ▶ " + tr.T("StepHeading", map[string]any{"N": 10, "Total": 12, "Title": "Drain a node"}),
		"                      │ ▶ " + tr.T("StepHeading", map[string]any{"N": 11, "Total": 12, "Title": "Uncordon the node"}),
		strings.Repeat("─", 120),
	}
	panes := []string{"pods app=mysql                 │events", " mysql-0 2/2 Running          │ no events yet", " ● lab / chaos-1    step 9/12"}
	return strings.Join(append(append(text, panel...), panes...), "\n")
}

func TestRead(t *testing.T) {
	for _, lang := range l10n.Supported {
		tr := translator(t, lang)
		tx := NewTexts(tr, testSteps)
		head := func(i int, title string) string {
			return tr.T("TUIStepHead", map[string]any{"N": i + 1, "Total": len(testSteps), "Title": title})
		}
		tests := []struct {
			name   string
			screen string
			want   Screen
		}{
			{"resume prompt", screen(tr,
				" ? "+tr.T("TUIResumeAsk", map[string]any{"N": 10, "Total": 12, "Title": "Drain a node"}),
				"   "+tr.T("TUIResumeKeys", nil)),
				Screen{Resume: 9, Step: -1}},
			{"resume prompt, title cut short", screen(tr,
				" ? "+tr.T("TUIResumeAsk", map[string]any{"N": 3, "Total": 12, "Title": "Start the Statef…"})),
				Screen{Resume: 2, Step: -1}},
			{"every step done", screen(tr, " ? "+tr.T("TUIResumeDone", nil)), Screen{Resume: 12, Step: -1}},
			{"idle", screen(tr, " ▶ "+head(0, "Apply the ConfigMap")+" · "+tr.T("TUIPressEnter", nil)),
				Screen{Resume: -1, Step: 0, Idle: true, Armed: true}},
			{"idle, hands-on, armed", screen(tr, " ▶ "+head(1, "Services")+" · "+tr.T("TUIHandsOn", nil),
				"   $ kubectl -n chaos-1 apply -f services.yaml",
				"   "+tr.T("TUIExpected", map[string]any{"What": "Service mysql exists", "N": 1, "Of": 2}),
				"   "+tr.T("TUISeenNothing", nil)),
				Screen{Resume: -1, Step: 1, Idle: true, Armed: true}},
			{"idle, hands-on, still arming", screen(tr, " ▶ "+head(1, "Services")+" · "+tr.T("TUIHandsOn", nil),
				"   "+tr.T("TUIExpected", map[string]any{"What": "Service mysql exists", "N": 1, "Of": 2}),
				"   "+tr.T("TUISeenNothing", nil)),
				Screen{Resume: -1, Step: 1, Idle: true}},
			{"running, not step 1 of step 10", screen(tr, " ⟳ "+head(9, "Drain a node")+" · 3s",
				"   "+tr.T("TUIAwaiting", map[string]any{"What": "mysql-2 Ready"})),
				Screen{Resume: -1, Step: 9}},
			{"catching up", screen(tr, " ⟳ "+head(10, "Uncordon")+" · "+tr.T("TUICatchingUp", map[string]any{"Target": 12})+" · 1s"),
				Screen{Resume: -1, Step: 10, CatchingUp: true}},
			{"failed", screen(tr, " ✗ "+head(11, "Scale up")+" · "+tr.T("TUIRetry", nil)),
				Screen{Resume: -1, Step: 11, Failed: true}},
			{"summary", " " + tr.T("TUISummaryTitle", nil) + "\n ✓ 1 Apply\n" + strings.Repeat("─", 80) + "\n ✓ " + tr.T("TUIAllDone", map[string]any{"Done": 12}),
				Screen{Resume: -1, Step: -1, Summary: true}},
			{"summary closed", screen(tr, " ✓ "+tr.T("TUIAllDone", map[string]any{"Done": 12})),
				Screen{Resume: -1, Step: -1, Summary: true}},
			{"nothing yet", tr.T("TUIRendering", nil), Screen{Resume: -1, Step: -1}},
		}
		for _, tt := range tests {
			t.Run(lang+"/"+tt.name, func(t *testing.T) {
				if got := tx.Read(tt.screen); got != tt.want {
					t.Errorf("Read = %+v, want %+v\n%s", got, tt.want, tt.screen)
				}
			})
		}
	}
}

func TestRunStep(t *testing.T) {
	tr := translator(t, "en")
	tx := NewTexts(tr, testSteps)
	line := func(i int) string {
		return tr.T("TextStep", map[string]any{"N": i + 1, "Of": len(testSteps), "ID": testSteps[i]})
	}
	tests := []struct {
		name, line string
		want       int
	}{
		{"first", line(0), 0},
		{"drain", line(9) + "\r", 9},
		{"step 1 is not step 10", line(9), 9},
		{"an action line", " • cordon node lab-worker-1", -1},
		{"a skipped step", " – apply-configmap: " + tr.T("StatusSkipped", map[string]any{"Reason": "done"}), -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tx.RunStep(tt.line); got != tt.want {
				t.Errorf("RunStep(%q) = %d, want %d", tt.line, got, tt.want)
			}
		})
	}
}

func TestUncordonedTexts(t *testing.T) {
	tr := translator(t, "en")
	tx := NewTexts(tr, testSteps)
	nodes := []string{"lab-worker-1", "lab-worker-2"}
	if got := tx.tuiUncordoned(nodes); !strings.Contains(got, "lab-worker-1, lab-worker-2") {
		t.Errorf("TUI notice %q does not name the nodes as the TUI joins them", got)
	}
	if got := tx.runUncordoned(nodes, "ns/mysql"); !strings.Contains(got, "lab-worker-1, lab-worker-2") || !strings.Contains(got, "ns/mysql") {
		t.Errorf("preflight line %q does not name the nodes and the mark", got)
	}
}
