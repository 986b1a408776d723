package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/runner/engine"
	"github.com/kubetutor/kubetutor/runner/flow"
	"github.com/kubetutor/kubetutor/runner/lesson"
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
func (s *memStore) Clear(id string) error                   { delete(s.m, id); return nil }

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
	"summary": func(t *testing.T, lang string, w, h int) *Model {
		m := liveModel(t, &fakeRunner{fail: -1}, nil, lang, w, h)
		for i := 0; i < 3; i++ {
			send(t, m, press("enter"))
		}
		return m
	},
}

func TestStepViews(t *testing.T) {
	for _, name := range []string{"locked", "running", "failed", "resume", "summary"} {
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

var _ = lesson.Lesson{}
var _ = strings.Contains
