package evidence

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

// cluster simulates what a namespace shows while a learner goes through the
// MySQL lesson: objects come and go, and the events the controllers,
// scheduler and kubelets would record accumulate.
type cluster struct {
	t      time.Time
	h      *step.History
	uid    int
	nodeOf map[string]string
}

var (
	configMaps   = schema.GroupResource{Resource: "configmaps"}
	services     = schema.GroupResource{Resource: "services"}
	statefulSets = schema.GroupResource{Group: "apps", Resource: "statefulsets"}
)

func newCluster() *cluster {
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	h := &step.History{Namespace: "ns", Lesson: "mysql", Now: t0,
		Pods: map[string]*corev1.Pod{}, PVCs: map[string]*corev1.PersistentVolumeClaim{}, Nodes: map[string]*corev1.Node{},
		Objects: map[schema.GroupResource]map[string]metav1.Object{configMaps: {}, services: {}, statefulSets: {}},
		Resolve: func(kind string) (schema.GroupResource, error) {
			switch strings.Split(kind, ".")[0] {
			case "ConfigMap":
				return configMaps, nil
			case "Service":
				return services, nil
			case "StatefulSet":
				return statefulSets, nil
			}
			return schema.GroupResource{}, fmt.Errorf("unknown kind %s", kind)
		}}
	for _, n := range []string{"node-a", "node-b", "node-c"} {
		h.Nodes[n] = &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n}}
	}
	return &cluster{t: t0, h: h, nodeOf: map[string]string{}}
}

func (c *cluster) tick(d time.Duration) time.Time { c.t = c.t.Add(d); c.h.Now = c.t; return c.t }

func (c *cluster) meta(name string) metav1.ObjectMeta {
	c.uid++
	return metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID(fmt.Sprintf("uid-%d", c.uid)),
		CreationTimestamp: metav1.NewTime(c.t), Labels: map[string]string{"app": "mysql"}}
}

func (c *cluster) event(kind, name string, uid types.UID, reason, msg string, first, last time.Time) {
	c.h.Events = append(c.h.Events, &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: fmt.Sprintf("%s.%d", name, len(c.h.Events)), Namespace: "ns"},
		InvolvedObject: corev1.ObjectReference{Kind: kind, Name: name, Namespace: "ns", UID: uid},
		Reason:         reason, Message: msg, FirstTimestamp: metav1.NewTime(first), LastTimestamp: metav1.NewTime(last)})
}

// startPod creates pod name on node: scheduled, started with a few failed
// readiness probes while MySQL starts, Ready 5 s later.
func (c *cluster) startPod(name, node string) {
	m := c.meta(name)
	p := &corev1.Pod{ObjectMeta: m, Spec: corev1.PodSpec{NodeName: node}}
	c.event("Pod", name, m.UID, "Scheduled", "Successfully assigned ns/"+name+" to "+node, c.t, c.t)
	c.event("Pod", name, m.UID, "Started", "Started container mysql", c.t.Add(time.Second), c.t.Add(time.Second))
	c.event("Pod", name, m.UID, "Unhealthy", "Readiness probe failed: ERROR 2002", c.t.Add(2*time.Second), c.t.Add(4*time.Second))
	c.tick(5 * time.Second)
	p.Status = corev1.PodStatus{Phase: corev1.PodRunning,
		Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(c.t)}},
		ContainerStatuses: []corev1.ContainerStatus{{Name: "mysql", Ready: true}, {Name: "backup", Ready: true}}}
	c.h.Pods[name] = p
	c.nodeOf[name] = node
}

func (c *cluster) deletePod(name string) {
	p := c.h.Pods[name]
	c.event("Pod", name, p.UID, "Killing", "Stopping container mysql", c.t, c.t)
	delete(c.h.Pods, name)
	c.tick(2 * time.Second)
}

func (c *cluster) setReady(name string, ready bool) {
	p := c.h.Pods[name]
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	} else {
		c.event("Pod", name, p.UID, "Unhealthy", "Readiness probe failed: sh: 1: mysql: not found", c.t, c.t.Add(8*time.Second))
		c.h.Events[len(c.h.Events)-1].Count = 5 // failed every 2 s: out of service after 3
	}
	p.Status.Conditions[0] = corev1.PodCondition{Type: corev1.PodReady, Status: st, LastTransitionTime: metav1.NewTime(c.t)}
	p.Status.ContainerStatuses[0].Ready = ready
	c.tick(10 * time.Second)
}

func (c *cluster) pvc(name string) {
	c.h.PVCs[name] = &corev1.PersistentVolumeClaim{ObjectMeta: c.meta(name), Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound}}
	c.event("PersistentVolumeClaim", name, c.h.PVCs[name].UID, "ProvisioningSucceeded", "Successfully provisioned volume", c.t, c.t)
}

func (c *cluster) object(gr schema.GroupResource, name string) {
	m := c.meta(name)
	c.h.Objects[gr][name] = &m
}

// mysqlSteps are what each step of the MySQL lesson does to the cluster,
// in the lesson's order.
var mysqlSteps = []func(c *cluster){
	func(c *cluster) { c.object(configMaps, "mysql") },
	func(c *cluster) { c.object(services, "mysql"); c.object(services, "mysql-read") },
	func(c *cluster) {
		c.object(statefulSets, "mysql")
		for i, n := range []string{"node-a", "node-b", "node-c"} {
			c.pvc(fmt.Sprintf("data-mysql-%d", i))
			c.startPod(fmt.Sprintf("mysql-%d", i), n)
		}
	},
	func(c *cluster) {}, // replication-running: SQL only
	func(c *cluster) {}, // write-data
	func(c *cluster) {}, // read-loop
	func(c *cluster) { c.setReady("mysql-2", false) },
	func(c *cluster) { c.setReady("mysql-2", true) },
	func(c *cluster) { c.deletePod("mysql-2"); c.startPod("mysql-2", "node-c") }, // same node again
	func(c *cluster) { // drain
		n := c.h.Nodes["node-c"]
		n.Spec.Unschedulable, n.Annotations = true, map[string]string{step.CordonedByAnnotation: "ns/mysql"}
		c.deletePod("mysql-2")
		c.startPod("mysql-2", "node-b")
	},
	func(c *cluster) { n := c.h.Nodes["node-c"]; n.Spec.Unschedulable, n.Annotations = false, nil },
	func(c *cluster) {
		for _, i := range []int{3, 4} {
			c.pvc(fmt.Sprintf("data-mysql-%d", i))
			c.startPod(fmt.Sprintf("mysql-%d", i), "node-a")
		}
	},
	func(c *cluster) { c.deletePod("mysql-4"); c.deletePod("mysql-3") },
	func(c *cluster) {
		delete(c.h.PVCs, "data-mysql-3")
		delete(c.h.PVCs, "data-mysql-4")
		c.tick(time.Second)
	},
	func(c *cluster) { // cleanup
		for n := range c.h.Pods {
			c.deletePod(n)
		}
		c.h.PVCs = map[string]*corev1.PersistentVolumeClaim{}
		for _, gr := range []schema.GroupResource{configMaps, services, statefulSets} {
			c.h.Objects[gr] = map[string]metav1.Object{}
		}
	},
}

func mysqlLesson(t *testing.T) *lesson.Lesson {
	t.Helper()
	l, probs, err := lesson.Load(lessons.FS, "lessons", "mysql", step.Kinds())
	if err != nil || len(probs) > 0 {
		t.Fatalf("load: %v %v", err, probs)
	}
	if len(l.Spec.Steps) != len(mysqlSteps) {
		t.Fatalf("the simulation knows %d steps, the lesson has %d", len(mysqlSteps), len(l.Spec.Steps))
	}
	return l
}

// TestJudgeMySQLFromCluster goes through the MySQL lesson step by step and
// judges, after each, how far the learner got from the cluster alone (no
// record): every step is found, except the SQL-only steps, which count once
// a later step proves itself — and no step that a later one undid by design
// sends the learner back.
func TestJudgeMySQLFromCluster(t *testing.T) {
	l := mysqlLesson(t)
	c := newCluster()
	for i, do := range mysqlSteps {
		c.tick(10 * time.Second)
		do(c)
		got := Judge(l.Spec.Steps, c.h, nil)
		want := i
		if id := l.Spec.Steps[i].ID; id == "replication-running" || id == "write-data" || id == "read-loop" {
			want = 2 // SQL only: apply-statefulset is the last thing the cluster shows
		}
		if got.Reached != want {
			t.Errorf("after step %d (%s): reached %d, want %d\n%s", i, l.Spec.Steps[i].ID, got.Reached, want, dump(got))
		}
	}
}

// TestJudgeRecord: a record fills in what the cluster cannot show (SQL
// steps) but never outweighs a step the cluster shows has not happened, and
// a record of an attempt before the epoch does not count.
func TestJudgeRecord(t *testing.T) {
	l := mysqlLesson(t)
	c := newCluster()
	rec := Record{}
	for i := 0; i <= 5; i++ { // through read-loop
		c.tick(10 * time.Second)
		mysqlSteps[i](c)
		rec[l.Spec.Steps[i].ID] = c.t
	}
	if got := Judge(l.Spec.Steps, c.h, rec); got.Reached != 5 || got.Steps[4].How != Recorded {
		t.Errorf("with the record: reached %d, want 5\n%s", got.Reached, dump(got))
	}
	c.h.Epoch = c.t.Add(time.Second)
	if got := Judge(l.Spec.Steps, c.h, rec); got.Reached != -1 {
		t.Errorf("after a reset: reached %d, want -1\n%s", got.Reached, dump(got))
	}
}

// TestJudgeKilledDuringDrain: the tutor was killed while draining — the
// node is still cordoned with the lesson's mark, mysql-2 was evicted and
// its replacement is not Ready yet. The learner resumes at the drain step,
// not before it.
func TestJudgeKilledDuringDrain(t *testing.T) {
	l := mysqlLesson(t)
	c := newCluster()
	rec := Record{}
	for i := 0; i <= 8; i++ {
		c.tick(10 * time.Second)
		mysqlSteps[i](c)
		rec[l.Spec.Steps[i].ID] = c.t
	}
	c.tick(10 * time.Second)
	n := c.h.Nodes["node-c"]
	n.Spec.Unschedulable, n.Annotations = true, map[string]string{step.CordonedByAnnotation: "ns/mysql"}
	c.deletePod("mysql-2")
	m := c.meta("mysql-2")
	c.h.Pods["mysql-2"] = &corev1.Pod{ObjectMeta: m, Spec: corev1.PodSpec{NodeName: "node-b"}, Status: corev1.PodStatus{Phase: corev1.PodPending}}
	c.event("Pod", "mysql-2", m.UID, "Scheduled", "Successfully assigned ns/mysql-2 to node-b", c.t, c.t)
	got := Judge(l.Spec.Steps, c.h, rec)
	if got.Next() != 9 || l.Spec.Steps[got.Next()].ID != "drain-node" {
		t.Errorf("resume at %d, want 9 (drain-node)\n%s", got.Next(), dump(got))
	}
}

// TestJudgeStaleRecord: the record says the lesson is under way, but every
// object is gone (cleaned up by hand): start over.
func TestJudgeStaleRecord(t *testing.T) {
	l := mysqlLesson(t)
	c := newCluster()
	rec := Record{"apply-configmap": c.t, "apply-services": c.t}
	if got := Judge(l.Spec.Steps, c.h, rec); got.Reached != -1 {
		t.Errorf("reached %d, want -1", got.Reached)
	}
}

func dump(p Progress) string {
	var b strings.Builder
	for i, s := range p.Steps {
		fmt.Fprintf(&b, "  %2d %-20s %-8s done=%-5v %-8s %s\n", i, s.ID, s.Proof, s.Done, s.How, s.Msg)
	}
	return b.String()
}

// TestJudgeProbeFailedOnce: killed a second into break-probe, the probe
// failed once (one Unhealthy event) but mysql-2 is still Ready: the step
// is not done, so resume offers break-probe again, not a later step.
func TestJudgeProbeFailedOnce(t *testing.T) {
	l := mysqlLesson(t)
	c := newCluster()
	rec := Record{}
	for i := 0; i <= 5; i++ {
		c.tick(10 * time.Second)
		mysqlSteps[i](c)
		rec[l.Spec.Steps[i].ID] = c.t
	}
	c.tick(10 * time.Second)
	p := c.h.Pods["mysql-2"]
	c.event("Pod", "mysql-2", p.UID, "Unhealthy", "Readiness probe failed: sh: 1: mysql: not found", c.t, c.t)
	if got := Judge(l.Spec.Steps, c.h, rec); got.Next() != 6 {
		t.Errorf("resume at %d, want 6 (break-probe)\n%s", got.Next(), dump(got))
	}
}
