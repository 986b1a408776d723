package step

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestPodsReadyWatchEventsAfterStart(t *testing.T) {
	env, f := newEnv(t, mysqlPod("mysql-0", true), mysqlPod("mysql-1", false))
	started := watchStarted(f.Client, "pods")
	c := &PodsReady{Names: []string{"mysql-0", "mysql-1", "mysql-2"}}
	res := runCheck(context.Background(), env, c)
	waitFor(t, started)
	updatePod(t, f, mysqlPod("mysql-1", true))
	select {
	case err := <-res:
		t.Fatalf("passed before mysql-2 existed: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	createObj(t, f, mysqlPod("mysql-2", true))
	if err := result(t, res); err != nil {
		t.Fatal(err)
	}
}

// TestCheckTimeoutNamesLastMismatch is the promise of STYLE.md: a check
// that times out says what it last saw, not "context deadline exceeded".
func TestCheckTimeoutNamesLastMismatch(t *testing.T) {
	env, _ := newEnv(t, mysqlPod("mysql-0", true), mysqlPod("mysql-1", true), mysqlPod("mysql-2", false))
	c := &PodsReady{Names: []string{"mysql-0", "mysql-1", "mysql-2"}}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := c.Wait(ctx, env, nil)
	f := asFailure(t, err)
	if !f.TimedOut {
		t.Fatalf("want a timeout, got %v", f)
	}
	if f.Msg.ID != "StatePodNotReady" || f.Msg.Args["Pod"] != "mysql-2" || f.Msg.Args["Ready"] != "1/2" {
		t.Fatalf("last mismatch = %v, want mysql-2 with 1/2 containers ready", f.Msg)
	}
	text := f.Msg.Text(translator(t))
	if want := "mysql-2: 1/2 containers ready (mysql: Running)"; text != want {
		t.Fatalf("message %q, want %q", text, want)
	}
	if strings.Contains(f.Error(), "deadline exceeded") {
		t.Fatalf("bare deadline in %q", f.Error())
	}
	if f.Hint.ID != "HintPodsReady" {
		t.Fatalf("hint = %v", f.Hint)
	}
}

func TestPodsReady(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		check  PodsReady
		pods   []*podArgs
		wantOK bool
		wantID string
	}{
		{"all ready", PodsReady{Names: []string{"mysql-0", "mysql-1"}}, []*podArgs{{"mysql-0", true, 0}, {"mysql-1", true, 1}}, true, ""},
		{"one missing", PodsReady{Names: []string{"mysql-0", "mysql-1"}}, []*podArgs{{"mysql-0", true, 0}}, false, "StatePodMissing"},
		{"in order", PodsReady{Names: []string{"mysql-0", "mysql-1"}, InOrder: true}, []*podArgs{{"mysql-0", true, 0}, {"mysql-1", true, 5}}, true, ""},
		{"out of order", PodsReady{Names: []string{"mysql-0", "mysql-1"}, InOrder: true}, []*podArgs{{"mysql-0", true, 10}, {"mysql-1", true, 5}}, false, "StatePodsOutOfOrder"},
		{"selector count", PodsReady{Selector: "app=mysql", Count: 2}, []*podArgs{{"mysql-0", true, 0}, {"mysql-1", true, 0}, {"mysql-2", false, 0}}, true, ""},
		{"selector all", PodsReady{Selector: "app=mysql"}, []*podArgs{{"mysql-0", true, 0}, {"mysql-1", false, 0}}, false, "StatePodNotReady"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var objs []runtime.Object
			for _, p := range tc.pods {
				objs = append(objs, mysqlPod(p.name, p.ready, readySince(t0.Add(time.Duration(p.at)*time.Second))))
			}
			env, _ := newEnv(t, objs...)
			// A pass returns at once; a failure is awaited for 200ms.
			timeout := 200 * time.Millisecond
			if tc.wantOK {
				timeout = 30 * time.Second
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			c := tc.check
			err := (&c).Wait(ctx, env, nil)
			if tc.wantOK {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if f := asFailure(t, err); f.Msg.ID != tc.wantID {
				t.Fatalf("got %v, want %s", f.Msg, tc.wantID)
			}
		})
	}
}

type podArgs struct {
	name  string
	ready bool
	at    int
}

func BenchmarkPodsReadyReaction(b *testing.B) {
	// How long a watch-based check takes from the pod turning Ready to
	// returning (fake clientset: the engine's own overhead).
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		env, f := newEnv(b, mysqlPod("mysql-0", false))
		started := watchStarted(f.Client, "pods")
		c := &PodsReady{Names: []string{"mysql-0"}}
		res := runCheck(context.Background(), env, c)
		waitFor(b, started)
		b.StartTimer()
		updatePod(b, f, mysqlPod("mysql-0", true))
		if err := <-res; err != nil {
			b.Fatal(err)
		}
	}
}

// After an API server outage the node controller marks every pod NotReady
// until its kubelet reports again; the pods turn Ready anew in any order.
// The order the check judges is the one it first saw, not the new one.
func TestPodsReadyOrderSurvivesNodeFlap(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	env, f := newEnv(t, mysqlPod("mysql-0", true, readySince(t0)), mysqlPod("mysql-1", true, readySince(t0.Add(10*time.Second))),
		mysqlPod("mysql-2", false))
	started := watchStarted(f.Client, "pods")
	ch := runCheck(context.Background(), env, &PodsReady{Names: []string{"mysql-0", "mysql-1", "mysql-2"}, InOrder: true})
	waitFor(t, started)
	ctx := context.Background()
	pods := f.Client.CoreV1().Pods(ns)
	flap := func(name string, ready bool, at time.Time) {
		p, _ := pods.Get(ctx, name, metav1.GetOptions{})
		readySince(at)(p)
		for i := range p.Status.Conditions {
			if p.Status.Conditions[i].Type == corev1.PodReady {
				p.Status.Conditions[i].Status = map[bool]corev1.ConditionStatus{true: corev1.ConditionTrue, false: corev1.ConditionFalse}[ready]
			}
		}
		if _, err := pods.UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	flap("mysql-0", false, t0.Add(60*time.Second))
	flap("mysql-1", false, t0.Add(60*time.Second))
	flap("mysql-2", true, t0.Add(70*time.Second))
	flap("mysql-1", true, t0.Add(80*time.Second)) // its kubelet reports first
	flap("mysql-0", true, t0.Add(90*time.Second))
	if err := result(t, ch); err != nil {
		t.Fatal(err)
	}
}
