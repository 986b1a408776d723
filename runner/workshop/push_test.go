package workshop

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	fakediscovery "k8s.io/client-go/discovery/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubetutor/kubetutor/runner/kube/kubefake"
	"github.com/kubetutor/kubetutor/runner/step"
)

var (
	_ Source  = (*Evaluator)(nil)
	_ Actions = (*Instructor)(nil)
)

func readyNode(name string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}}
}

func runningPod(ns, name, node string, n int) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: meta(ns, name, t0), Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "mysql"}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}}
	p.UID = types.UID(fmt.Sprintf("uid-%s-%s-%d", ns, name, n))
	return p
}

// reschedule makes the fake's evictions behave like the StatefulSet
// controller and the scheduler together: the evicted pod comes back, Ready,
// on the first schedulable node.
func reschedule(f *kubefake.Fakes) {
	f.Client.Discovery().(*fakediscovery.FakeDiscovery).Resources = []*metav1.APIResourceList{{
		GroupVersion: "v1",
		APIResources: []metav1.APIResource{{Name: "pods/eviction", Kind: "Eviction", Group: "policy", Version: "v1"}},
	}}
	tracker := f.Client.Tracker()
	var mu sync.Mutex
	n := 0
	f.Client.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		ca := a.(k8stesting.CreateAction)
		if ca.GetSubresource() != "eviction" {
			return false, nil, nil
		}
		ev := ca.GetObject().(*policyv1.Eviction)
		gvr := corev1.SchemeGroupVersion.WithResource("pods")
		if err := tracker.Delete(gvr, ev.Namespace, ev.Name); err != nil {
			return true, nil, err
		}
		nodes, _ := tracker.List(corev1.SchemeGroupVersion.WithResource("nodes"), corev1.SchemeGroupVersion.WithKind("Node"), "")
		var names []string
		for _, o := range nodes.(*corev1.NodeList).Items {
			if !o.Spec.Unschedulable {
				names = append(names, o.Name)
			}
		}
		sort.Strings(names)
		mu.Lock()
		n++
		p := runningPod(ev.Namespace, ev.Name, names[0], n)
		mu.Unlock()
		return true, nil, tracker.Add(p)
	})
}

// The class drain moves every learner's mysql-2 off its node with never
// more than one node cordoned, and leaves none cordoned.
func TestClassDrain(t *testing.T) {
	objs := []runtime.Object{readyNode("n1"), readyNode("n2"), readyNode("n3"), learnerNS("01"), learnerNS("02"), learnerNS("03"),
		runningPod("k8s-01", "mysql-2", "n1", 0), runningPod("k8s-02", "mysql-2", "n1", 0), runningPod("k8s-03", "mysql-2", "n2", 0),
		runningPod("k8s-01", "mysql-0", "n1", 0)}
	cl, f := classOn(t, time.Now(), objs...)
	cl.Now = nil
	reschedule(f)
	// Record the most nodes cordoned at once, from the nodes' watch.
	w, err := f.Client.CoreV1().Nodes().Watch(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	most := make(chan int)
	go func() {
		cordoned, m := map[string]bool{}, 0
		for ev := range w.ResultChan() {
			if n, ok := ev.Object.(*corev1.Node); ok && ev.Type != watch.Deleted {
				cordoned[n.Name] = n.Spec.Unschedulable
			}
			c := 0
			for _, on := range cordoned {
				if on {
					c++
				}
			}
			m = max(m, c)
		}
		most <- m
	}()
	e, err := NewEvaluator(cl)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var news []string
	in := &Instructor{Class: cl, Eval: e, Report: func(ev Event) { news = append(news, ev.Msg.String()) }}
	i, _ := cl.StepIndex("drain-node")
	res, err := in.classStep(ctx, i, []string{"k8s-01", "k8s-02", "k8s-03"})
	if err != nil {
		t.Fatal(err)
	}
	for ns, r := range res {
		if r.Status != "passed" {
			t.Errorf("%s: %+v", ns, r)
		}
	}
	for _, ns := range []string{"k8s-01", "k8s-02", "k8s-03"} {
		p, err := f.Client.CoreV1().Pods(ns).Get(ctx, "mysql-2", metav1.GetOptions{})
		if err != nil || p.UID == types.UID("uid-"+ns+"-mysql-2-0") {
			t.Errorf("%s: mysql-2 not moved: %v %v", ns, err, p.Spec.NodeName)
		}
	}
	w.Stop()
	if m := <-most; m != 1 {
		t.Errorf("at most %d nodes cordoned at once, want 1", m)
	}
	nodes, _ := f.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	for _, n := range nodes.Items {
		if n.Spec.Unschedulable || n.Annotations[step.CordonedByAnnotation] != "" {
			t.Errorf("%s left cordoned or marked", n.Name)
		}
	}
	got := strings.Join(news, "\n")
	if !strings.Contains(got, "WorkshopCordoned Count=2 Node=n1") || !strings.Contains(got, "WorkshopUncordoned Nodes=n1") {
		t.Errorf("news:\n%s", got)
	}
}
