package tui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/runner/engine"
	"github.com/kubetutor/kubetutor/runner/evidence"
	"github.com/kubetutor/kubetutor/runner/flow"
	"github.com/kubetutor/kubetutor/runner/progress"
	"github.com/kubetutor/kubetutor/runner/step"
)

// clock is the fixed time of the step view tests.
var clock = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// memStore is an in-memory ProgressStore.
type memStore struct{ m map[string]progress.State }

func (s *memStore) Load(id string) (progress.State, error) {
	st, ok := s.m[id]
	if !ok {
		st = progress.State{Lesson: id, Steps: map[string]progress.StepRecord{}}
	}
	return st, nil
}
func (s *memStore) Save(id string, st progress.State) error { s.m[id] = st; return nil }

func reachable(context.Context) ClusterInfo {
	return ClusterInfo{Context: "lab", Namespace: "tutor", Reachable: true}
}

// liveModel opens the demo lesson on a fake cluster.
func liveModel(t *testing.T, r *fakeRunner, store *memStore, lang string, w, h int) *Model {
	t.Helper()
	if store == nil {
		store = &memStore{m: map[string]progress.State{}}
	}
	m := New(Options{Lessons: loadFixture(t), Start: "demo", Lang: lang, Catalog: catalog(t), Width: w, Height: h,
		Runner: r, Progress: store, Probe: reachable, Now: func() time.Time { return clock }})
	run(t, m, m.Init())
	send(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	return m
}

func pod(name, node, phase string, ready bool, initDone int, age time.Duration) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(clock.Add(-age))},
		Spec: corev1.PodSpec{NodeName: node, InitContainers: []corev1.Container{{Name: "init-mysql"}, {Name: "clone-mysql"}},
			Containers: []corev1.Container{{Name: "mysql"}, {Name: "xtrabackup"}}},
		Status: corev1.PodStatus{Phase: corev1.PodPhase(phase)}}
	if initDone < 2 {
		for i := 0; i < 2; i++ {
			cs := corev1.ContainerStatus{Name: p.Spec.InitContainers[i].Name}
			if i < initDone {
				cs.State.Terminated = &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed"}
			} else if i == initDone {
				cs.State.Running = &corev1.ContainerStateRunning{}
			} else {
				cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: "PodInitializing"}
			}
			p.Status.InitContainerStatuses = append(p.Status.InitContainerStatuses, cs)
		}
		return p
	}
	for _, c := range p.Spec.Containers {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Ready: ready,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}})
	}
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}
	return p
}

// stepViews puts the model in each state the golden files show.
var stepViews = map[string]func(t *testing.T, lang string, w, h int) *Model{
	"locked": func(t *testing.T, lang string, w, h int) *Model {
		m := liveModel(t, &fakeRunner{fail: -1, preview: []string{"ConfigMap demo"}}, nil, lang, w, h)
		send(t, m, press("right"))
		send(t, m, press("right")) // the Scale page: step 3 is locked
		return m
	},
	"running": func(t *testing.T, lang string, w, h int) *Model {
		m := liveModel(t, &fakeRunner{fail: -1}, nil, lang, w, h)
		send(t, m, press("enter")) // step 1 passes
		l := m.lesson
		l.next(flow.Run{}) // step 2 starts; its command is not run
		send(t, m, stepEventMsg{id: l.runID, ev: engine.Event{Kind: engine.CheckStarted, StepIndex: 1, Msg: step.M("TUIRaw", "Text", "demo-0, demo-1, demo-2 Ready, in order")}})
		send(t, m, stepEventMsg{id: l.runID, ev: engine.Event{Kind: engine.Progress, StepIndex: 1, Msg: step.M("TUIRaw", "Text", "demo-1: Init:1/2")}})
		l.running.started, l.running.since = clock.Add(-42*time.Second), clock.Add(-23*time.Second)
		send(t, m, liveMsg{msg: podsMsg{pods: []*corev1.Pod{
			pod("demo-0", "lab-worker-1", "Running", true, 2, 95*time.Second),
			pod("demo-1", "lab-worker-2", "Pending", false, 1, 30*time.Second),
		}}})
		send(t, m, liveMsg{msg: podsMsg{pods: []*corev1.Pod{
			pod("demo-0", "lab-worker-1", "Running", true, 2, 95*time.Second),
			pod("demo-1", "lab-worker-2", "Pending", false, 1, 30*time.Second),
			pod("demo-2", "", "Pending", false, 0, 1*time.Second),
		}}})
		for i, v := range []string{"100", "101", "100", "", "101", "100"} {
			at := clock.Add(time.Duration(i-6) * time.Second)
			if v == "" {
				send(t, m, liveMsg{msg: readMsg{at: at, err: fmt.Errorf("service \"demo-read\" has no ready endpoint")}})
				continue
			}
			send(t, m, liveMsg{msg: readMsg{at: at, value: v, pod: "demo-" + v[2:]}})
		}
		return m
	},
	"failed": func(t *testing.T, lang string, w, h int) *Model {
		m := liveModel(t, &fakeRunner{fail: 1}, nil, lang, w, h)
		send(t, m, press("enter"))
		send(t, m, press("enter"))
		return m
	},
	"resume": func(t *testing.T, lang string, w, h int) *Model {
		store := &memStore{m: map[string]progress.State{"demo": {Steps: map[string]progress.StepRecord{
			"apply-config": {Status: progress.Passed, DurationMS: 1200}, "start-pods": {Status: progress.Passed, DurationMS: 95000}}}}}
		return liveModel(t, &fakeRunner{fail: -1}, store, lang, w, h)
	},
	// handson: step 1 was done by hand (the watch passed it); step 2 is
	// watched: its command (wrapped when long), what its check expects
	// and what it sees.
	"handson": func(t *testing.T, lang string, w, h int) *Model {
		r := &fakeRunner{fail: -1, byHand: func(i int) step.ByHand {
			return step.ByHand{Lines: []string{"kubectl -n alice apply -f /home/learner/.cache/kubetutor/manifests/0b7f1bbecfb0/demo/statefulset.yaml"}}
		}}
		m := liveModel(t, r, nil, lang, w, h)
		l := m.lesson
		send(t, m, watchDoneMsg{id: l.hands.id, index: 0, res: engine.StepResult{ID: "apply-config", Status: engine.Passed, Duration: 4200 * time.Millisecond}})
		l.hands.since = clock.Add(-23 * time.Second)
		send(t, m, liveMsg{msg: podsMsg{pods: []*corev1.Pod{
			pod("demo-0", "lab-worker-1", "Running", true, 2, 95*time.Second),
			pod("demo-1", "lab-worker-2", "Pending", false, 1, 30*time.Second),
		}}})
		return m
	},
	// handson-checks: the step of two checks, the first one awaited; the
	// command carries the namespace; its note says how it differs.
	"handson-checks": func(t *testing.T, lang string, w, h int) *Model {
		r := &fakeRunner{fail: -1, byHand: func(i int) step.ByHand {
			return step.ByHand{Lines: []string{"kubectl -n alice scale statefulset demo --replicas=5"},
				Note: step.M("ByHandSQLService", "Pod", "demo-0", "Service", "demo-read")}
		}}
		store := &memStore{m: map[string]progress.State{"demo": {Steps: map[string]progress.StepRecord{
			"apply-config": {Status: progress.Passed}, "start-pods": {Status: progress.Passed}}}}}
		m := liveModel(t, r, store, lang, w, h)
		send(t, m, press("y")) // resume at step 3
		m.lesson.hands.since = clock.Add(-5 * time.Second)
		return m
	},
	"summary": func(t *testing.T, lang string, w, h int) *Model {
		m := liveModel(t, &fakeRunner{fail: -1}, nil, lang, w, h)
		for i := 0; i < 3; i++ {
			send(t, m, press("enter"))
		}
		return m
	},
}

func TestStepViews(t *testing.T) {
	for _, name := range []string{"locked", "running", "failed", "resume", "handson", "handson-checks", "summary"} {
		for _, lang := range []string{"ja", "en"} {
			for _, sz := range [][2]int{{80, 24}, {120, 40}} {
				t.Run(fmt.Sprintf("%s/%s_%dx%d", name, lang, sz[0], sz[1]), func(t *testing.T) {
					m := stepViews[name](t, lang, sz[0], sz[1])
					s := screen(m)
					checkScreen(t, s, sz[0], sz[1])
					golden(t, fmt.Sprintf("%s/%s_%dx%d", name, lang, sz[0], sz[1]), s)
				})
			}
		}
	}
}

// uncordonRunner counts Uncordon calls.
type uncordonRunner struct {
	fakeRunner
	uncordons int
}

func (u *uncordonRunner) Uncordon() *engine.Aftermath {
	u.uncordons++
	return &engine.Aftermath{Uncordoned: []string{"lab-worker-2"}}
}

func TestQuitWhileBusyAsksThenCleansUp(t *testing.T) {
	for _, how := range []string{"q then y", "ctrl+c twice", "sigterm"} {
		t.Run(how, func(t *testing.T) {
			r := &uncordonRunner{fakeRunner: fakeRunner{fail: -1}}
			store := &memStore{m: map[string]progress.State{}}
			m := New(Options{Lessons: loadFixture(t), Start: "demo", Lang: "en", Catalog: catalog(t), Width: 100, Height: 30,
				Runner: r, Progress: store, Probe: reachable, Now: func() time.Time { return clock }})
			run(t, m, m.Init())
			send(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
			send(t, m, press("enter")) // step 1 passes
			m.lesson.next(flow.Run{})  // step 2 runs (its command is not run)
			stepCtx := m.lesson.ctx
			var quit bool
			switch how {
			case "q then y":
				if send(t, m, press("q")) {
					t.Fatal("q quit while a step runs")
				}
				if s := screen(m); !strings.Contains(s, "Stop it and quit?") {
					t.Fatalf("no confirmation:\n%s", s)
				}
				quit = send(t, m, press("y"))
			case "ctrl+c twice":
				send(t, m, press("ctrl+c"))
				quit = send(t, m, press("ctrl+c"))
			case "sigterm":
				quit = send(t, m, terminateMsg{})
			}
			if !quit {
				t.Fatal("did not quit")
			}
			if r.uncordons != 1 {
				t.Errorf("uncordon ran %d times, want 1", r.uncordons)
			}
			if stepCtx.Err() == nil {
				t.Error("the lesson's context (step, streams) is not cancelled")
			}
			if got := store.m["demo"].Steps["apply-config"].Status; got != progress.Passed {
				t.Errorf("saved step 1 = %q, want passed", got)
			}
		})
	}
}

func TestQuitDeclinedKeepsRunning(t *testing.T) {
	m := liveModel(t, &fakeRunner{fail: -1}, nil, "en", 100, 30)
	m.lesson.next(flow.Run{})
	send(t, m, press("q"))
	send(t, m, press("n"))
	if m.lesson.flow.Mode != flow.Busy || m.lesson.ctx.Err() != nil {
		t.Errorf("mode %s after declining", m.lesson.flow.Mode)
	}
}

func TestSkipCatchesUp(t *testing.T) {
	r := &fakeRunner{fail: -1}
	m := liveModel(t, r, nil, "en", 100, 30)
	send(t, m, press("s"))
	if s := screen(m); !strings.Contains(s, "Skip to a step") {
		t.Fatalf("no chooser:\n%s", s)
	}
	send(t, m, press("down")) // step 3
	send(t, m, press("enter"))
	if fmt.Sprint(r.caught) != "[0 1]" {
		t.Errorf("caught up on %v, want [0 1]", r.caught)
	}
	if m.lesson.flow.Current != 2 || m.lesson.flow.Mode != flow.Idle {
		t.Errorf("at step %d (%s), want 2 idle", m.lesson.flow.Current, m.lesson.flow.Mode)
	}
}

func TestResetAsksThenClears(t *testing.T) {
	r := &fakeRunner{fail: -1}
	store := &memStore{m: map[string]progress.State{}}
	m := liveModel(t, r, store, "en", 100, 30)
	send(t, m, press("enter"))
	if _, ok := store.m["demo"]; !ok {
		t.Fatal("progress not saved after a step")
	}
	send(t, m, press("R"))
	if s := screen(m); !strings.Contains(s, "Reset this lesson?") {
		t.Fatalf("no confirmation:\n%s", s)
	}
	send(t, m, press("y"))
	if r.resets != 1 {
		t.Errorf("reset ran %d times", r.resets)
	}
	if st := store.m["demo"]; len(st.Steps) != 0 || !st.Epoch.Equal(clock) {
		t.Errorf("progress not cleared, or no epoch: %+v", st)
	}
	if m.lesson.flow.Current != 0 {
		t.Errorf("at step %d after reset", m.lesson.flow.Current)
	}
}

// TestResumeSaysWhatChanged: the stored progress says two steps are done,
// the cluster shows only the first: the prompt says so and resumes there.
func TestResumeSaysWhatChanged(t *testing.T) {
	store := &memStore{m: map[string]progress.State{"demo": {Steps: map[string]progress.StepRecord{
		"apply-config": {Status: progress.Passed}, "start-pods": {Status: progress.Passed}}}}}
	r := &fakeRunner{fail: -1, judge: func(progress.State) Judgement {
		return Judgement{Progress: evidence.Progress{Reached: 0}, Uncordoned: []string{"node-2"}}
	}}
	m := liveModel(t, r, store, "en", 120, 40)
	if m.lesson.flow.Mode != flow.ResumePrompt || m.lesson.flow.Resume != 1 {
		t.Fatalf("mode %s resume %d", m.lesson.flow.Mode, m.lesson.flow.Resume)
	}
	if s := screen(m); !strings.Contains(s, "no sign of step 2") || !strings.Contains(s, "Uncordoned node-2") {
		t.Errorf("the screen does not say what changed:\n%s", s)
	}
	send(t, m, press("y"))
	if m.lesson.flow.Current != 1 {
		t.Errorf("resumed at step %d, want 2 (index 1)", m.lesson.flow.Current+1)
	}
}

// TestResumeFindsStepsDoneByHand: nothing stored, but the cluster shows
// the first two steps done (typed in another terminal): offer to resume
// at the third.
func TestResumeFindsStepsDoneByHand(t *testing.T) {
	r := &fakeRunner{fail: -1, judge: func(progress.State) Judgement {
		return Judgement{Progress: evidence.Progress{Reached: 1}}
	}}
	m := liveModel(t, r, nil, "en", 120, 40)
	if m.lesson.flow.Mode != flow.ResumePrompt || m.lesson.flow.Resume != 2 {
		t.Fatalf("mode %s resume %d", m.lesson.flow.Mode, m.lesson.flow.Resume)
	}
	if s := screen(m); !strings.Contains(s, "steps 1–2 done") {
		t.Errorf("the screen does not say what the cluster shows:\n%s", s)
	}
}

func TestLanguageToggleDuringRun(t *testing.T) {
	m := stepViews["running"](t, "en", 120, 40)
	send(t, m, press("L"))
	if s := screen(m); !strings.Contains(s, "待っているもの") {
		t.Errorf("the running step is not shown in Japanese:\n%s", s)
	}
}

func TestResumeWhenEverythingWasDone(t *testing.T) {
	steps := map[string]progress.StepRecord{}
	for _, id := range []string{"apply-config", "start-pods", "scale"} {
		steps[id] = progress.StepRecord{Status: progress.Passed, DurationMS: 3000}
	}
	m := liveModel(t, &fakeRunner{fail: -1}, &memStore{m: map[string]progress.State{"demo": {Steps: steps}}}, "en", 100, 30)
	if s := screen(m); !strings.Contains(s, "Every step is done") {
		t.Fatalf("no resume prompt:\n%s", s)
	}
	send(t, m, press("enter"))
	if s := screen(m); m.lesson.flow.Mode != flow.Summary || !strings.Contains(s, "Total: 9.0s") {
		t.Errorf("mode %s; summary:\n%s", m.lesson.flow.Mode, s)
	}
}

func TestResizeWhileRunning(t *testing.T) {
	m := stepViews["running"](t, "ja", 120, 40)
	for _, sz := range [][2]int{{80, 24}, {60, 16}, {200, 50}, {120, 40}} {
		send(t, m, tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		s := screen(m)
		checkScreen(t, s, sz[0], sz[1])
		if sz[1] >= 20 && !strings.Contains(s, "demo-1") {
			t.Errorf("%dx%d: the running step is not shown:\n%s", sz[0], sz[1], s)
		}
	}
	if got, want := screen(m), readGolden(t, "TestStepViews", "running/ja_120x40"); got != want {
		t.Errorf("back at 120x40 the screen differs from the golden file:\n%s", got)
	}
}

func readGolden(t *testing.T, test, name string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", test, name+".golden"))
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// lockedStore is the store of a lesson another kubetutor holds.
type lockedStore struct{ memStore }

func (lockedStore) Load(string) (progress.State, error) {
	return progress.State{}, &progress.LockError{Path: "/state/demo.json.lock", PID: 4242}
}

func TestLockedLessonStaysReadOnly(t *testing.T) {
	m := New(Options{Lessons: loadFixture(t), Start: "demo", Lang: "en", Catalog: catalog(t), Width: 100, Height: 30,
		Runner: &fakeRunner{fail: -1}, Progress: &lockedStore{}, Probe: reachable, Now: func() time.Time { return clock }})
	run(t, m, m.Init())
	send(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	if m.lesson.flow.Mode != flow.Reading {
		t.Errorf("mode %s, want reading", m.lesson.flow.Mode)
	}
	if s := screen(m); !strings.Contains(s, "pid 4242") {
		t.Errorf("the lock is not explained:\n%s", s)
	}
	send(t, m, press("right"))
	send(t, m, press("enter"))
	if s := screen(m); !strings.Contains(s, "pid 4242") {
		t.Errorf("enter does not say why the step cannot run:\n%s", s)
	}
}

func TestPaneKeys(t *testing.T) {
	m := stepViews["running"](t, "en", 80, 24)
	if s := screen(m); !strings.Contains(s, "[pods]") || !strings.Contains(s, "demo-2") {
		t.Fatalf("pods pane not first:\n%s", s)
	}
	send(t, m, press("tab"))
	if s := screen(m); !strings.Contains(s, "[server-id]") || !strings.Contains(s, "100 ok") {
		t.Errorf("tab did not show the server-id pane:\n%s", s)
	}
	send(t, m, press("tab"))
	if s := screen(m); !strings.Contains(s, "[events/logs]") {
		t.Errorf("tab did not show the events pane:\n%s", s)
	}
	send(t, m, press("v"))
	if s := screen(m); strings.Contains(s, "[events/logs]") || !strings.Contains(s, "Waiting for") {
		t.Errorf("v did not hide the panes (keeping the step):\n%s", s)
	}
}

// TestStepDoneByHandUnlocksWithoutEnter: the current step is watched from
// the moment it is current; its watch's verdict unlocks the next step,
// which is watched in turn — no Enter, no action.
func TestStepDoneByHandUnlocksWithoutEnter(t *testing.T) {
	r := &fakeRunner{fail: -1}
	m := liveModel(t, r, nil, "en", 120, 40)
	l := m.lesson
	if fmt.Sprint(r.watched) != "[0]" || !l.hands.watching(0) {
		t.Fatalf("watched %v", r.watched)
	}
	send(t, m, watchDoneMsg{id: l.hands.id, index: 0, res: engine.StepResult{Status: engine.Passed}})
	if l.flow.Current != 1 || l.flow.Steps[0] != flow.Passed || fmt.Sprint(r.watched) != "[0 1]" || len(r.ran) != 0 {
		t.Fatalf("current %d, steps %v, watched %v, ran %v", l.flow.Current, l.flow.Steps, r.watched, r.ran)
	}
	if s := screen(m); !strings.Contains(s, "Step 1 done: the cluster reached its state") || !strings.Contains(s, "$ kubectl -n tutor apply -f") {
		t.Errorf("screen:\n%s", s)
	}
	// A verdict of a watch stopped meanwhile changes nothing.
	send(t, m, watchDoneMsg{id: l.hands.id - 1, index: 1, res: engine.StepResult{Status: engine.Passed}})
	if l.flow.Current != 1 {
		t.Fatal("a stale verdict passed a step")
	}
}

// TestEnterStopsTheWatchAndRuns: Enter stops the watch (its late verdict
// is dropped) and runs the step through the runner.
func TestEnterStopsTheWatchAndRuns(t *testing.T) {
	r := &fakeRunner{fail: -1}
	m := liveModel(t, r, nil, "en", 120, 40)
	l := m.lesson
	id := l.hands.id
	send(t, m, press("enter"))
	if fmt.Sprint(r.ran) != "[0]" || l.flow.Current != 1 {
		t.Fatalf("ran %v, current %d", r.ran, l.flow.Current)
	}
	send(t, m, watchDoneMsg{id: id, index: 0, res: engine.StepResult{Status: engine.Failed}})
	if l.flow.Steps[0] != flow.Passed || l.flow.Current != 1 {
		t.Fatalf("the stopped watch's verdict counted: %v", l.flow.Steps)
	}
}

// TestWatchFailureIsShownAndNotWatchedAgain: a check that fails for good
// while watched (the learner replaced an object that had to stay) marks
// the step failed; it is not re-armed until Enter retries it.
func TestWatchFailureIsShownAndNotWatchedAgain(t *testing.T) {
	r := &fakeRunner{fail: -1}
	m := liveModel(t, r, nil, "en", 120, 40)
	l := m.lesson
	f := &step.Failure{Msg: step.M("StateUIDChanged", "Kind", "PersistentVolumeClaim", "Name", "data-demo-0", "Before", "a", "Now", "b"), Hint: step.M("HintUIDChanged")}
	send(t, m, watchDoneMsg{id: l.hands.id, index: 0, res: engine.StepResult{Status: engine.Failed,
		Checks: []engine.CheckResult{{Desc: step.M("TUIRaw", "Text", "same claim"), Status: engine.Failed, Failure: f}}}})
	if l.flow.Steps[0] != flow.Failed || l.hands.watching(0) || fmt.Sprint(r.watched) != "[0]" {
		t.Fatalf("steps %v, watched %v", l.flow.Steps, r.watched)
	}
	if s := screen(m); !strings.Contains(s, "Enter retries") || !strings.Contains(s, "data-demo-0") {
		t.Errorf("screen:\n%s", s)
	}
	send(t, m, press("enter"))
	if fmt.Sprint(r.ran) != "[0]" {
		t.Fatalf("ran %v", r.ran)
	}
}

// TestCopyPutsTheCommandsOnTheClipboard: c copies the watched step's
// commands (OSC 52 through Bubble Tea), one per line.
func TestCopyPutsTheCommandsOnTheClipboard(t *testing.T) {
	r := &fakeRunner{fail: -1, byHand: func(int) step.ByHand {
		return step.ByHand{Lines: []string{"kubectl uncordon lab-worker-2", "kubectl delete pods -l app=demo"}}
	}}
	m := liveModel(t, r, nil, "en", 120, 40)
	_, cmd := m.Update(press("c"))
	if cmd == nil {
		t.Fatal("no command")
	}
	if got := fmt.Sprintf("%v", cmd()); !strings.Contains(got, "kubectl uncordon lab-worker-2\nkubectl delete pods -l app=demo") {
		t.Fatalf("clipboard message %q", got)
	}
	if s := screen(m); !strings.Contains(s, "Copied 2 line(s)") {
		t.Errorf("screen:\n%s", s)
	}
	r.byHand = func(int) step.ByHand { return step.ByHand{Note: step.M("ByHandWait")} }
	m = liveModel(t, r, nil, "en", 120, 40)
	if _, cmd := m.Update(press("c")); cmd != nil {
		t.Error("copied nothing to copy")
	}
	if s := screen(m); !strings.Contains(s, "no command to copy") || !strings.Contains(s, "nothing to type") {
		t.Errorf("screen:\n%s", s)
	}
}

func TestWrapCommand(t *testing.T) {
	for _, tc := range []struct {
		line string
		w    int
		want []string
	}{
		{"kubectl scale statefulset mysql --replicas=5", 80, []string{"$ kubectl scale statefulset mysql --replicas=5"}},
		{"kubectl drain lab-worker-2 --ignore-daemonsets --delete-emptydir-data --force --pod-selector app=mysql", 60,
			[]string{"$ kubectl drain lab-worker-2 --ignore-daemonsets \\", "   --delete-emptydir-data --force --pod-selector app=mysql"}},
		{"kubectl exec web-0 -- bash -c 'echo 123 > /data/test.txt'", 30,
			[]string{"$ kubectl exec web-0 -- bash \\", "   -c \\", "   'echo 123 > /data/test.txt'"}},
		{`kubectl exec p -- sh -c 'it'\''s here'`, 24, []string{"$ kubectl exec p -- sh \\", `   -c 'it'\''s here'`}},
	} {
		if got := wrapCommand(tc.line, tc.w); fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tc.want) {
			t.Errorf("wrapCommand(%q, %d)\n got %q\nwant %q", tc.line, tc.w, got, tc.want)
		}
	}
}
