package workshop

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubetutor/kubetutor/manifests"
	"github.com/kubetutor/kubetutor/runner/evidence"
	"github.com/kubetutor/kubetutor/runner/kube/kubefake"
	"github.com/kubetutor/kubetutor/runner/step"
)

var t0 = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)

func learnerNS(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "k8s-" + name,
		Labels: map[string]string{LabelWorkshop: "k8s", LabelLearner: name, LabelLesson: "mysql"}}}
}

func meta(ns, name string, at time.Time) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": "mysql"},
		CreationTimestamp: metav1.NewTime(at), UID: types.UID("uid-" + ns + "-" + name)}
}

func warning(ns, reason, pod string, at time.Time) *corev1.Event {
	return &corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: pod + "." + reason},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: pod, Namespace: ns},
		Reason:         reason, Message: "Back-off restarting failed container", Type: corev1.EventTypeWarning,
		FirstTimestamp: metav1.NewTime(at), LastTimestamp: metav1.NewTime(at)}
}

// classOn builds the mysql class k8s on fakes seeded with objs, with the
// clock at now and its record in a temporary folder.
func classOn(t *testing.T, now time.Time, objs ...runtime.Object) (*Class, *kubefake.Fakes) {
	t.Helper()
	c, f := kubefake.New("default", objs...)
	return &Class{Name: "k8s", Lesson: mysql(t), Cluster: c, Manifests: manifests.FS, StateDir: t.TempDir(),
		Now: func() time.Time { return now }}, f
}

func TestEvaluator(t *testing.T) {
	now := t0.Add(time.Minute)
	cl, f := classOn(t, now,
		learnerNS("01"), learnerNS("02"),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "elsewhere"}},
		&corev1.ConfigMap{ObjectMeta: meta("k8s-01", "mysql", t0)},
		&corev1.Service{ObjectMeta: meta("k8s-01", "mysql", t0.Add(10*time.Second))},
		&corev1.Service{ObjectMeta: meta("k8s-01", "mysql-read", t0.Add(10*time.Second))},
		warning("k8s-01", "BackOff", "mysql-0", t0.Add(30*time.Second)),
		// Another namespace's lesson objects count for nobody.
		&corev1.ConfigMap{ObjectMeta: meta("elsewhere", "mysql", t0)},
	)
	e, err := NewEvaluator(cl)
	if err != nil {
		t.Fatal(err)
	}
	if e.Kinds() != 8 {
		t.Errorf("watches %d kinds, want 8 (namespaces, pods, claims, events, nodes, ConfigMaps, Services, StatefulSets)", e.Kinds())
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	s := e.Snapshot()
	if len(s.Learners) != 2 {
		t.Fatalf("%+v", s)
	}
	l1, l2 := s.Learners[0], s.Learners[1]
	if l1.Name != "01" || l1.Step != "apply-services" || l1.StepIndex != 2 || !l1.Since.Equal(t0.Add(10*time.Second)) || l1.State != StateStuck ||
		l1.LastWarning != "BackOff pod/mysql-0: Back-off restarting failed container" {
		t.Errorf("learner 01: %+v", l1)
	}
	if l2.Name != "02" || l2.Step != "" || l2.StepIndex != 0 || l2.State != StateNotStarted || l2.Namespace != "k8s-02" {
		t.Errorf("learner 02: %+v", l2)
	}
	d, ok := e.Detail("01")
	if !ok || len(d.Steps) != 15 || !d.Steps[0].Done || d.Steps[0].How != "proven" || d.Steps[2].Done || !d.Steps[3].Inside || len(d.Events) != 1 {
		t.Errorf("detail: %+v", d)
	}
	// First sightings are in the record file.
	recs, err := NewStore(cl).Load()
	if err != nil || !recs["k8s-01"].Seen["apply-configmap"].Equal(t0) {
		t.Errorf("record: %v %+v", err, recs["k8s-01"])
	}

	// A change in the cluster arrives as an update.
	up := e.Updates(ctx)
	<-up // the current snapshot
	if _, err := f.Client.CoreV1().Namespaces().Create(ctx, learnerNS("03"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-up:
		if len(s.Learners) != 3 || s.Learners[2].Name != "03" {
			t.Fatalf("%+v", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no update after a new learner namespace")
	}
}

// The snapshot's JSON is the object `workshop status -o json` prints.
func TestSnapshotJSON(t *testing.T) {
	s := Snapshot{Workshop: "k8s", Lesson: "mysql", Learners: []Learner{
		{Name: "01", Namespace: "k8s-01", Step: "apply-services", StepIndex: 2, Since: t0, State: StateWorking},
		{Name: "02", Namespace: "k8s-02", State: StateNotStarted},
	}}
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"workshop":"k8s","lesson":"mysql","learners":[` +
		`{"name":"01","namespace":"k8s-01","step":"apply-services","stepIndex":2,"since":"2026-11-30T10:00:00Z","state":"working","lastWarning":""},` +
		`{"name":"02","namespace":"k8s-02","step":"","stepIndex":0,"since":"0001-01-01T00:00:00Z","state":"not-started","lastWarning":""}]}`
	if string(raw) != want {
		t.Fatalf("got  %s\nwant %s", raw, want)
	}
}

func TestRecordSeen(t *testing.T) {
	now := t0.Add(time.Hour)
	p := evidence.Progress{Reached: 3, Steps: []evidence.Step{
		{ID: "a", Done: true, How: evidence.Implied},
		{ID: "b", Done: true, How: evidence.Proven, At: t0.Add(time.Minute)},
		{ID: "c", Done: true, How: evidence.Holding},
		{ID: "d", Done: true, How: evidence.Holding},
		{ID: "e"},
	}}
	rec := &LearnerRecord{Seen: map[string]time.Time{"c": t0.Add(2 * time.Minute)}}
	if !recordSeen(rec, p, now) {
		t.Fatal("no change recorded")
	}
	want := map[string]time.Time{"b": t0.Add(time.Minute), "c": t0.Add(2 * time.Minute), "d": now}
	for id, at := range want {
		if !rec.Seen[id].Equal(at) {
			t.Errorf("%s seen %v, want %v", id, rec.Seen[id], at)
		}
	}
	// a is implied by b: when, the cluster does not tell; no entry (one at
	// b's time would make Judge look for b's evidence after itself).
	if _, ok := rec.Seen["a"]; ok || recordSeen(rec, p, now) {
		t.Errorf("%+v", rec.Seen)
	}
}

// A learner's record, taken while they were at delete-pod, does not hide
// the drain that comes later (regression: an implied step recorded at the
// time of delete-pod's evidence made Judge look for delete-pod's new pod
// strictly after that time, find the drained one, and miss the drain).
func TestRecordKeepsLaterEvidence(t *testing.T) {
	l := mysql(t)
	h := simulate(false) // through delete-pod
	rec := &LearnerRecord{}
	p := evidence.Judge(l.Spec.Steps, h, rec.Record())
	if p.Reached != 8 {
		t.Fatalf("reached %d, want 8 (delete-pod)", p.Reached)
	}
	recordSeen(rec, p, h.Now)
	h = simulate(true) // and the drain
	if p := evidence.Judge(l.Spec.Steps, h, rec.Record()); p.Reached < 9 {
		t.Fatalf("with the record: reached %d, want ≥ 9 (drain-node)", p.Reached)
	}
}

// simulate is one learner's namespace after the MySQL lesson's delete-pod
// step (mysql-2 first on node-a, re-created on node-b), and, with
// drained, after the drain too, which put mysql-2 back on node-a.
func simulate(drained bool) *step.History {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	h := &step.History{Namespace: "k8s-01", Lesson: "mysql", Now: at(300),
		Pods: map[string]*corev1.Pod{}, PVCs: map[string]*corev1.PersistentVolumeClaim{}, Nodes: map[string]*corev1.Node{},
		Objects: map[schema.GroupResource]map[string]metav1.Object{},
		Resolve: func(kind string) (schema.GroupResource, error) {
			return map[string]schema.GroupResource{"ConfigMap": {Resource: "configmaps"}, "Service": {Resource: "services"},
				"StatefulSet": {Group: "apps", Resource: "statefulsets"}}[strings.Split(kind, ".")[0]], nil
		}}
	obj := func(gr schema.GroupResource, name string, s int) {
		if h.Objects[gr] == nil {
			h.Objects[gr] = map[string]metav1.Object{}
		}
		m := meta("k8s-01", name, at(s))
		h.Objects[gr][name] = &m
	}
	obj(schema.GroupResource{Resource: "configmaps"}, "mysql", 0)
	obj(schema.GroupResource{Resource: "services"}, "mysql", 10)
	obj(schema.GroupResource{Resource: "services"}, "mysql-read", 10)
	obj(schema.GroupResource{Group: "apps", Resource: "statefulsets"}, "mysql", 20)
	event := func(name string, uid types.UID, reason, msg string, first, last time.Time) {
		h.Events = append(h.Events, &corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "k8s-01", Name: fmt.Sprintf("e%d", len(h.Events))},
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: name, Namespace: "k8s-01", UID: uid},
			Reason:         reason, Message: msg, FirstTimestamp: metav1.NewTime(first), LastTimestamp: metav1.NewTime(last)})
	}
	pod := func(name, node string, s, n int) {
		uid := types.UID(fmt.Sprintf("%s-%d", name, n))
		event(name, uid, "Scheduled", "Successfully assigned k8s-01/"+name+" to "+node, at(s), at(s))
		p := &corev1.Pod{ObjectMeta: meta("k8s-01", name, at(s)), Spec: corev1.PodSpec{NodeName: node},
			Status: corev1.PodStatus{Phase: corev1.PodRunning,
				Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(at(s + 5))}},
				ContainerStatuses: []corev1.ContainerStatus{{Name: "mysql", Ready: true}, {Name: "backup", Ready: true}}}}
		p.UID = uid
		h.Pods[name] = p
	}
	for i, n := range []string{"node-a", "node-b", "node-c"} {
		name := fmt.Sprintf("mysql-%d", i)
		pod(name, n, 20+10*i, 0)
		c := &corev1.PersistentVolumeClaim{ObjectMeta: meta("k8s-01", "data-"+name, at(20+10*i)), Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound}}
		h.PVCs[c.Name] = c
	}
	pod("mysql-2", "node-a", 40, 0)                                                                                 // mysql-2 on node-a
	event("mysql-2", "mysql-2-0", "Unhealthy", "Readiness probe failed: sh: 1: mysql: not found", at(100), at(120)) // break-probe
	event("mysql-2", "mysql-2-0", "Killing", "Stopping container mysql", at(150), at(150))                          // delete-pod
	pod("mysql-2", "node-b", 152, 1)
	if drained {
		event("mysql-2", "mysql-2-1", "Killing", "Stopping container mysql", at(250), at(250))
		pod("mysql-2", "node-a", 252, 2)
	}
	step.SortEvents(h.Events)
	return h
}

// A warning about a pod that is Ready now is shown but makes nobody stuck:
// a StatefulSet's start-up warnings (claims not bound yet, a probe failing
// while the server starts) are over (regression: learner 02 of the e2e
// showed stuck right after apply-statefulset, by a FailedScheduling event
// that came after the pod's creation, the step's evidence time).
func TestWarningOfReadyPod(t *testing.T) {
	pod := func(uid types.UID, ready corev1.ConditionStatus) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "mysql-2", UID: uid},
			Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: ready}}}}
	}
	ev := func(uid types.UID) *corev1.Event {
		e := warning("k8s-01", "FailedScheduling", "mysql-2", t0.Add(time.Second))
		e.InvolvedObject.UID = uid
		return e
	}
	for _, tc := range []struct {
		name   string
		pod    *corev1.Pod
		ev     *corev1.Event
		counts bool
	}{
		{"the pod is Ready", pod("u2", corev1.ConditionTrue), ev("u2"), false},
		{"the event names no UID", pod("u2", corev1.ConditionTrue), ev(""), false},
		{"the pod is not Ready", pod("u2", corev1.ConditionFalse), ev("u2"), true},
		{"an earlier pod of that name", pod("u2", corev1.ConditionTrue), ev("u1"), true},
		{"no such pod", nil, ev("u2"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &step.History{Pods: map[string]*corev1.Pod{}, Events: []*corev1.Event{tc.ev}}
			if tc.pod != nil {
				h.Pods["mysql-2"] = tc.pod
			}
			text, at, unexpected := (&Evaluator{}).lastWarning(h)
			if text == "" || at.IsZero() {
				t.Errorf("the warning is not shown: %q %v", text, at)
			}
			if counts := !unexpected.IsZero(); counts != tc.counts {
				t.Errorf("counts for stuck: %v, want %v", counts, tc.counts)
			}
		})
	}
}
