package engine

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubetutor/kubetutor/runner/kube/kubefake"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

// watchStarted signals once a watch of resource is established on the
// fake clientset: the fake does not replay changes made between a check's
// list and its watch, so tests change objects only after that.
func watchStarted(f *fake.Clientset, resource string) <-chan struct{} {
	ch := make(chan struct{}, 16)
	tracker := f.Tracker()
	f.PrependWatchReactor(resource, func(a k8stesting.Action) (bool, watch.Interface, error) {
		w, err := tracker.Watch(a.GetResource(), a.GetNamespace())
		ch <- struct{}{}
		return true, w, err
	})
	return ch
}

// untilEvent returns a channel closed at the first event of kind.
func untilEvent(kind EventKind) (Observer, <-chan struct{}) {
	ch := make(chan struct{})
	closed := false
	return ObserverFunc(func(e Event) {
		if e.Kind == kind && !closed {
			closed = true
			close(ch)
		}
	}), ch
}

// TestWatchPassesWhenTheStateIsReachedByHand: a watched step runs no
// action; it passes as soon as someone else creates the object, and its
// first event carries the commands to type.
func TestWatchPassesWhenTheStateIsReachedByHand(t *testing.T) {
	c, f := kubefake.New(ns, readyNode("node-1"))
	rec := &recorder{}
	started := watchStarted(f.Client, "pods")
	s := lesson.Step{ID: "start", Action: applyStep.Action, Checks: []lesson.Check{step.CheckOf(&step.PodsReady{Names: []string{"mini-0"}})}}
	e := New(c, miniLesson(s), testManifests, Options{}, rec)
	e.Env().ManifestCache = t.TempDir()
	a := e.Arm(context.Background(), 0)
	res := make(chan StepResult, 1)
	go func() { res <- a.Watch(context.Background(), 0) }()
	<-started
	// What the learner's kubectl apply leads to.
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "mini-0", Namespace: ns}, Spec: corev1.PodSpec{NodeName: "node-1"},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}}
	if _, err := f.Client.CoreV1().Pods(ns).Create(context.Background(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var sr StepResult
	select {
	case sr = <-res:
	case <-time.After(20 * time.Second):
		t.Fatal("the watch did not pass")
	}
	if sr.Status != Passed || sr.Action.Status != Skipped || sr.Action.Outcome.Msg.ID != "OutcomeNotRun" {
		t.Fatalf("%+v", sr)
	}
	for _, act := range f.Client.Actions() {
		if act.GetVerb() == "patch" {
			t.Fatalf("the watch acted: %v", act)
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var armed *Event
	for i := range rec.events {
		if rec.events[i].Kind == StepArmed {
			armed = &rec.events[i]
			break
		}
	}
	if armed == nil || armed.ByHand == nil || len(armed.ByHand.Lines) != 1 || !strings.HasPrefix(armed.ByHand.Lines[0], "kubectl apply -f ") {
		t.Fatalf("armed event %+v", armed)
	}
}

// TestRunAfterWatchDoesNotRepeatWhatWasDone: Enter on a watched step whose
// effect is already there does not do it again and says why.
func TestRunAfterWatchDoesNotRepeatWhatWasDone(t *testing.T) {
	sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "mini", Namespace: ns}, Spec: appsv1.StatefulSetSpec{Replicas: ptr32(5)}}
	c, f := kubefake.New(ns, readyNode("node-1"), sts)
	scale := lesson.Step{ID: "scale", Action: step.ActionOf(&step.Scale{StatefulSet: "mini", Replicas: 5}),
		Checks: []lesson.Check{step.CheckOf(&step.Exists{ObjectRef: step.ObjectRef{Kind: "ConfigMap", Name: "mini"}})}}
	obs, started := untilEvent(CheckStarted)
	e := New(c, miniLesson(scale), testManifests, Options{}, obs)
	a := e.Arm(context.Background(), 0)
	ctx, cancel := context.WithCancel(context.Background())
	watched := make(chan StepResult, 1)
	go func() { watched <- a.Watch(ctx, 0) }()
	<-started
	cancel() // Enter: the TUI stops the watch, then runs the step
	<-watched
	f.Client.CoreV1().ConfigMaps(ns).Create(context.Background(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "mini", Namespace: ns}}, metav1.CreateOptions{})
	sr := a.Run(context.Background())
	if sr.Status != Passed || sr.Action.Status != Skipped || sr.Action.Outcome.Msg.String() != "AlreadyScaled Replicas=5 StatefulSet=mini" {
		t.Fatalf("%+v", sr)
	}
	for _, act := range f.Scales.Actions() {
		if act.GetVerb() == "update" {
			t.Fatal("scaled again")
		}
	}
	if !a.Used() {
		t.Error("a run armed step is not used up")
	}

	// Without a watch (run --auto), the action runs as always.
	sts2 := lesson.Step{ID: "scale", Action: step.ActionOf(&step.Scale{StatefulSet: "mini", Replicas: 3}), Checks: scale.Checks}
	sr = New(c, miniLesson(sts2), testManifests, Options{}, nil).RunStep(context.Background(), 0)
	if sr.Status != Passed || sr.Action.Status != Passed || sr.Action.Outcome.Msg.ID != "OutcomeScaled" {
		t.Fatalf("%+v", sr.Action)
	}
}

// TestWatchAdoptsAHandMadeDrain: the learner drains the node by hand; the
// watched step passes and the tutor takes the cordon over (its mark), or,
// when it only observes (run --watch), remembers it without writing.
func TestWatchAdoptsAHandMadeDrain(t *testing.T) {
	for _, observe := range []bool{false, true} {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "mini-0", Namespace: ns}, Spec: corev1.PodSpec{NodeName: "node-1"}}
		c, f := kubefake.New(ns, readyNode("node-1"), readyNode("node-2"), pod)
		started := watchStarted(f.Client, "pods")
		e := New(c, miniLesson(drainStep), testManifests, Options{Watch: observe}, nil)
		e.facts = Facts{Reachable: true, SchedulableNodes: 2}
		a := e.Arm(context.Background(), 0)
		res := make(chan StepResult, 1)
		go func() { res <- a.Watch(context.Background(), 0) }()
		<-started
		n, _ := f.Client.CoreV1().Nodes().Get(context.Background(), "node-1", metav1.GetOptions{})
		n.Spec.Unschedulable = true
		f.Client.CoreV1().Nodes().Update(context.Background(), n, metav1.UpdateOptions{})
		pod.Spec.NodeName, pod.UID = "node-2", "new"
		f.Client.CoreV1().Pods(ns).Update(context.Background(), pod, metav1.UpdateOptions{})
		if sr := <-res; sr.Status != Passed {
			t.Fatalf("observe=%v: %+v", observe, sr)
		}
		n, _ = f.Client.CoreV1().Nodes().Get(context.Background(), "node-1", metav1.GetOptions{})
		marked := n.Annotations[step.CordonedByAnnotation] == e.Env().CordonMark()
		if marked == observe || strings.Join(e.Env().State.CordonedNodes(), ",") != "node-1" {
			t.Errorf("observe=%v: marked %v, state %v", observe, marked, e.Env().State.CordonedNodes())
		}
	}
}

// TestRunWatchDoesNothing: `run --watch` waits for each step in order,
// never acts, creates no namespace and undoes nothing; with MaxWait a step
// nobody does fails.
func TestRunWatchDoesNothing(t *testing.T) {
	// Someone applied the ConfigMap by hand; nobody does the second step.
	c, f := kubefake.New(ns, readyNode("node-1"), readyNode("node-2"), defaultClass(),
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "mini", Namespace: ns}})
	allow(f)
	var text bytes.Buffer
	never := lesson.Step{ID: "never", Action: step.ActionOf(&step.Wait{}),
		Checks: []lesson.Check{step.CheckOf(&step.Exists{ObjectRef: step.ObjectRef{Kind: "ConfigMap", Name: "never"}})}}
	e := New(c, miniLesson(applyStep, never), testManifests, Options{Lang: "en", Watch: true, MaxWait: 300 * time.Millisecond, FromStart: true},
		&Text{W: &text, Tr: tr(t), Watch: true})
	e.Env().ManifestCache = t.TempDir()
	res := e.Run(context.Background())
	if res.Passed || res.Steps[0].Status != Passed || res.Steps[1].Status != Failed || res.Aftermath != nil {
		t.Fatalf("%+v", res)
	}
	for _, act := range f.Client.Actions() {
		if v := act.GetVerb(); v == "patch" || v == "delete" || (v == "create" && act.GetResource().Resource == "namespaces") {
			t.Errorf("watch mode acted: %v %v", v, act.GetResource())
		}
	}
	out := text.String()
	for _, want := range []string{"$ kubectl apply -f ", "✓ ConfigMap mini exists", "✗ ConfigMap never exists"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
}

func ptr32(i int32) *int32 { return &i }
