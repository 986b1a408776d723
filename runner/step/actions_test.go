package step

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stypes "k8s.io/apimachinery/pkg/types"
	fakediscovery "k8s.io/client-go/discovery/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubetutor/kubetutor/runner/kube"
	"github.com/kubetutor/kubetutor/runner/kube/kubefake"
)

const stsYAML = `# comment
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: mysql
  namespace: elsewhere
  labels: {app: mysql}
spec:
  selector: {matchLabels: {app: mysql}}
  serviceName: mysql
  replicas: 3
  template:
    metadata: {labels: {app: mysql}}
    spec:
      initContainers:
        - {name: init, image: kubetutor.local/mariadb:10.11}
      containers:
        - {name: mysql, image: kubetutor.local/mariadb:10.11}
        - {name: other, image: busybox}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: mysql, labels: {app: mysql}}
data: {a: b}
`

func TestApplyOverridesImagesAndNamespaceIdempotently(t *testing.T) {
	env, f := newEnv(t)
	env.Manifests = fstest.MapFS{"mysql/all.yaml": {Data: []byte(stsYAML)}}
	env.Images = map[string]string{"mariadb": "registry.example/mariadb:11"}
	a := &Apply{Files: []string{"mysql/all.yaml"}}
	for i := 0; i < 2; i++ { // applying twice is harmless
		out, err := a.Run(context.Background(), env, func(Msg) {})
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if out.Msg.Args["Count"] != 2 {
			t.Fatalf("outcome %v", out.Msg)
		}
	}
	sts, err := f.Client.AppsV1().StatefulSets(ns).Get(context.Background(), "mysql", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	spec := sts.Spec.Template.Spec
	if got := []string{spec.InitContainers[0].Image, spec.Containers[0].Image, spec.Containers[1].Image}; strings.Join(got, " ") != "registry.example/mariadb:11 registry.example/mariadb:11 busybox" {
		t.Fatalf("images %v", got)
	}
	if _, err := f.Client.CoreV1().ConfigMaps(ns).Get(context.Background(), "mysql", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	var patches []string
	for _, act := range f.Dynamic.Actions() {
		if p, ok := act.(k8stesting.PatchAction); ok {
			patches = append(patches, fmt.Sprintf("%s %s %s", p.GetPatchType(), p.GetNamespace(), p.GetName()))
		}
	}
	if len(patches) != 4 || patches[0] != "application/apply-patch+yaml tutor mysql" {
		t.Fatalf("patches %v", patches)
	}
}

func TestApplyMissingManifest(t *testing.T) {
	env, _ := newEnv(t)
	_, err := (&Apply{Files: []string{"nope.yaml"}}).Run(context.Background(), env, func(Msg) {})
	if f := asFailure(t, err); f.Msg.ID != "StepManifestUnreadable" || f.Hint.ID != "HintManifest" {
		t.Fatal(f)
	}
}

func TestExec(t *testing.T) {
	env, f := newEnv(t)
	f.Exec.Handler = func(c kubefake.ExecCall, stdout, stderr io.Writer) error {
		if c.Command[1] == "/missing" {
			kubefake.Output(stderr, "mv: cannot stat '/missing'\n")
			return fmt.Errorf("exec: %w", kube.ExitError{Code: 1})
		}
		kubefake.Output(stdout, "ok\n")
		return nil
	}
	a := &Exec{Pod: "mysql-2", Container: "mysql", Command: []string{"mv", "/usr/bin/mysql", "/usr/bin/mysql.off"}}
	out, err := a.Run(context.Background(), env, func(Msg) {})
	if err != nil || out.Output != "ok\n" {
		t.Fatal(out, err)
	}
	if calls := f.Exec.Recorded(); len(calls) != 1 || calls[0].Pod != "mysql-2" || calls[0].Container != "mysql" || calls[0].Namespace != ns {
		t.Fatal(calls)
	}
	a.Command = []string{"mv", "/missing", "/x"}
	_, err = a.Run(context.Background(), env, func(Msg) {})
	if fl := asFailure(t, err); fl.Msg.ID != "StepExecExit" || fl.Msg.Args["Code"] != 1 || !strings.Contains(fl.Msg.Args["Output"].(string), "cannot stat") {
		t.Fatal(fl)
	}
}

func TestDeletePod(t *testing.T) {
	env, f := newEnv(t, mysqlPod("mysql-2", true))
	a := &DeletePod{Name: "mysql-2"}
	out, err := a.Run(context.Background(), env, func(Msg) {})
	if err != nil || out.Msg.ID != "OutcomeDeleted" {
		t.Fatal(out, err)
	}
	if _, err := f.Client.CoreV1().Pods(ns).Get(context.Background(), "mysql-2", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	out, err = a.Run(context.Background(), env, func(Msg) {}) // already gone is success
	if err != nil || out.Msg.ID != "OutcomeAlreadyGone" {
		t.Fatal(out, err)
	}
}

// evictions makes the fake's eviction subresource behave like the API
// server: it deletes the pod, unless blocked says a PDB forbids it.
func evictions(f *kubefake.Fakes, blocked func(name string) bool) *[]string {
	var evicted []string
	f.Client.Discovery().(*fakediscovery.FakeDiscovery).Resources = []*metav1.APIResourceList{{
		GroupVersion: "v1",
		APIResources: []metav1.APIResource{{Name: "pods/eviction", Kind: "Eviction", Group: "policy", Version: "v1"}},
	}}
	tracker := f.Client.Tracker()
	f.Client.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		ca := a.(k8stesting.CreateAction)
		if ca.GetSubresource() != "eviction" {
			return false, nil, nil
		}
		ev := ca.GetObject().(*policyv1.Eviction)
		if blocked != nil && blocked(ev.Name) {
			return true, nil, apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 10)
		}
		evicted = append(evicted, ev.Namespace+"/"+ev.Name)
		return true, nil, tracker.Delete(corev1.SchemeGroupVersion.WithResource("pods"), ev.Namespace, ev.Name)
	})
	return &evicted
}

func TestDrainEvictsOnlyTheLessonsPodsAndRecordsTheCordon(t *testing.T) {
	other := mysqlPod("someone-else", true)
	other.Namespace = "other"
	owned := func(p *corev1.Pod) {
		p.OwnerReferences = []metav1.OwnerReference{{Kind: "StatefulSet", Name: "mysql", APIVersion: "apps/v1", Controller: ptr(true)}}
	}
	env, f := newEnv(t, node("node-1", false), node("node-2", false),
		mysqlPod("mysql-2", true, onNode("node-1"), owned), mysqlPod("mysql-1", true, onNode("node-2"), owned), other)
	evicted := evictions(f, nil)
	var progress []string
	a := &Drain{NodeOp: NodeOp{Pod: "mysql-2"}}
	out, err := a.Run(context.Background(), env, func(m Msg) { progress = append(progress, m.String()) })
	if err != nil {
		t.Fatal(err)
	}
	if out.Msg.ID != "OutcomeDrained" || out.Msg.Args["Node"] != "node-1" {
		t.Fatal(out)
	}
	if strings.Join(*evicted, ",") != ns+"/mysql-2" {
		t.Fatalf("evicted %v", *evicted)
	}
	n, _ := f.Client.CoreV1().Nodes().Get(context.Background(), "node-1", metav1.GetOptions{})
	if !n.Spec.Unschedulable {
		t.Fatal("node-1 not cordoned")
	}
	if got := env.State.CordonedNodes(); len(got) != 1 || got[0] != "node-1" {
		t.Fatalf("recorded %v", got)
	}
	if !strings.Contains(strings.Join(progress, "\n"), "ProgressEvicted Pod=mysql-2") {
		t.Fatalf("progress %v", progress)
	}

	// Uncordon with no node: every node the run cordoned.
	out, err = (&Uncordon{}).Run(context.Background(), env, func(Msg) {})
	if err != nil || out.Msg.Args["Nodes"] != "node-1" {
		t.Fatal(out, err)
	}
	n, _ = f.Client.CoreV1().Nodes().Get(context.Background(), "node-1", metav1.GetOptions{})
	if n.Spec.Unschedulable || len(env.State.CordonedNodes()) != 0 {
		t.Fatal("node-1 still cordoned")
	}
	if err := (&Uncordoned{}).Wait(context.Background(), env, nil); err != nil {
		t.Fatal(err)
	}
}

func TestDrainBlockedByPDBStillRecordsCordon(t *testing.T) {
	owned := func(p *corev1.Pod) {
		p.OwnerReferences = []metav1.OwnerReference{{Kind: "StatefulSet", Name: "mysql", APIVersion: "apps/v1", Controller: ptr(true)}}
	}
	env, f := newEnv(t, node("node-1", false), mysqlPod("mysql-2", true, onNode("node-1"), owned))
	evictions(f, func(string) bool { return true })
	ctx, cancel := context.WithTimeout(context.Background(), 300*1e6)
	defer cancel()
	_, err := (&Drain{NodeOp: NodeOp{Pod: "mysql-2"}}).Run(ctx, env, func(Msg) {})
	if err == nil {
		t.Fatal("drain passed although every eviction is refused")
	}
	if got := env.State.CordonedNodes(); len(got) != 1 {
		t.Fatalf("cordon not recorded: %v", got)
	}
	// What Ctrl-C does: uncordon on a fresh context.
	nodes, err := UncordonAll(context.Background(), env)
	if err != nil || len(nodes) != 1 {
		t.Fatal(nodes, err)
	}
	n, _ := f.Client.CoreV1().Nodes().Get(context.Background(), "node-1", metav1.GetOptions{})
	if n.Spec.Unschedulable {
		t.Fatal("still cordoned")
	}
}

func TestCordonOfAlreadyCordonedNodeIsNotOurs(t *testing.T) {
	env, _ := newEnv(t, node("node-1", true), mysqlPod("mysql-2", true, onNode("node-1")))
	if _, err := (&Cordon{NodeOp: NodeOp{Node: "node-1"}}).Run(context.Background(), env, func(Msg) {}); err != nil {
		t.Fatal(err)
	}
	if got := env.State.CordonedNodes(); len(got) != 0 {
		t.Fatalf("someone else's cordon recorded: %v", got)
	}
}

func TestScale(t *testing.T) {
	sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "mysql", Namespace: ns}, Spec: appsv1.StatefulSetSpec{Replicas: ptr(int32(3))}}
	env, f := newEnv(t, sts)
	for _, want := range []int{5, 5, 3} { // the same number twice is harmless
		out, err := (&Scale{StatefulSet: "mysql", Replicas: want}).Run(context.Background(), env, func(Msg) {})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := f.Client.AppsV1().StatefulSets(ns).Get(context.Background(), "mysql", metav1.GetOptions{})
		if int(*got.Spec.Replicas) != want || out.Msg.Args["To"] != want {
			t.Fatalf("replicas %d, want %d (%v)", *got.Spec.Replicas, want, out.Msg)
		}
	}
	_, err := (&Scale{StatefulSet: "nope", Replicas: 1}).Run(context.Background(), env, func(Msg) {})
	if f := asFailure(t, err); f.Msg.ID != "StepScaleFailed" {
		t.Fatal(f)
	}
}

func pvc(name string, phase corev1.PersistentVolumeClaimPhase) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": "mysql"}, UID: k8stypes.UID("uid-" + name)},
		Status: corev1.PersistentVolumeClaimStatus{Phase: phase}}
}

func TestDeletePVCs(t *testing.T) {
	env, f := newEnv(t, pvc("data-mysql-3", corev1.ClaimBound), pvc("data-mysql-4", corev1.ClaimBound), pvc("data-mysql-0", corev1.ClaimBound))
	out, err := (&DeletePVCs{Names: []string{"data-mysql-3", "data-mysql-4", "data-mysql-9"}}).Run(context.Background(), env, func(Msg) {})
	if err != nil || out.Msg.Args["Count"] != 3 {
		t.Fatal(out, err)
	}
	l, _ := f.Client.CoreV1().PersistentVolumeClaims(ns).List(context.Background(), metav1.ListOptions{})
	if len(l.Items) != 1 {
		t.Fatalf("%d claims left", len(l.Items))
	}
}

func TestCleanupDeletesSelectedAndUncordons(t *testing.T) {
	keep := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "keep", Namespace: ns}}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "mysql", Namespace: ns, Labels: map[string]string{"app": "mysql"}}}
	sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "mysql", Namespace: ns, Labels: map[string]string{"app": "mysql"}}}
	env, f := newEnv(t, keep, cm, sts, pvc("data-mysql-0", corev1.ClaimBound), mysqlPod("mysql-0", true), node("node-1", true))
	env.State.Cordoned("node-1")
	out, err := (&Cleanup{}).Run(context.Background(), env, func(Msg) {})
	if err != nil {
		t.Fatal(err)
	}
	if out.Msg.Args["Count"] != 4 || out.Msg.Args["Nodes"] != "node-1" {
		t.Fatalf("outcome %v\n%s", out.Msg, out.Output)
	}
	if _, err := f.Client.CoreV1().ConfigMaps(ns).Get(context.Background(), "keep", metav1.GetOptions{}); err != nil {
		t.Fatal("unlabelled configmap deleted")
	}
	for _, c := range []Check{
		&Absent{ObjectRef{Kind: "Pod", Selector: "app=mysql"}},
		&Absent{ObjectRef{Kind: "PersistentVolumeClaim", Selector: "app=mysql"}},
		&Absent{ObjectRef{Kind: "StatefulSet", Selector: "app=mysql"}},
		&Uncordoned{},
	} {
		if err := c.Wait(context.Background(), env, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// A StatefulSet controller that has not seen its StatefulSet deleted (its
// watch lagging after an API server restart, as seen on the lab) re-creates
// a pod, and with it the pod's claim, after the cleanup deleted both: the
// cleanup waits for the pods to go and deletes the claim again.
func TestCleanupDeletesClaimsRecreatedMeanwhile(t *testing.T) {
	sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "mysql", Namespace: ns, Labels: map[string]string{"app": "mysql"}}}
	env, f := newEnv(t, sts, pvc("data-mysql-0", corev1.ClaimBound), mysqlPod("mysql-0", true))
	ctx := context.Background()
	recreated := false
	f.Dynamic.PrependReactor("delete", "persistentvolumeclaims", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if recreated {
			return false, nil, nil
		}
		recreated = true
		tracker := f.Client.Tracker()
		gvr := a.GetResource()
		if err := tracker.Delete(gvr, ns, "data-mysql-0"); err != nil {
			return true, nil, err
		}
		again := pvc("data-mysql-0", corev1.ClaimPending)
		again.UID = "uid-again"
		if err := tracker.Create(gvr, again, ns); err != nil {
			return true, nil, err
		}
		return true, nil, tracker.Create(corev1.SchemeGroupVersion.WithResource("pods"), mysqlPod("mysql-0", false), ns)
	})
	var once sync.Once
	f.DynamicWatching = func(resource string) {
		if resource == "pods" && recreated {
			// The garbage collector removes the orphaned pod.
			once.Do(func() { go f.Client.CoreV1().Pods(ns).Delete(ctx, "mysql-0", metav1.DeleteOptions{}) })
		}
	}
	_, err := (&Cleanup{}).Run(ctx, env, func(Msg) {})
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := f.Client.CoreV1().PersistentVolumeClaims(ns).List(ctx, metav1.ListOptions{}); !recreated || len(l.Items) != 0 {
		t.Fatalf("re-created %v; claims left: %v", recreated, l.Items)
	}
}

func TestActionErrorsAreFailures(t *testing.T) {
	env, f := newEnv(t)
	f.Client.PrependReactor("delete", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(corev1.Resource("pods"), "mysql-2", errors.New("no"))
	})
	_, err := (&DeletePod{Name: "mysql-2"}).Run(context.Background(), env, func(Msg) {})
	if fl := asFailure(t, err); fl.Msg.ID != "StepDeleteFailed" || fl.Hint.ID != "HintForbidden" {
		t.Fatal(fl)
	}
}

func ptr[T any](v T) *T { return &v }
