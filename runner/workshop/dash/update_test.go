package dash

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"go.uber.org/goleak"

	"github.com/kubetutor/kubetutor/runner/workshop"
	"github.com/kubetutor/kubetutor/runner/workshop/workshoptest"
)

func fixture(t *testing.T) (*workshoptest.Fake, *Model) {
	t.Helper()
	f := workshoptest.New(workshoptest.Class())
	f.SetDetail(workshoptest.BenDetail())
	return f, newModel(t, f, f, "en", 100, 30)
}

func TestActions(t *testing.T) {
	for _, tc := range []struct {
		name string
		keys []string
		// calls are the actions the Fake saw; status is on the status line.
		calls  []string
		status string
	}{
		// ben is the second row; the picker starts at his next step (4).
		{"push one learner", []string{"down", "p", "enter", "y"}, []string{"push write-data ben"}, "✓ Pushed ben up to step 4 Write to the primary"},
		{"push everyone", []string{"down", "p", "down", "down", "down", "enter", "a"}, []string{"push drain-node *"}, "✓ Pushed every learner up to step 7 Drain a node"},
		{"push to the checkpoint", []string{"c", "down", "down", "enter", "p", "enter", "a"}, []string{"push apply-services *"}, "step 2 Create the Services"},
		{"push cancelled in the picker", []string{"p", "esc"}, nil, ""},
		{"push cancelled at the question", []string{"p", "enter", "n"}, nil, ""},
		{"reset", []string{"down", "r", "y"}, []string{"reset ben "}, "✓ Reset ben to the start"},
		{"reset cancelled", []string{"r", "n"}, nil, ""},
		{"deep check from the table", []string{"down", "d"}, []string{"check ben"}, "✓ Deep check of ben: 2 of 2 steps inside the pods hold"},
		{"deep check from the detail", []string{"down", "enter", "d"}, []string{"check ben"}, "✓ Deep check of ben"},
		{"push from the detail", []string{"down", "enter", "p", "enter", "y"}, []string{"push write-data ben"}, "✓ Pushed ben"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, m := fixture(t)
			keys(t, m, tc.keys...)
			if got := f.Calls(); !slices.Equal(got, tc.calls) {
				t.Errorf("calls %q, want %q", got, tc.calls)
			}
			if got := screen(m); !strings.Contains(got, tc.status) {
				t.Errorf("screen lacks %q:\n%s", tc.status, got)
			}
		})
	}
}

func TestActionFails(t *testing.T) {
	f, m := fixture(t)
	f.Fail(errors.New("namespace k8s-0612-ben is terminating"))
	keys(t, m, "down", "r", "y")
	if got := screen(m); !strings.Contains(got, "✗ Reset of ben failed: namespace k8s-0612-ben is terminating") {
		t.Errorf("no failure line:\n%s", got)
	}
}

func TestDeepCheckShowsVerifiedSteps(t *testing.T) {
	_, m := fixture(t)
	keys(t, m, "down", "d")
	s := screen(m)
	if m.view != viewDetail || strings.Count(s, "verified by a deep check") != 2 || strings.Contains(s, "needs a deep check") {
		t.Errorf("detail after a deep check:\n%s", s)
	}
	// A fresh detail from the Source keeps the verdict.
	send(t, m, snapshotMsg(workshoptest.Class()))
	if s := screen(m); strings.Count(s, "verified by a deep check") != 2 {
		t.Errorf("after an update:\n%s", s)
	}
}

func TestReadOnly(t *testing.T) {
	f := workshoptest.New(workshoptest.Class())
	m := newModel(t, f, nil, "en", 100, 30)
	for _, k := range []string{"p", "r", "d"} {
		keys(t, m, k)
		if got := screen(m); !strings.Contains(got, "read-only") || m.picker != nil || m.ask != nil {
			t.Errorf("%s on a read-only dashboard:\n%s", k, got)
		}
	}
}

// One action at a time: a second one waits, and quitting asks first.
func TestBusy(t *testing.T) {
	f, m := fixture(t)
	_, cmd := m.Update(press("d")) // the deep check runs in cmd; not run yet
	if cmd == nil || m.busy == "" || !strings.Contains(screen(m), "⟳ Deep check of farah…") {
		t.Fatalf("no running action:\n%s", screen(m))
	}
	keys(t, m, "r")
	if got := screen(m); !strings.Contains(got, "One action at a time") || m.ask != nil {
		t.Errorf("second action:\n%s", got)
	}
	if keys(t, m, "q") || !strings.Contains(screen(m), "Quitting cancels it") {
		t.Fatalf("q while busy did not ask:\n%s", screen(m))
	}
	keys(t, m, "n")
	run(t, m, cmd)
	if got := f.Calls(); !slices.Equal(got, []string{"check farah"}) || m.busy != "" {
		t.Errorf("calls %q, busy %q", got, m.busy)
	}
	if !keys(t, m, "q") {
		t.Error("q did not quit once idle")
	}
}

// Updates arrive through a re-armed command; the selection follows the
// learner when rows move, and the detail follows the Source.
func TestUpdates(t *testing.T) {
	f := workshoptest.New(workshoptest.Class())
	m := newModel(t, f, f, "en", 100, 30)
	m.loaded = false
	// Init's subscription (the clock is off in tests).
	var sub tea.Msg
	for _, c := range m.Init()().(tea.BatchMsg) {
		if msg, ok := c().(subscribedMsg); ok {
			sub = msg
		}
	}
	_, wait := m.Update(sub)
	keys(t, m, "down", "down", "down") // emre, not started
	if l, _ := m.table.selected(); l.Name != "emre" {
		t.Fatalf("selected %q", l.Name)
	}
	f.Update("emre", func(l *workshop.Learner) {
		l.State, l.StepIndex, l.Step, l.Since = workshop.StateFailing, 1, "apply-configmap", workshoptest.Clock
	})
	msg := wait()
	if _, ok := msg.(snapshotMsg); !ok {
		t.Fatalf("wait returned %T", msg)
	}
	_, again := m.Update(msg)
	if again == nil {
		t.Fatal("the wait was not re-armed")
	}
	if l, _ := m.table.selected(); l.Name != "emre" || m.table.cursor != 0 {
		t.Errorf("selected %q at row %d, want emre on top", l.Name, m.table.cursor)
	}
	if s := screen(m); !strings.Contains(s, "▸ emre     1 Apply the ConfigMap") {
		t.Errorf("screen:\n%s", s)
	}
}

func TestHideNamesHidesEverywhere(t *testing.T) {
	_, m := fixture(t)
	keys(t, m, "h", "down", "enter")
	s := screen(m)
	for _, name := range []string{"ben", "farah", "k8s-0612"} {
		if strings.Contains(s, name) {
			t.Errorf("%q shows with names hidden:\n%s", name, s)
		}
	}
	if !strings.Contains(s, "learner 02") {
		t.Errorf("no pseudonym:\n%s", s)
	}
	keys(t, m, "r")
	if !strings.Contains(screen(m), "Reset learner 02 to the start?") {
		t.Errorf("question names the learner:\n%s", screen(m))
	}
}

func TestScrollsLongClass(t *testing.T) {
	s := workshoptest.Class()
	for i := 0; i < 30; i++ {
		s.Learners = append(s.Learners, workshop.Learner{Name: "x" + string(rune('a'+i%26)) + string(rune('a'+i/26)), State: workshop.StateWorking, StepIndex: 10})
	}
	f := workshoptest.New(s)
	m := newModel(t, f, f, "en", 80, 24)
	keys(t, m, "G")
	got := screen(m)
	checkScreen(t, got, 80, 24)
	if !strings.Contains(got, "▸ xdb") || !strings.Contains(got, "28–42 of 42") {
		t.Errorf("end of a long class:\n%s", got)
	}
}

func TestHistogramGroupsSteps(t *testing.T) {
	_, m := fixture(t)
	h := ansi.Strip(histogram(m.c, workshoptest.Class(), 0, 30))
	for _, l := range strings.Split(h, "\n") {
		if w := len([]rune(l)); w > 30 {
			t.Errorf("%d wide: %q", w, l)
		}
	}
	if !strings.Contains(h, "○  2  4  6  8 10") {
		t.Errorf("not grouped by two:\n%s", h)
	}
}

func TestAge(t *testing.T) {
	_, m := fixture(t)
	for d, want := range map[time.Duration]string{
		0: "0s", 40 * time.Second: "40s", 6*time.Minute + 12*time.Second: "6m12s",
		75 * time.Minute: "1h15m", 50 * time.Hour: "2d02h", -time.Second: "0s",
	} {
		if got := m.c.age(d); got != want {
			t.Errorf("age(%v) = %q, want %q", d, got, want)
		}
	}
}

// Run is the whole program: keys from in, the screen to out; quitting ends
// the subscription to the updates (the clock's last tick may still be
// sleeping: Bubble Tea cannot cancel a tea.Tick).
func TestRun(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent(),
		goleak.IgnoreTopFunction("charm.land/bubbletea/v2.Tick.func1"),
		goleak.IgnoreAnyFunction("charm.land/bubbletea/v2.(*Program).execBatchMsg"))
	f := workshoptest.New(workshoptest.Class())
	var out bytes.Buffer
	if err := Run(t.Context(), strings.NewReader("q"), &out, f, f, Options{Lang: "en"}); err != nil {
		t.Fatal(err)
	}
}
