package tui

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/kubetutor/kubetutor/i18n"
	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/runner/engine"
	"github.com/kubetutor/kubetutor/runner/evidence"
	"github.com/kubetutor/kubetutor/runner/flow"
	"github.com/kubetutor/kubetutor/runner/l10n"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/progress"
	"github.com/kubetutor/kubetutor/runner/render"
	"github.com/kubetutor/kubetutor/runner/step"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// fixture is a small lesson whose text does not change under the tests.
var fixture = fstest.MapFS{
	"demo/lesson.yaml": {Data: []byte(`order: 1
selector: app=demo
steps:
  - id: apply-config
    action:
      apply:
        files: [demo/configmap.yaml]
    checks:
      - exists: {kind: ConfigMap, name: demo}
  - id: start-pods
    action:
      apply:
        files: [demo/statefulset.yaml]
    checks:
      - podsReady: {names: [demo-0, demo-1, demo-2], inOrder: true}
  - id: scale
    action:
      scale: {statefulSet: demo, replicas: 5}
    checks:
      - podsReady: {names: [demo-3, demo-4]}
      - valuesSeen: {service: demo-read, query: SELECT @@server_id, include: ["103", "104"]}
`)},
	"demo/en.md": {Data: []byte(`# Run a small stateful demo

A StatefulSet gives each pod a stable name and its own storage. This demo shows both, one step at a time.

## Deploy <!-- section: deploy -->

First the configuration, then the pods.

### Apply the ConfigMap <!-- step: apply-config -->

The ConfigMap holds the settings every pod reads when it starts.

### Start the StatefulSet <!-- step: start-pods -->

The pods start one by one, in order: demo-0 first, then demo-1, then demo-2. Each waits until the one before it is Ready.

` + "```shell\nkubectl get pods -l app=demo --watch\n```" + `

## Scale <!-- section: scale -->

### Scale to five replicas <!-- step: scale -->

New pods get the next ordinals, demo-3 and demo-4, and their own claims.

## What next <!-- section: next -->

Read about StatefulSets in the Kubernetes documentation.
`)},
	"demo/ja.md": {Data: []byte(`# 小さなステートフルアプリケーションを動かす

StatefulSet は、Pod ごとに安定した名前と専用のストレージを与えます。このデモでは、その両方を一歩ずつ確かめます。

## デプロイする <!-- section: deploy -->

まず設定を、次に Pod を作ります。

### ConfigMap を適用する <!-- step: apply-config -->

ConfigMap には、各 Pod が起動時に読み込む設定が入っています。

### StatefulSet を起動する <!-- step: start-pods -->

Pod は順番に一つずつ起動します。まず demo-0、次に demo-1、最後に demo-2 です。それぞれ、一つ前の Pod が Ready になるまで待ちます。

` + "```shell\nkubectl get pods -l app=demo --watch\n```" + `

## スケールする <!-- section: scale -->

### レプリカを 5 つにする <!-- step: scale -->

新しい Pod には次の序数 demo-3 と demo-4 が付き、それぞれ専用のクレームを持ちます。

## 次のステップ <!-- section: next -->

Kubernetes のドキュメントで StatefulSet について読みましょう。
`)},
}

func loadFixture(t *testing.T) []*lesson.Lesson {
	t.Helper()
	all, probs, err := lesson.LoadAll(fixture, "fixture", step.Kinds())
	if err != nil || len(probs) > 0 {
		t.Fatalf("fixture: %v %v", err, probs)
	}
	return all
}

func catalog(t *testing.T) *l10n.Catalog {
	t.Helper()
	cat, err := l10n.LoadCatalog(i18n.FS)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// noCluster is a probe for a machine without kubeconfig.
func noCluster(context.Context) ClusterInfo { return ClusterInfo{Err: ErrNoKubeconfig} }

// newModel builds a model at w×h and runs its start-up commands.
func newModel(t *testing.T, all []*lesson.Lesson, start, lang string, w, h int) *Model {
	t.Helper()
	m := New(Options{Lessons: all, Start: start, Lang: lang, Catalog: catalog(t), Probe: noCluster, Width: w, Height: h})
	run(t, m, m.Init())
	send(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	return m
}

// send delivers msg and runs the commands it returns, like the program
// loop would, until none are left. It reports whether the model quit.
func send(t *testing.T, m *Model, msg tea.Msg) (quit bool) {
	t.Helper()
	_, cmd := m.Update(msg)
	return run(t, m, cmd)
}

func run(t *testing.T, m *Model, cmd tea.Cmd) (quit bool) {
	t.Helper()
	if cmd == nil {
		return false
	}
	switch msg := cmd().(type) {
	case nil:
	case tea.QuitMsg:
		return true
	case tea.BatchMsg:
		for _, c := range msg {
			if run(t, m, c) {
				quit = true
			}
		}
	default:
		// tea.Sequence's message type is unexported: a []tea.Cmd.
		if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeOf(tea.Cmd(nil)) {
			for i := 0; i < v.Len(); i++ {
				if run(t, m, v.Index(i).Interface().(tea.Cmd)) {
					return true
				}
			}
			return false
		}
		return send(t, m, msg)
	}
	return quit
}

// press turns a key name into a key press.
func press(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

func screen(m *Model) string { return ansi.Strip(m.View().Content) }

// golden compares got with testdata/<test>/<name>.golden (-update rewrites).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", strings.Split(t.Name(), "/")[0], name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (go test ./runner/tui -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

var sizes = [][2]int{{80, 24}, {120, 40}}

func checkScreen(t *testing.T, s string, w, h int) {
	t.Helper()
	lines := strings.Split(s, "\n")
	if len(lines) != h {
		t.Errorf("screen has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			t.Errorf("line %d is %d cells wide (> %d): %q", i+1, ansi.StringWidth(l), w, l)
		}
	}
}

// goldenScreens opens the fixture on lesson start ("" for the list) in
// both languages at every size, presses keys, checks the screen fits and
// compares it with its golden file; then, when set, runs after on the model.
func goldenScreens(t *testing.T, start string, keys []string, after func(*testing.T, *Model)) {
	t.Helper()
	all := loadFixture(t)
	for _, lang := range []string{"ja", "en"} {
		for _, sz := range sizes {
			name := fmt.Sprintf("%s_%dx%d", lang, sz[0], sz[1])
			t.Run(name, func(t *testing.T) {
				m := newModel(t, all, start, lang, sz[0], sz[1])
				for _, k := range keys {
					send(t, m, press(k))
				}
				s := screen(m)
				checkScreen(t, s, sz[0], sz[1])
				golden(t, name, s)
				if after != nil {
					after(t, m)
				}
			})
		}
	}
}

func TestListView(t *testing.T) { goldenScreens(t, "", nil, nil) }

// TestLessonView shows the Deploy section, with two steps.
func TestLessonView(t *testing.T) { goldenScreens(t, "demo", []string{"right"}, nil) }

func TestHelpOverlay(t *testing.T) {
	goldenScreens(t, "demo", []string{"?"}, func(t *testing.T, m *Model) {
		send(t, m, press("?"))
		if m.showHelp {
			t.Error("? did not close the help")
		}
	})
}

func TestRunWithoutEngineSaysSo(t *testing.T) {
	all := loadFixture(t)
	m := newModel(t, all, "demo", "en", 80, 24)
	send(t, m, press("right"))
	send(t, m, press("enter"))
	s := screen(m)
	if !strings.Contains(s, "steps stay locked") {
		t.Errorf("no notice after enter:\n%s", s)
	}
	if strings.Contains(s, "✓") {
		t.Errorf("a step looks done without an engine:\n%s", s)
	}
	if !strings.Contains(s, "Reading mode") {
		t.Errorf("no reading-mode status line:\n%s", s)
	}
}

func TestLanguageToggleKeepsPosition(t *testing.T) {
	all := loadFixture(t)
	m := newModel(t, all, "demo", "en", 80, 12)
	send(t, m, press("right"))
	for range 3 {
		send(t, m, press("down"))
	}
	before := m.lesson.vp.ScrollPercent()
	if before == 0 {
		t.Fatal("the section does not scroll at this size; make the fixture longer")
	}
	send(t, m, press("L"))
	if m.c.lang != "ja" || m.lesson.page != 1 {
		t.Fatalf("after L: lang %s page %d, want ja page 1", m.c.lang, m.lesson.page)
	}
	if !strings.Contains(screen(m), "デプロイする") {
		t.Errorf("the section is not shown in Japanese:\n%s", screen(m))
	}
	after := m.lesson.vp.ScrollPercent()
	if d := after - before; d > 0.35 || d < -0.35 || after == 0 {
		t.Errorf("scroll %.2f → %.2f: position not kept", before, after)
	}
	send(t, m, press("L"))
	if m.c.lang != "en" || m.lesson.page != 1 {
		t.Errorf("after L L: lang %s page %d", m.c.lang, m.lesson.page)
	}
}

func TestResize(t *testing.T) {
	all := loadFixture(t)
	m := newModel(t, all, "demo", "ja", 120, 40)
	send(t, m, press("right"))
	for _, sz := range [][2]int{{80, 24}, {50, 15}, {200, 60}, {120, 40}} {
		send(t, m, tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		checkScreen(t, screen(m), sz[0], sz[1])
		if m.lesson.page != 1 {
			t.Errorf("resize to %v changed the section", sz)
		}
	}
	// The help overlay and the list survive a resize too.
	send(t, m, press("?"))
	send(t, m, tea.WindowSizeMsg{Width: 60, Height: 20})
	checkScreen(t, screen(m), 60, 20)
	send(t, m, press("esc"))
	send(t, m, press("esc"))
	if m.state != stateList {
		t.Errorf("esc did not go back to the list")
	}
	send(t, m, tea.WindowSizeMsg{Width: 70, Height: 18})
	checkScreen(t, screen(m), 70, 18)
}

func TestQuit(t *testing.T) {
	all := loadFixture(t)
	for _, k := range []string{"q", "ctrl+c"} {
		m := newModel(t, all, "demo", "en", 80, 24)
		if !send(t, m, press(k)) {
			t.Errorf("%s did not quit", k)
		}
		if m.ctx.Err() == nil {
			t.Errorf("%s did not cancel the model's context", k)
		}
	}
}

func TestListOpensLesson(t *testing.T) {
	all := loadFixture(t)
	m := newModel(t, all, "", "en", 80, 24)
	send(t, m, press("enter"))
	if m.state != stateLesson || m.lesson == nil || m.lesson.l.ID != "demo" {
		t.Fatalf("enter did not open the lesson")
	}
	send(t, m, press("esc"))
	if m.state != stateList {
		t.Errorf("esc did not go back")
	}
}

// fakeRunner passes every step but the one it fails; it reports a check
// start and one observation for every step, like the engine.
type fakeRunner struct {
	fail   int
	ran    []int
	caught []int
	resets int
	// judge answers Judge; by default the stored progress is what the
	// cluster shows.
	judge   func(st progress.State) Judgement
	preview []string
	// watched are the steps watched, in order; byHand the commands a
	// watch announces (default: one kubectl line naming the step).
	watched []int
	byHand  func(i int) step.ByHand
}

// Watch emits what a watch emits before anyone acts — the commands, the
// first check started, one observation — and returns without a verdict
// (a fake cannot wait for the cluster; tests deliver verdicts directly).
func (f *fakeRunner) Watch(_ context.Context, l *lesson.Lesson, i int, obs engine.Observer) engine.StepResult {
	f.watched = append(f.watched, i)
	id := l.Spec.Steps[i].ID
	h := step.ByHand{Lines: []string{"kubectl -n tutor apply -f /home/learner/.cache/kubetutor/manifests/0b7f1bbecfb0/demo/" + id + ".yaml"}}
	if f.byHand != nil {
		h = f.byHand(i)
	}
	obs.Observe(engine.Event{Kind: engine.StepArmed, Step: id, StepIndex: i, Check: -1, ByHand: &h})
	obs.Observe(engine.Event{Kind: engine.CheckStarted, Step: id, StepIndex: i, Check: 0, Msg: step.Describe(l.Spec.Steps[i].Checks[0])})
	obs.Observe(engine.Event{Kind: engine.Progress, Step: id, StepIndex: i, Check: 0, Msg: step.M("TUIRaw", "Text", "demo-1: Init:1/2")})
	return engine.StepResult{ID: id, Index: i, Status: engine.Running}
}

func (f *fakeRunner) RunStep(_ context.Context, l *lesson.Lesson, i int, catchUp bool, obs engine.Observer) engine.StepResult {
	id := l.Spec.Steps[i].ID
	if catchUp {
		f.caught = append(f.caught, i)
	}
	f.ran = append(f.ran, i)
	obs.Observe(engine.Event{Kind: engine.CheckStarted, Step: id, StepIndex: i, Msg: step.M("TUIRaw", "Text", "demo-1 Ready")})
	obs.Observe(engine.Event{Kind: engine.Progress, Step: id, StepIndex: i, Msg: step.M("TUIRaw", "Text", "demo-1: Init:1/2")})
	if i == f.fail {
		return engine.StepResult{ID: id, Index: i, Status: engine.Failed, Duration: 90 * time.Second,
			Checks: []engine.CheckResult{{Desc: step.M("TUIRaw", "Text", "demo-1 Ready"), Status: engine.Failed,
				Failure: &step.Failure{Msg: step.M("TUIRaw", "Text", "mysql-1 not Ready"), Hint: step.M("TUIRaw", "Text", "kubectl describe pod demo-1"), TimedOut: true, After: 3 * time.Minute}}}}
	}
	return engine.StepResult{ID: id, Index: i, Status: engine.Passed, Duration: time.Duration(i+1) * 7 * time.Second}
}

func (f *fakeRunner) Judge(_ context.Context, l *lesson.Lesson, st progress.State) Judgement {
	if f.judge != nil {
		return f.judge(st)
	}
	ids := make([]string, len(l.Spec.Steps))
	for i, s := range l.Spec.Steps {
		ids[i] = s.ID
	}
	return Judgement{Progress: evidence.Progress{Reached: st.FirstUnfinished(ids) - 1}}
}

func (f *fakeRunner) Reset(context.Context, *lesson.Lesson) *engine.Aftermath {
	f.resets++
	return &engine.Aftermath{Deleted: []string{"configmaps/demo"}}
}
func (f *fakeRunner) Uncordon() *engine.Aftermath          { return nil }
func (f *fakeRunner) Preview(*lesson.Lesson, int) []string { return f.preview }
func (f *fakeRunner) Live(*lesson.Lesson) *Live            { return nil }

func TestRunnerSeam(t *testing.T) {
	all := loadFixture(t)
	m := New(Options{Lessons: all, Start: "demo", Lang: "en", Catalog: catalog(t), Width: 100, Height: 30,
		Runner: &fakeRunner{fail: 1},
		Probe: func(context.Context) ClusterInfo {
			return ClusterInfo{Context: "lab", Namespace: "default", Reachable: true}
		}})
	run(t, m, m.Init())
	send(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	if m.lesson.flow.Mode == flow.Reading {
		t.Fatal("reading mode with a runner and a reachable cluster")
	}
	send(t, m, press("right"))
	send(t, m, press("enter"))
	if st := m.lesson.flow.Steps[0]; st != flow.Passed {
		t.Errorf("step 1 is %s, want passed", st)
	}
	send(t, m, press("space"))
	if st := m.lesson.flow.Steps[1]; st != flow.Failed {
		t.Errorf("step 2 is %s, want failed", st)
	}
	s := screen(m)
	for _, want := range []string{"lab / default", "step 1/3", "✓ 1", "✗ 2", "mysql-1 not Ready"} {
		if !strings.Contains(s, want) {
			t.Errorf("screen lacks %q:\n%s", want, s)
		}
	}
}

// TestRealLessons opens every page of every embedded lesson in both
// languages: it renders and fits the screen.
func TestRealLessons(t *testing.T) {
	all, probs, err := lesson.LoadAll(lessons.FS, "lessons", step.Kinds())
	if err != nil || len(probs) > 0 {
		t.Fatalf("load: %v %v", err, probs)
	}
	for _, l := range all {
		for _, lang := range []string{"ja", "en"} {
			m := newModel(t, all, l.ID, lang, 80, 24)
			for p := 0; p < m.lesson.pages(); p++ {
				s := screen(m)
				checkScreen(t, s, 80, 24)
				if strings.Contains(s, "Rendering") || strings.Contains(s, "表示を準備") {
					t.Errorf("%s/%s page %d not rendered", l.ID, lang, p)
				}
				send(t, m, press("n"))
			}
		}
	}
}

func TestMouseWheelScrolls(t *testing.T) {
	all := loadFixture(t)
	m := newModel(t, all, "demo", "en", 80, 12)
	send(t, m, press("right"))
	before := m.lesson.vp.YOffset()
	send(t, m, tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if m.lesson.vp.YOffset() <= before {
		t.Errorf("wheel down: offset %d → %d", before, m.lesson.vp.YOffset())
	}
	send(t, m, tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	if m.lesson.vp.YOffset() != before {
		t.Errorf("wheel up: offset %d, want %d", m.lesson.vp.YOffset(), before)
	}
}

// TestNoColor: with NO_COLOR (Options.NoColor) the lesson text has no
// colour but keeps its formatting: headings are bold, not "## …".
func TestNoColor(t *testing.T) {
	all := loadFixture(t)
	for _, lang := range []string{"ja", "en"} {
		t.Run(lang, func(t *testing.T) {
			m := New(Options{Lessons: all, Start: "demo", Lang: lang, Catalog: catalog(t), Probe: noCluster, Width: 80, Height: 24, NoColor: true})
			run(t, m, m.Init())
			send(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
			send(t, m, press("right"))
			text, ok := m.c.rendered[m.lesson.shown]
			if !ok || m.lesson.shown.style != render.NoColor {
				t.Fatalf("page not rendered in the NoColor style (shown %+v)", m.lesson.shown)
			}
			heading := map[string]string{"ja": "■ デプロイする", "en": "■ Deploy"}[lang]
			if !strings.Contains(text, "\x1b[1m"+heading) {
				t.Errorf("the section heading is not bold:\n%q", text)
			}
			for _, sgr := range regexp.MustCompile(`\x1b\[([0-9;]*)m`).FindAllStringSubmatch(text, -1) {
				for _, p := range strings.Split(sgr[1], ";") {
					// 30–49, 58, 90–107 set colours (numbers after 38/48/58
					// are their arguments, and those already fail).
					if n, _ := strconv.Atoi(p); n >= 30 && n <= 49 || n >= 90 && n <= 107 || n == 58 {
						t.Errorf("colour %q in the lesson text:\n%q", sgr[0], text)
					}
				}
			}
			s := screen(m)
			if strings.Contains(s, "## ") || strings.Contains(s, "**") {
				t.Errorf("markdown markers on the screen:\n%s", s)
			}
			if !strings.Contains(s, heading) {
				t.Errorf("screen lacks %q:\n%s", heading, s)
			}
		})
	}
}
