package step

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

func short() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 250*time.Millisecond)
}

func TestPodConditionContainerReadyFalseAfterStart(t *testing.T) {
	env, f := newEnv(t, mysqlPod("mysql-2", true))
	started := watchStarted(f.Client, "pods")
	c := &PodCondition{Pod: "mysql-2", Container: "mysql", Status: "False"}
	res := runCheck(context.Background(), env, c)
	waitFor(t, started)
	updatePod(t, f, mysqlPod("mysql-2", false))
	if err := result(t, res); err != nil {
		t.Fatal(err)
	}
}

func TestPodConditionTimeoutSaysProbeStillPasses(t *testing.T) {
	env, _ := newEnv(t, mysqlPod("mysql-2", true))
	ctx, cancel := short()
	defer cancel()
	err := (&PodCondition{Pod: "mysql-2", Container: "mysql", Status: "False"}).Wait(ctx, env, nil)
	f := asFailure(t, err)
	tr := translator(t)
	if got, want := f.Msg.Text(tr), "expected mysql-2 container mysql Ready=False, saw Ready=True"; got != want {
		t.Fatalf("%q, want %q", got, want)
	}
	if f.Hint.ID != "HintStillTrue" {
		t.Fatal(f.Hint)
	}
}

func TestPodConditionType(t *testing.T) {
	env, _ := newEnv(t, mysqlPod("mysql-0", true))
	if err := (&PodCondition{Pod: "mysql-0", Status: "True"}).Wait(context.Background(), env, nil); err != nil {
		t.Fatal(err)
	}
}

func TestExistsAndAbsentWatch(t *testing.T) {
	env, f := newEnv(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "old", Namespace: ns, Labels: map[string]string{"app": "mysql"}}})
	started := make(chan struct{}, 4)
	go func() {
		// The dynamic client's watch shares the typed tracker; wait for
		// the list+watch by polling the recorded actions of the fake.
		for {
			for _, a := range f.Dynamic.Actions() {
				if a.GetVerb() == "watch" {
					started <- struct{}{}
					return
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	res := runCheck(context.Background(), env, &Exists{ObjectRef{Kind: "ConfigMap", Name: "mysql"}})
	<-started
	time.Sleep(20 * time.Millisecond) // the tracker registers the watcher right after recording
	createObj(t, f, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "mysql", Namespace: ns}})
	if err := result(t, res); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := short()
	defer cancel()
	err := (&Absent{ObjectRef{Kind: "ConfigMap", Selector: "app=mysql"}}).Wait(ctx, env, nil)
	if fl := asFailure(t, err); fl.Msg.ID != "StateStillPresent" || fl.Msg.Args["Names"] != "old" {
		t.Fatal(fl)
	}
	if err := f.Client.CoreV1().ConfigMaps(ns).Delete(context.Background(), "old", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := (&Absent{ObjectRef{Kind: "ConfigMap", Selector: "app=mysql"}}).Wait(context.Background(), env, nil); err != nil {
		t.Fatal(err)
	}
}

func TestExistsUnknownKind(t *testing.T) {
	env, _ := newEnv(t)
	err := (&Exists{ObjectRef{Kind: "Frobnicator", Name: "x"}}).Wait(context.Background(), env, nil)
	if f := asFailure(t, err); f.Msg.ID != "StepUnknownKind" {
		t.Fatal(f)
	}
}

func TestNodeChanged(t *testing.T) {
	env, f := newEnv(t, mysqlPod("mysql-2", true, onNode("node-1")))
	c := &NodeChanged{Pod: "mysql-2"}
	if err := c.Prepare(context.Background(), env); err != nil || c.Before() != "node-1" {
		t.Fatal(c.Before(), err)
	}
	ctx, cancel := short()
	defer cancel()
	if fl := asFailure(t, c.Wait(ctx, env, nil)); fl.Msg.ID != "StateSameNode" {
		t.Fatal(fl)
	}
	started := watchStarted(f.Client, "pods")
	res := runCheck(context.Background(), env, c)
	waitFor(t, started)
	if err := f.Client.CoreV1().Pods(ns).Delete(context.Background(), "mysql-2", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	createObj(t, f, mysqlPod("mysql-2", false, onNode("node-2"), withUID("new")))
	if err := result(t, res); err != nil {
		t.Fatal(err)
	}
}

func TestPVCsCheck(t *testing.T) {
	five, three := 5, 3
	cases := []struct {
		name   string
		check  PVCs
		wantID string
	}{
		{"bound by name", PVCs{Names: []string{"data-mysql-0", "data-mysql-1"}, Phase: "Bound"}, ""},
		{"pending one", PVCs{Names: []string{"data-mysql-0", "data-mysql-2"}, Phase: "Bound"}, "StatePVCPhase"},
		{"missing", PVCs{Names: []string{"data-mysql-7"}}, "StatePVCMissing"},
		{"count", PVCs{Selector: "app=mysql", Count: &three}, ""},
		{"wrong count", PVCs{Selector: "app=mysql", Count: &five}, "StatePVCCount"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env, _ := newEnv(t, pvc("data-mysql-0", corev1.ClaimBound), pvc("data-mysql-1", corev1.ClaimBound), pvc("data-mysql-2", corev1.ClaimPending))
			ctx, cancel := short()
			if tc.wantID == "" {
				// A pass returns at once; the deadline only bounds a bug.
				ctx, cancel = context.WithTimeout(context.Background(), 30*time.Second)
			}
			defer cancel()
			c := tc.check
			err := (&c).Wait(ctx, env, nil)
			if tc.wantID == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if f := asFailure(t, err); f.Msg.ID != tc.wantID {
				t.Fatal(f)
			}
		})
	}
}

func TestSameUID(t *testing.T) {
	env, f := newEnv(t, pvc("data-mysql-2", corev1.ClaimBound))
	c := &SameUID{ObjectRef: ObjectRef{Kind: "PersistentVolumeClaim", Name: "data-mysql-2"}}
	if err := c.Prepare(context.Background(), env); err != nil {
		t.Fatal(err)
	}
	if err := c.Wait(context.Background(), env, nil); err != nil {
		t.Fatal(err)
	}
	// Replaced by a new claim of the same name: fails at once, no waiting.
	if err := f.Client.CoreV1().PersistentVolumeClaims(ns).Delete(context.Background(), "data-mysql-2", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	n := pvc("data-mysql-2", corev1.ClaimBound)
	n.UID = "other"
	createObj(t, f, n)
	err := c.Wait(context.Background(), env, nil)
	if fl := asFailure(t, err); fl.Msg.ID != "StateUIDChanged" || fl.TimedOut {
		t.Fatal(fl)
	}
}

func TestRestartsUnchanged(t *testing.T) {
	env, f := newEnv(t, mysqlPod("mysql-2", true, restarts(1)))
	c := &RestartsUnchanged{PodRef: PodRef{Pod: "mysql-2", Container: "mysql"}}
	if err := c.Prepare(context.Background(), env); err != nil {
		t.Fatal(err)
	}
	updatePod(t, f, mysqlPod("mysql-2", false, restarts(1)))
	if err := c.Wait(context.Background(), env, nil); err != nil {
		t.Fatal(err)
	}
	updatePod(t, f, mysqlPod("mysql-2", false, restarts(2)))
	if fl := asFailure(t, c.Wait(context.Background(), env, nil)); fl.Msg.ID != "StateRestarted" {
		t.Fatal(fl)
	}
}

func TestUncordonedWaitsForTheNode(t *testing.T) {
	env, f := newEnv(t, node("node-1", true))
	env.State.Cordoned("node-1")
	ctx, cancel := short()
	defer cancel()
	if fl := asFailure(t, (&Uncordoned{}).Wait(ctx, env, nil)); fl.Msg.ID != "StateStillCordoned" || fl.Hint.ID != "HintUncordon" {
		t.Fatal(fl)
	}
	started := watchStarted(f.Client, "nodes")
	res := runCheck(context.Background(), env, &Uncordoned{})
	waitFor(t, started)
	if _, err := f.Client.CoreV1().Nodes().Update(context.Background(), node("node-1", false), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := result(t, res); err != nil {
		t.Fatal(err)
	}
}

func TestDiagnoseSignatures(t *testing.T) {
	crash := mysqlPod("mysql-1", false)
	crash.Status.InitContainerStatuses[1] = corev1.ContainerStatus{Name: "clone-mysql", RestartCount: 3,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}}
	pull := mysqlPod("mysql-2", false)
	pull.Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "not found"}}
	pull.Status.ContainerStatuses[0].Image = "kubetutor.local/mariadb:10.11"
	pending := mysqlPod("mysql-3", false)
	pending.Spec.NodeName = ""
	pending.Status.Phase = corev1.PodPending
	pending.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: "0/3 nodes are available: 3 Insufficient memory."}}
	env, _ := newEnv(t)
	d := newDiagnoser(env)
	cases := []struct {
		pod  *corev1.Pod
		want string
	}{
		{crash, "DiagCrashLoop"},
		{pull, "DiagImagePull"},
		{pending, "DiagUnschedulable"},
	}
	for _, tc := range cases {
		got := d.pod(context.Background(), tc.pod)
		if len(got) == 0 || got[0].ID != tc.want {
			t.Errorf("%s: got %v, want %s", tc.pod.Name, got, tc.want)
		}
	}
	// Known signatures in a log (the fake clientset's logs are fixed, so
	// test the matcher directly).
	for log, want := range map[string]string{
		"+ mbstream -x\nxtrabackup: Error: cannot open ./xtrabackup_checkpoints\n":     "DiagCloneNoCheckpoints",
		`Ncat: Could not resolve hostname "mysql-1.mysql": Name or service not known.`: "DiagCloneDNS",
	} {
		if got := matchSignatures("mysql-2", "clone-mysql", log); len(got) == 0 || got[0].ID != want {
			t.Errorf("%q: got %v, want %s", log, got, want)
		}
	}
}

// Where volumes are node-local, a drained pod stays Pending: the check
// names the scheduler's reason and words, and a different reason is a
// mismatch that says what was seen.
func TestPodConditionReasonAndMessage(t *testing.T) {
	unschedulable := func(msg string) podOpt {
		return func(p *corev1.Pod) {
			p.Spec.NodeName = ""
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: msg}}
		}
	}
	c := &PodCondition{Pod: "mysql-2", Type: "PodScheduled", Status: "False", Reason: "Unschedulable", Message: "PersistentVolume's node affinity"}
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		want string // "" passes; else the mismatch's ID
	}{
		{"pinned volume", mysqlPod("mysql-2", false, unschedulable("0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) didn't match PersistentVolume's node affinity.")), ""},
		{"another reason", mysqlPod("mysql-2", false, unschedulable("0/3 nodes are available: 3 Insufficient memory.")), "StatePodConditionDetail"},
		{"scheduled", mysqlPod("mysql-2", false), "StatePodConditionDetail"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, _ := newEnv(t, tc.pod)
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			err := c.Wait(ctx, env, nil)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if fl := asFailure(t, err); fl.Msg.ID != tc.want || !fl.TimedOut {
				t.Fatal(fl)
			}
		})
	}
	if probs := lesson.Validate(&PodCondition{Pod: "p", Container: "c", Status: "True", Reason: "x"}, "podCondition", "f", 1); len(probs) != 1 || probs[0].ID != "LintConditionDetail" {
		t.Fatal(probs)
	}
}
