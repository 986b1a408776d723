//go:build e2e

package workshop

// The evaluator's cost on a real API server: 100 learner namespaces of
// the MySQL lesson's objects (ConfigMap, Services, a StatefulSet of 0
// replicas, three pods held Pending by a scheduling gate, three claims of
// a StorageClass that does not exist, events), no running pods. Every
// HTTP request the evaluator makes goes through a counting
// http.RoundTripper. The test asserts at most 2 × kinds requests until
// the first snapshot (one LIST and one WATCH per kind), none naming a
// learner's namespace, and none more while a change arrives; the
// benchmark prints the first snapshot's time and the request count:
//
//	go test -tags e2e -run XXX -bench WorkshopE2E ./runner/workshop/
//
// (KUBECONFIG pointing at the lab). A real API server is what makes the
// count honest: the fake clientset makes no HTTP requests at all.

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubetutor/kubetutor/manifests"
	"github.com/kubetutor/kubetutor/runner/kube"
)

const scaleLearners = 100

// counter is an http.RoundTripper that records every request.
type counter struct {
	next http.RoundTripper
	mu   sync.Mutex
	reqs []string
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.reqs = append(c.reqs, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

func (c *counter) reset() {
	c.mu.Lock()
	c.reqs = nil
	c.mu.Unlock()
}

func (c *counter) requests() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.reqs...)
}

// scaleClass is a class of scaleLearners namespaces on the cluster of
// KUBECONFIG, seeded once, and a cluster seam whose every request is
// counted. The RESTMapper's discovery is done before counting starts.
type scaleClass struct {
	name    string
	admin   kubernetes.Interface
	counted *kube.Cluster
	count   *counter
}

var (
	scaleOnce sync.Once
	scaleSet  *scaleClass
	scaleErr  error
)

func setupScale(tb testing.TB) *scaleClass {
	tb.Helper()
	scaleOnce.Do(func() { scaleSet, scaleErr = seedScale() })
	if scaleErr != nil {
		tb.Fatal(scaleErr)
	}
	return scaleSet
}

func seedScale() (*scaleClass, error) {
	kubeconfig := os.Getenv("KUBECONFIG")
	if kubeconfig == "" {
		return nil, fmt.Errorf("KUBECONFIG is not set: point it at a cluster (make lab-up writes .lab/kubeconfig)")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 200, 400
	admin, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	s := &scaleClass{name: fmt.Sprintf("ktscale%d", time.Now().Unix()%100000), admin: admin}
	ctx := context.Background()
	learners, _ := Learners(s.name, scaleLearners, nil)
	var errs []error
	var mu sync.Mutex
	forEach(ctx, learners, 16, func(l string) {
		if err := seedLearner(ctx, admin, s.name, l); err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
	})
	if len(errs) > 0 {
		return s, errs[0]
	}
	// The counted seam: the evaluator's clients only.
	c := &counter{}
	ccfg := *cfg
	ccfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { c.next = rt; return c })
	client, err := kubernetes.NewForConfig(&ccfg)
	if err != nil {
		return nil, err
	}
	md, err := metadata.NewForConfig(&ccfg)
	if err != nil {
		return nil, err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	s.counted = kube.NewFromParts(kube.Parts{Client: client, Metadata: md, Mapper: mapper})
	s.count = c
	return s, nil
}

func seedLearner(ctx context.Context, c kubernetes.Interface, workshop, learner string) error {
	ns := workshop + "-" + learner
	labels := map[string]string{"app": "mysql"}
	om := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels}
	}
	if _, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns,
		Labels: map[string]string{LabelWorkshop: workshop, LabelLearner: learner, LabelLesson: "mysql"}}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	if _, err := c.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: om("mysql"), Data: map[string]string{"a": "b"}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	for _, svc := range []string{"mysql", "mysql-read"} {
		if _, err := c.CoreV1().Services(ns).Create(ctx, &corev1.Service{ObjectMeta: om(svc), Spec: corev1.ServiceSpec{
			ClusterIP: corev1.ClusterIPNone, Selector: labels, Ports: []corev1.ServicePort{{Port: 3306, TargetPort: intstr.FromInt32(3306)}}}}, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	zero := int32(0)
	tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{
		Containers: []corev1.Container{{Name: "mysql", Image: "kubetutor.local/pause:3.10"}}}}
	if _, err := c.AppsV1().StatefulSets(ns).Create(ctx, &appsv1.StatefulSet{ObjectMeta: om("mysql"), Spec: appsv1.StatefulSetSpec{
		Replicas: &zero, ServiceName: "mysql", Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: tmpl}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	class := "kubetutor-none"
	for i := range 3 {
		p := &corev1.Pod{ObjectMeta: om(fmt.Sprintf("mysql-%d", i)), Spec: tmpl.Spec}
		p.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "kubetutor.io/never"}} // never scheduled, never runs
		if _, err := c.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			return err
		}
		if _, err := c.CoreV1().PersistentVolumeClaims(ns).Create(ctx, &corev1.PersistentVolumeClaim{ObjectMeta: om(fmt.Sprintf("data-mysql-%d", i)),
			Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: &class, AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}}}, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	now := metav1.Now()
	for i := range 5 {
		if _, err := c.CoreV1().Events(ns).Create(ctx, &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("mysql-0.e%d", i), Namespace: ns},
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "mysql-0", Namespace: ns}, Reason: "Scheduled", Type: corev1.EventTypeNormal,
			Message: "Successfully assigned " + ns + "/mysql-0 to nowhere", FirstTimestamp: now, LastTimestamp: now}, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	return nil
}

// TestMain removes the scale test's namespaces after the test and the
// benchmark that share them.
func TestMain(m *testing.M) {
	code := m.Run()
	if scaleSet != nil {
		if err := scaleSet.teardown(); err != nil {
			fmt.Fprintln(os.Stderr, "scale teardown:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func (s *scaleClass) teardown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	l, err := s.admin.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: LabelWorkshop + "=" + s.name})
	if err != nil {
		return err
	}
	for _, n := range l.Items {
		if err := s.admin.CoreV1().Namespaces().Delete(ctx, n.Name, metav1.DeleteOptions{}); err != nil {
			return err
		}
	}
	return nil
}

// firstSnapshot starts an evaluator on the counted seam and returns it
// (running until ctx ends) with the time its first snapshot took.
func (s *scaleClass) firstSnapshot(ctx context.Context, tb testing.TB) (*Evaluator, time.Duration) {
	tb.Helper()
	c := &Class{Name: s.name, Lesson: mysql(tb), Cluster: s.counted, Manifests: manifests.FS, StateDir: tb.TempDir()}
	e, err := NewEvaluator(c) // resolves the kinds: discovery, not counted
	if err != nil {
		tb.Fatal(err)
	}
	s.count.reset()
	start := time.Now()
	if err := e.Start(ctx); err != nil {
		tb.Fatal(err)
	}
	took := time.Since(start)
	if n := len(e.Snapshot().Learners); n != scaleLearners {
		tb.Fatalf("first snapshot has %d learners, want %d", n, scaleLearners)
	}
	return e, took
}

func TestWorkshopE2EScale(t *testing.T) {
	s := setupScale(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e, took := s.firstSnapshot(ctx, t)
	first := s.count.requests()
	t.Logf("first snapshot of %d learners: %s, %d requests for %d kinds", scaleLearners, took.Round(time.Millisecond), len(first), e.Kinds())
	if len(first) > 2*e.Kinds() {
		t.Errorf("%d requests until the first snapshot, want ≤ 2 × %d kinds:\n%s", len(first), e.Kinds(), strings.Join(first, "\n"))
	}

	// A change in one learner's namespace arrives through the watches.
	up := e.Updates(ctx)
	<-up
	ns := s.name + "-042"
	if _, err := s.admin.CoreV1().Events(ns).Create(ctx, warning(ns, "BackOff", "mysql-1", time.Now()), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for arrived := false; !arrived; {
		select {
		case snap := <-up:
			for _, l := range snap.Learners {
				if l.Namespace == ns && strings.HasPrefix(l.LastWarning, "BackOff") {
					arrived = true
				}
			}
		case <-deadline:
			t.Fatal("the change did not arrive within 10 s")
		}
	}
	all := s.count.requests()
	for _, r := range all {
		if strings.Contains(r, "/namespaces/"+s.name+"-") {
			t.Errorf("a per-learner request: %s", r)
		}
	}
	if len(all) > 2*e.Kinds() {
		t.Errorf("%d requests in all, want ≤ 2 × %d kinds (one LIST and one WATCH each):\n%s", len(all), e.Kinds(), strings.Join(all, "\n"))
	}
	t.Logf("requests in all, the change included: %d\n%s", len(all), strings.Join(all, "\n"))
}

// BenchmarkWorkshopE2EFirstSnapshot prints the first snapshot's time and
// its request count for 100 learners.
func BenchmarkWorkshopE2EFirstSnapshot(b *testing.B) {
	s := setupScale(b)
	var reqs int
	var took time.Duration
	for b.Loop() {
		ctx, cancel := context.WithCancel(context.Background())
		_, d := s.firstSnapshot(ctx, b)
		took += d
		reqs += len(s.count.requests())
		cancel()
	}
	b.ReportMetric(float64(took.Milliseconds())/float64(b.N), "ms/first-snapshot")
	b.ReportMetric(float64(reqs)/float64(b.N), "requests/first-snapshot")
	b.ReportMetric(scaleLearners, "learners")
}
