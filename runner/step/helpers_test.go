package step

import (
	"context"
	"testing"
	"testing/fstest"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubetutor/kubetutor/i18n"
	"github.com/kubetutor/kubetutor/runner/kube/kubefake"
	"github.com/kubetutor/kubetutor/runner/l10n"
	"github.com/kubetutor/kubetutor/runner/lesson"
)

const ns = "tutor"

// newEnv returns an Env on fakes seeded with objects.
func newEnv(t testing.TB, objects ...runtime.Object) (*Env, *kubefake.Fakes) {
	t.Helper()
	c, f := kubefake.New(ns, objects...)
	spec := lesson.Spec{Selector: "app=mysql", Images: map[string]string{"mariadb": "kubetutor.local/mariadb:10.11"}}
	return NewEnv(c, fstest.MapFS{}, "mysql", spec, nil), f
}

// watchStarted signals each time a watch of resource is established on the
// typed fake, so a test can change objects strictly after a check watches.
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

func waitFor(t testing.TB, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("watch never started")
	}
}

// runCheck runs c.Wait in a goroutine and returns its result channel.
func runCheck(ctx context.Context, env *Env, c Check) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- c.Wait(ctx, env, nil) }()
	return ch
}

func result(t testing.TB, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("check did not return")
		return nil
	}
}

type podOpt func(*corev1.Pod)

func onNode(n string) podOpt { return func(p *corev1.Pod) { p.Spec.NodeName = n } }

func withUID(u string) podOpt { return func(p *corev1.Pod) { p.UID = types.UID(u) } }

func restarts(n int32) podOpt {
	return func(p *corev1.Pod) {
		for i := range p.Status.ContainerStatuses {
			p.Status.ContainerStatuses[i].RestartCount = n
		}
	}
}

func readySince(t time.Time) podOpt {
	return func(p *corev1.Pod) {
		for i := range p.Status.Conditions {
			p.Status.Conditions[i].LastTransitionTime = metav1.NewTime(t)
		}
	}
}

// mysqlPod is a pod of the lesson with containers mysql and backup; ready
// says whether mysql is ready (backup always is).
func mysqlPod(name string, ready bool, opts ...podOpt) *corev1.Pod {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": "mysql"}, UID: types.UID("uid-" + name)},
		Spec: corev1.PodSpec{NodeName: "node-1", Containers: []corev1.Container{{Name: "mysql"}, {Name: "backup"}},
			InitContainers: []corev1.Container{{Name: "init-mysql"}, {Name: "clone-mysql"}}},
		Status: corev1.PodStatus{
			Phase:      corev1.PodRunning,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: st}, {Type: corev1.PodScheduled, Status: corev1.ConditionTrue}},
			InitContainerStatuses: []corev1.ContainerStatus{
				{Name: "init-mysql", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0}}},
				{Name: "clone-mysql", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0}}},
			},
			ContainerStatuses: []corev1.ContainerStatus{
				{Name: "mysql", Ready: ready, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
				{Name: "backup", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
			},
		},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func node(name string, unschedulable bool) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.NodeSpec{Unschedulable: unschedulable},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}}
}

func updatePod(t testing.TB, f *kubefake.Fakes, p *corev1.Pod) {
	t.Helper()
	if _, err := f.Client.CoreV1().Pods(ns).Update(context.Background(), p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func createObj(t testing.TB, f *kubefake.Fakes, o runtime.Object) {
	t.Helper()
	if err := f.Client.Tracker().Add(o); err != nil {
		t.Fatal(err)
	}
}

// translator is the real English catalogue.
func translator(t testing.TB) Translator {
	t.Helper()
	cat, err := l10n.LoadCatalog(i18n.FS)
	if err != nil {
		t.Fatal(err)
	}
	return cat.Translator("en")
}

func asFailure(t testing.TB, err error) *Failure {
	t.Helper()
	f, ok := err.(*Failure)
	if !ok {
		t.Fatalf("want *Failure, got %T %v", err, err)
	}
	return f
}
