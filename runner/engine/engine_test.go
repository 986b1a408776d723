package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	authv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubetutor/kubetutor/i18n"
	"github.com/kubetutor/kubetutor/runner/kube/kubefake"
	"github.com/kubetutor/kubetutor/runner/l10n"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

const ns = "tutor"

const image = "kubetutor.local/mariadb:10.11"

var testManifests = fstest.MapFS{
	"mini/configmap.yaml": {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: mini, labels: {app: mini}}\ndata: {a: b}\n")},
}

func readyNode(name string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{
		Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
		Images:     []corev1.ContainerImage{{Names: []string{image}}},
	}}
}

func defaultClass() *storagev1.StorageClass {
	return &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "standard",
		Annotations: map[string]string{defaultClassAnnotation: "true"}}, Provisioner: "hostpath"}
}

// allow makes every SelfSubjectAccessReview allowed, or denies verbs in deny.
func allow(f *kubefake.Fakes, deny ...string) {
	f.Client.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authv1.SelfSubjectAccessReview)
		ra := r.Spec.ResourceAttributes
		r.Status.Allowed = true
		for _, d := range deny {
			if d == ra.Verb+" "+ra.Resource {
				r.Status.Allowed = false
			}
		}
		return true, r, nil
	})
}

func miniLesson(steps ...lesson.Step) *lesson.Lesson {
	return &lesson.Lesson{ID: "mini", Spec: lesson.Spec{
		Selector: "app=mini", Timeout: lesson.Duration(300 * time.Millisecond),
		Images: map[string]string{"mariadb": image}, Requires: lesson.Requirements{StorageClass: true},
		Steps: steps,
	}}
}

var (
	applyStep = lesson.Step{ID: "apply", Action: step.ActionOf(&step.Apply{Files: []string{"mini/configmap.yaml"}}),
		Checks: []lesson.Check{step.CheckOf(&step.Exists{ObjectRef: step.ObjectRef{Kind: "ConfigMap", Name: "mini"}})}}
	drainStep = lesson.Step{ID: "drain", Requires: lesson.Requirements{Nodes: 2}, Action: step.ActionOf(&step.Drain{NodeOp: step.NodeOp{Pod: "mini-0"}}),
		Checks: []lesson.Check{step.CheckOf(&step.NodeChanged{Pod: "mini-0"})}}
	failStep = lesson.Step{ID: "wait-pod", Action: step.ActionOf(&step.Wait{}),
		Checks: []lesson.Check{func() lesson.Check {
			c := step.CheckOf(&step.PodsReady{Names: []string{"mini-0"}})
			c.Name = "mini-0 comes up"
			return c
		}(), step.CheckOf(&step.Exists{ObjectRef: step.ObjectRef{Kind: "ConfigMap", Name: "mini"}})}}
	laterStep = lesson.Step{ID: "later", Action: step.ActionOf(&step.Wait{}),
		Checks: []lesson.Check{step.CheckOf(&step.Exists{ObjectRef: step.ObjectRef{Kind: "ConfigMap", Name: "mini"}})}}
)

func tr(t testing.TB) *l10n.Translator {
	t.Helper()
	cat, err := l10n.LoadCatalog(i18n.FS)
	if err != nil {
		t.Fatal(err)
	}
	return cat.Translator("en")
}

// recorder is an Observer that keeps every event.
type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) Observe(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) kinds() []EventKind {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []EventKind
	for _, e := range r.events {
		if e.Kind != Progress {
			out = append(out, e.Kind)
		}
	}
	return out
}

func TestRunFailureSkipsUnavailableAndCleansUp(t *testing.T) {
	c, f := kubefake.New(ns, readyNode("node-1"), defaultClass(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	allow(f)
	rec := &recorder{}
	var text bytes.Buffer
	eng := New(c, miniLesson(applyStep, drainStep, failStep, laterStep), testManifests, Options{Lang: "en"},
		Multi(rec, &Text{W: &text, Tr: tr(t)}))
	res := eng.Run(context.Background())

	if res.Passed {
		t.Fatal("passed")
	}
	got := map[string]Status{}
	for _, s := range res.Steps {
		got[s.ID] = s.Status
	}
	want := map[string]Status{"apply": Passed, "drain": Unavailable, "wait-pod": Failed, "later": Skipped}
	for id, st := range want {
		if got[id] != st {
			t.Errorf("step %s: %s, want %s", id, got[id], st)
		}
	}
	if r := res.Steps[1].Reason; r.ID != "ReasonNodes" || r.Args["Have"] != 1 {
		t.Errorf("unavailable reason %v", r)
	}
	fc := res.Steps[2].Checks
	if fc[0].Status != Failed || fc[0].Failure.Msg.ID != "StatePodMissing" || !fc[0].Failure.TimedOut || fc[1].Status != Skipped {
		t.Errorf("checks %+v", fc)
	}
	// The aftermath deleted the configmap the run created.
	if res.Aftermath == nil || strings.Join(res.Aftermath.Deleted, ",") != "configmaps/mini" {
		t.Fatalf("aftermath %+v", res.Aftermath)
	}
	if _, err := f.Client.CoreV1().ConfigMaps(ns).Get(context.Background(), "mini", metav1.GetOptions{}); err == nil {
		t.Error("configmap left behind")
	}
	for _, p := range res.Preflight {
		if p.Status == Failed {
			t.Errorf("preflight %v: %v", p.Name, p.Msg)
		}
	}
	k := rec.kinds()
	if k[0] != PreflightStarted || k[len(k)-1] != RunDone || k[len(k)-2] != AftermathDone {
		t.Errorf("events %v", k)
	}
	out := text.String()
	for _, want := range []string{
		" ✓ cluster: Kubernetes", "Step 1/4: apply", " ✓ ConfigMap mini exists (",
		" – drain: unavailable: this step needs 2 schedulable nodes; the cluster has 1",
		" ✗ mini-0 comes up (", "timed out after 300ms: mini-0 does not exist (yet)",
		"hint: look at the pod", "Cleaning up (a step failed)", "deleted 1 object(s): configmaps/mini",
		"✗ lesson mini failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
}

func TestRunPassesAndWritesJSON(t *testing.T) {
	c, f := kubefake.New(ns, readyNode("node-1"), readyNode("node-2"), defaultClass())
	allow(f)
	res := New(c, miniLesson(applyStep, laterStep), testManifests, Options{Lang: "ja"}, nil).Run(context.Background())
	if !res.Passed || res.Aftermath != nil {
		t.Fatalf("%+v", res)
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, tr(t), res); err != nil {
		t.Fatal(err)
	}
	// Exactly the documented keys.
	var raw map[string]any
	if err := json.Unmarshal(b.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]any) string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		sortStrings(ks)
		return strings.Join(ks, ",")
	}
	if k := keys(raw); k != "lang,lesson,passed,steps" {
		t.Fatal(k)
	}
	steps := raw["steps"].([]any)
	if len(steps) != 3 || steps[0].(map[string]any)["id"] != "preflight" || steps[1].(map[string]any)["id"] != "apply" {
		t.Fatalf("steps %v", steps)
	}
	st := steps[1].(map[string]any)
	if k := keys(st); k != "checks,duration_ms,id,status" {
		t.Fatal(k)
	}
	ch := st["checks"].([]any)[0].(map[string]any)
	if k := keys(ch); k != "duration_ms,message,name,status" {
		t.Fatal(k)
	}
	if ch["name"] != "ConfigMap mini exists" || ch["status"] != "passed" || raw["lang"] != "ja" || raw["passed"] != true {
		t.Fatalf("%v", raw)
	}
}

func TestJUnit(t *testing.T) {
	res := &Result{Lesson: "mini", Lang: "en", Steps: []StepResult{
		{ID: "a", Status: Passed, Checks: []CheckResult{{Name: "one", Status: Passed, Duration: 1500 * time.Millisecond}}},
		{ID: "b", Status: Failed, Checks: []CheckResult{{Name: "two", Status: Failed, Failure: &failure}}},
		{ID: "c", Status: Unavailable, Reason: reasonNodes, Checks: []CheckResult{{Name: "three", Status: Unavailable, Reason: reasonNodes}}},
	}}
	var b bytes.Buffer
	if err := WriteJUnit(&b, tr(t), res); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if doc.Tests != 3 || doc.Failures != 1 || doc.Skipped != 1 || len(doc.Suites) != 3 {
		t.Fatalf("%+v", doc)
	}
	if c := doc.Suites[0].Cases[0]; c.Time != "1.500" || c.Classname != "mini.a" {
		t.Fatalf("%+v", c)
	}
	if f := doc.Suites[1].Cases[0].Failure; f == nil || !strings.Contains(f.Body, "hint:") {
		t.Fatalf("%+v", f)
	}
}

func TestInterruptUncordonsOnFreshContext(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "mini-0", Namespace: ns}, Spec: corev1.PodSpec{NodeName: "node-1"}}
	c, f := kubefake.New(ns, readyNode("node-1"), readyNode("node-2"), defaultClass(), pod)
	allow(f)
	// Cordon, then wait on a check that never passes; Ctrl-C arrives.
	cordon := lesson.Step{ID: "cordon", Timeout: lesson.Duration(time.Minute), Action: step.ActionOf(&step.Cordon{NodeOp: step.NodeOp{Pod: "mini-0"}}),
		Checks: []lesson.Check{step.CheckOf(&step.NodeChanged{Pod: "mini-0"})}}
	ctx, cancel := context.WithCancel(context.Background())
	obs := ObserverFunc(func(e Event) {
		if e.Kind == CheckStarted {
			cancel() // as SIGINT does through app.Main's context
		}
	})
	res := New(c, miniLesson(cordon, laterStep), testManifests, Options{Lang: "en", NoCleanup: true}, obs).Run(ctx)
	if !res.Interrupted || res.Passed {
		t.Fatalf("%+v", res)
	}
	if res.Aftermath == nil || strings.Join(res.Aftermath.Uncordoned, ",") != "node-1" || !res.Aftermath.CleanupSkipped {
		t.Fatalf("aftermath %+v", res.Aftermath)
	}
	n, _ := f.Client.CoreV1().Nodes().Get(context.Background(), "node-1", metav1.GetOptions{})
	if n.Spec.Unschedulable {
		t.Fatal("node left cordoned after Ctrl-C")
	}
	if res.Steps[0].Checks[0].Failure.Msg.ID != "StepCanceled" || res.Steps[1].Status != Skipped {
		t.Fatalf("%+v", res.Steps)
	}
}

func TestPreflight(t *testing.T) {
	cases := []struct {
		name    string
		objects []runtime.Object
		deny    []string
		want    map[string]Status // preflight item ID → status
	}{
		{"all good", []runtime.Object{readyNode("n1"), readyNode("n2"), defaultClass()}, nil,
			map[string]Status{"PreflightNodes": Passed, "PreflightStorageClass": Passed, "PreflightPermissions": Passed, "PreflightImages": Passed, "PreflightNamespace": Passed}},
		{"one node, no class, denied", []runtime.Object{readyNode("n1")}, []string{"patch nodes"},
			map[string]Status{"PreflightNodes": Warning, "PreflightStorageClass": Failed, "PreflightPermissions": Warning}},
		{"namespaced verb denied", []runtime.Object{readyNode("n1"), readyNode("n2"), defaultClass()}, []string{"create configmaps"},
			map[string]Status{"PreflightPermissions": Failed}},
		{"images missing", []runtime.Object{&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}, Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}}, defaultClass()}, nil,
			map[string]Status{"PreflightImages": Warning}},
		{"foreign object", []runtime.Object{readyNode("n1"), readyNode("n2"), defaultClass(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "mini", Namespace: ns}}}, nil,
			map[string]Status{"PreflightConflicts": Failed}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, f := kubefake.New(ns, tc.objects...)
			allow(f, tc.deny...)
			e := New(c, miniLesson(applyStep, drainStep), testManifests, Options{}, nil)
			got := map[string]Status{}
			for _, it := range e.Preflight(context.Background()) {
				got[it.Name.ID] = it.Status
			}
			for id, st := range tc.want {
				if got[id] != st {
					t.Errorf("%s = %s, want %s (all: %v)", id, got[id], st, got)
				}
			}
		})
	}
}

func TestImageNames(t *testing.T) {
	got := strings.Join(imageNames("mariadb"), " ")
	if got != "mariadb docker.io/library/mariadb mariadb:latest docker.io/library/mariadb:latest" {
		t.Fatal(got)
	}
	if got := strings.Join(imageNames("kubetutor.local/mariadb:10.11"), " "); got != "kubetutor.local/mariadb:10.11" {
		t.Fatal(got)
	}
}

func BenchmarkRunMiniLesson(b *testing.B) {
	for i := 0; i < b.N; i++ {
		c, f := kubefake.New(ns, readyNode("node-1"), readyNode("node-2"), defaultClass())
		allow(f)
		if res := New(c, miniLesson(applyStep, laterStep), testManifests, Options{}, nil).Run(context.Background()); !res.Passed {
			b.Fatal("failed")
		}
	}
}
