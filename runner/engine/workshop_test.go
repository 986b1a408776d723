package engine

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/manifests"
	"github.com/kubetutor/kubetutor/runner/kube/kubefake"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

func TestWorkshopConfigMapRoundTrip(t *testing.T) {
	w := &Workshop{Name: "k8s", Lesson: "mysql", InstructorSteps: []string{"drain-node", "uncordon-node"},
		Epoch: time.Date(2026, 11, 30, 12, 0, 0, 5, time.UTC)}
	got, err := ParseWorkshop(w.ConfigMap("k8s-01"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != w.Name || got.Lesson != w.Lesson || len(got.InstructorSteps) != 2 || !got.Epoch.Equal(w.Epoch) {
		t.Fatalf("%+v", got)
	}
	if _, err := ParseWorkshop(&corev1.ConfigMap{}); err == nil {
		t.Fatal("a ConfigMap without a workshop name parsed")
	}
}

// The MySQL lesson's cluster-scoped steps are the drain and the uncordon.
func TestClusterStepsOfMySQL(t *testing.T) {
	l, probs, err := lesson.Load(lessons.FS, "lessons", "mysql", step.Kinds())
	if err != nil || len(probs) > 0 {
		t.Fatal(err, probs)
	}
	c, _ := kubefake.New(ns)
	got := ClusterSteps(step.NewEnv(c, manifests.FS, l.ID, l.Spec, nil), l.Spec.Steps)
	if len(got) != 2 || got[0] != "drain-node" || got[1] != "uncordon-node" {
		t.Fatal(got)
	}
}

func podOn(name, node string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID("uid-" + name + "-" + node), Labels: map[string]string{"app": "mini"},
		CreationTimestamp: metav1.Now()},
		Spec:   corev1.PodSpec{NodeName: node},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}}
}

var uncordonStep = lesson.Step{ID: "uncordon", Action: step.ActionOf(&step.Uncordon{}),
	Checks: []lesson.Check{step.CheckOf(&step.Uncordoned{})}}

func TestStepModes(t *testing.T) {
	ws := (&Workshop{Name: "k8s", Lesson: "mini", InstructorSteps: []string{"drain", "uncordon"}}).ConfigMap(ns)
	cases := []struct {
		name     string
		objects  []runtime.Object
		deny     []string
		drain    string // mode and reason of the drain step
		uncordon string
	}{
		{"allowed", nil, nil, "run", "run"},
		{"patch nodes denied", nil, []string{"patch nodes"}, "unavailable ReasonDenied", "unavailable ReasonDenied"},
		{"workshop", []runtime.Object{ws}, []string{"patch nodes"}, "instructor InstructorDrain", "instructor InstructorUncordon"},
		{"workshop, even with the rights", []runtime.Object{ws}, nil, "instructor InstructorDrain", "instructor InstructorUncordon"},
		{"workshop, the actions' own rights denied", []runtime.Object{ws}, []string{"patch nodes", "get nodes", "create pods"}, "instructor InstructorDrain", "instructor InstructorUncordon"},
		{"workshop, nodes unreadable", []runtime.Object{ws}, []string{"patch nodes", "list nodes"}, "instructor InstructorDrain", "unavailable ReasonDenied"},
	}
	modes := map[Mode]string{ModeRun: "run", ModeInstructor: "instructor", ModeUnavailable: "unavailable"}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs := append([]runtime.Object{readyNode("n1"), readyNode("n2"), defaultClass()}, tc.objects...)
			c, f := kubefake.New(ns, objs...)
			allow(f, tc.deny...)
			e := New(c, miniLesson(applyStep, drainStep, uncordonStep), testManifests, Options{}, nil)
			for _, it := range e.Preflight(context.Background()) {
				if it.Status == Failed {
					t.Fatalf("preflight failed: %+v", it)
				}
			}
			got := func(i int) string {
				m, why := e.Mode(i)
				return strings.TrimSpace(modes[m] + " " + why.ID)
			}
			if got(0) != "run" || got(1) != tc.drain || got(2) != tc.uncordon {
				t.Fatalf("apply %q, drain %q, uncordon %q; want run, %q, %q", got(0), got(1), got(2), tc.drain, tc.uncordon)
			}
		})
	}
}

// run --auto never waits for the instructor: the step is unavailable and
// the run goes on and passes; the TUI's RunStep waits until the
// instructor's drain moves the pod.
func TestInstructorStep(t *testing.T) {
	ws := (&Workshop{Name: "k8s", Lesson: "mini", InstructorSteps: []string{"drain"}}).ConfigMap(ns)
	c, f := kubefake.New(ns, readyNode("n1"), readyNode("n2"), defaultClass(), ws, podOn("mini-0", "n1"))
	allow(f, "patch nodes")
	// A later step whose evidence comes after the drain's (else Judge
	// would take it to imply the drain).
	mfs := fstest.MapFS{"mini/other.yaml": {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other, labels: {app: mini}}\n")}}
	for k, v := range testManifests {
		mfs[k] = v
	}
	after := lesson.Step{ID: "after", Action: step.ActionOf(&step.Apply{Files: []string{"mini/other.yaml"}}),
		Checks: []lesson.Check{step.CheckOf(&step.Exists{ObjectRef: step.ObjectRef{Kind: "ConfigMap", Name: "other"}})}}
	res := New(c, miniLesson(applyStep, drainStep, after), mfs, Options{}, nil).Run(context.Background())
	if !res.Passed || res.Steps[1].Status != Unavailable || res.Steps[1].Reason.ID != "ReasonInstructorNotYet" || res.Steps[2].Status != Passed {
		t.Fatalf("%+v", res.Steps)
	}
	if n, _ := f.Client.CoreV1().Nodes().Get(context.Background(), "n1", metav1.GetOptions{}); n.Spec.Unschedulable {
		t.Fatal("the learner's run cordoned a node")
	}

	waiting := make(chan struct{}, 1)
	e := New(c, miniLesson(applyStep, drainStep), testManifests, Options{}, ObserverFunc(func(ev Event) {
		if ev.Kind == InstructorWaiting {
			waiting <- struct{}{}
		}
	}))
	e.Preflight(context.Background())
	// The fakes replay nothing between a list and a watch: change the pod
	// only once the check watches pods (typed or dynamic client).
	watching := make(chan struct{}, 16)
	signal := func() {
		select {
		case watching <- struct{}{}:
		default:
		}
	}
	tracker := f.Client.Tracker()
	f.Client.PrependWatchReactor("pods", func(a k8stesting.Action) (bool, watch.Interface, error) {
		w, err := tracker.Watch(a.GetResource(), a.GetNamespace())
		signal()
		return true, w, err
	})
	f.DynamicWatching = func(resource string) {
		if resource == "pods" {
			signal()
		}
	}
	done := make(chan StepResult)
	go func() { done <- e.RunStep(context.Background(), 1) }()
	// The instructor's drain: the pod comes back on the other node.
	<-waiting
	select {
	case <-watching:
	case <-time.After(10 * time.Second):
		t.Fatal("the step's check never watched pods")
	}
	pods := f.Client.CoreV1().Pods(ns)
	if err := pods.Delete(context.Background(), "mini-0", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := pods.Create(context.Background(), podOn("mini-0", "n2"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case sr := <-done:
		if sr.Status != Passed || sr.Action.Status != Skipped || sr.Action.Desc.ID != "InstructorDrain" {
			t.Fatalf("%+v", sr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RunStep did not see the instructor's drain")
	}
}

func TestRunUntil(t *testing.T) {
	c, f := kubefake.New(ns, readyNode("n1"), readyNode("n2"), defaultClass())
	allow(f)
	res := New(c, miniLesson(applyStep, laterStep), testManifests, Options{Until: "apply"}, nil).Run(context.Background())
	if !res.Passed || res.Steps[0].Status != Passed || res.Steps[1].Status != Skipped || res.Steps[1].Reason.ID != "ReasonUntil" || res.Aftermath != nil {
		t.Fatalf("%+v", res)
	}
}

// In a workshop the instructor's step has nothing to type: its commands
// are the note that the instructor does it.
func TestInstructorStepHasNoCommands(t *testing.T) {
	ws := (&Workshop{Name: "k8s", Lesson: "mini", InstructorSteps: []string{"drain"}}).ConfigMap(ns)
	c, f := kubefake.New(ns, readyNode("n1"), readyNode("n2"), defaultClass(), ws, podOn("mini-0", "n1"))
	allow(f, "patch nodes")
	e := New(c, miniLesson(applyStep, drainStep), testManifests, Options{}, nil)
	e.Preflight(context.Background())
	h, err := e.Arm(context.Background(), 1).Commands(context.Background())
	if err != nil || len(h.Lines) != 0 || h.Note.ID != "InstructorDrain" {
		t.Fatalf("%+v %v", h, err)
	}
}
