package step

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	k8stesting "k8s.io/client-go/testing"
)

// refused is the error client-go returns while nothing listens on the API
// server's port.
func refused() error {
	return &url.Error{Op: "Get", URL: "https://127.0.0.1:6443/api/v1/namespaces/tutor/pods", Err: &net.OpError{
		Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}}
}

func TestUnreachable(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		reason string
	}{
		{"refused", refused(), "connection refused"},
		{"reset", &net.OpError{Op: "read", Net: "tcp", Err: &os.SyscallError{Syscall: "read", Err: syscall.ECONNRESET}}, "connection reset"},
		{"eof", fmt.Errorf("watch: %w", io.ErrUnexpectedEOF), "connection closed"},
		{"503", apierrors.NewServiceUnavailable("starting"), "503 Service Unavailable"},
		{"no route", &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.EHOSTUNREACH}}, "no route to host"},
		{"forbidden answers", apierrors.NewForbidden(corev1.Resource("pods"), "", errors.New("RBAC")), ""},
		{"not found answers", apierrors.NewNotFound(corev1.Resource("pods"), "mysql-0"), ""},
		{"nil", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reason, ok := Unreachable(tc.err)
			if reason != tc.reason || ok != (tc.reason != "") {
				t.Fatalf("Unreachable = %q, %v; want %q", reason, ok, tc.reason)
			}
		})
	}
}

// While the API server is down a check says since when and why, keeps that
// time through the whole outage, and passes once the API answers again.
func TestCheckReportsOutageAndResumes(t *testing.T) {
	env, f := newEnv(t, mysqlPod("mysql-0", true))
	start := time.Date(2026, 11, 30, 12, 3, 4, 0, time.Local)
	var mu sync.Mutex
	now := start
	env.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); now = now.Add(time.Second); return now }
	down := 4
	f.Client.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		mu.Lock()
		defer mu.Unlock()
		if down > 0 {
			down--
			return true, nil, refused()
		}
		return false, nil, nil
	})
	var seen []Msg
	report := func(m Msg) { mu.Lock(); seen = append(seen, m); mu.Unlock() }
	c := &PodsReady{Names: []string{"mysql-0"}}
	if err := c.Wait(context.Background(), env, report); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || seen[0].ID != "StateAPIUnreachable" {
		t.Fatalf("reported %v, want one StateAPIUnreachable for the whole outage", seen)
	}
	if got := seen[0].Args["Since"]; got != "12:03:05" || seen[0].Args["Reason"] != "connection refused" {
		t.Fatalf("reported %v", seen[0])
	}
}

// An outage that outlasts the check's timeout is its last mismatch, with
// the hint that the API server is down; a later outage gets its own time.
func TestOutageAtTimeout(t *testing.T) {
	env, f := newEnv(t, mysqlPod("mysql-0", false))
	var mu sync.Mutex
	fail := true
	f.Client.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		mu.Lock()
		defer mu.Unlock()
		if fail {
			return true, nil, refused()
		}
		return false, nil, nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	fl := asFailure(t, (&PodsReady{Names: []string{"mysql-0"}}).Wait(ctx, env, nil))
	if fl.Msg.ID != "StateAPIUnreachable" || fl.Hint.ID != "HintAPIUnreachable" || !fl.TimedOut {
		t.Fatal(fl)
	}
}

func TestOutageClockRestarts(t *testing.T) {
	env, _ := newEnv(t)
	clk := time.Date(2026, 11, 30, 12, 0, 0, 0, time.Local)
	env.Now = func() time.Time { clk = clk.Add(time.Minute); return clk }
	var seen []string
	mm := newMismatch(env, func(m Msg) { seen = append(seen, m.String()) })
	mm.apiError(refused())
	mm.apiError(refused())
	mm.apiError(nil)
	mm.set(M("StatePodMissing", "Pod", "mysql-0"), Msg{})
	mm.apiError(refused())
	want := []string{
		"StateAPIUnreachable Reason=connection refused Since=12:01:00",
		"StatePodMissing Pod=mysql-0",
		"StateAPIUnreachable Reason=connection refused Since=12:04:00",
	}
	if !slices.Equal(seen, want) {
		t.Fatalf("reported\n%s\nwant\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
}

// While the API server is unreachable retries stay outageRetry apart, so
// its return is seen within that time; errors it answers back off to 5 s.
func TestBackoffCap(t *testing.T) {
	for _, tc := range []struct {
		name string
		max  time.Duration
		want []time.Duration
	}{
		{"answers with errors", maxBackoff, []time.Duration{200, 400, 800, 1600, 3200, 5000, 5000}},
		{"unreachable", outageRetry, []time.Duration{200, 400, 500, 500, 500, 500, 500}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBackoff()
			var got []time.Duration
			for range tc.want {
				got = append(got, b.next(tc.max)/time.Millisecond)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("delays %v ms, want %v", got, tc.want)
			}
		})
	}
}

// Right after a restart the API server answers Forbidden until its RBAC
// cache is warm: during an outage that is still the outage (with the time
// it began), not a missing permission.
func TestForbiddenWhileStartingIsTheOutage(t *testing.T) {
	env, _ := newEnv(t)
	clk := time.Date(2026, 11, 30, 12, 0, 0, 0, time.Local)
	env.Now = func() time.Time { clk = clk.Add(time.Second); return clk }
	var seen []string
	mm := newMismatch(env, func(m Msg) { seen = append(seen, m.String()) })
	forbidden := apierrors.NewForbidden(corev1.Resource("pods"), "", errors.New("RBAC: not yet"))
	mm.apiError(refused())
	mm.apiError(forbidden)
	mm.apiError(nil)
	mm.apiError(forbidden)
	want := []string{
		"StateAPIUnreachable Reason=connection refused Since=12:00:01",
		"StateAPIUnreachable Reason=starting up: 403 Forbidden Since=12:00:01",
		"StateAPIError Error=pods is forbidden: RBAC: not yet",
	}
	if !slices.Equal(seen, want) {
		t.Fatalf("reported\n%s\nwant\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
	if mm.hint.ID != "HintForbidden" {
		t.Fatal(mm.hint)
	}
}

// A watch the API server ends with 410 Gone (its resourceVersion expired,
// as after a restart of etcd or the API server) is not resumed: the check
// lists afresh and judges what it finds.
func TestExpiredWatchRelists(t *testing.T) {
	env, f := newEnv(t, mysqlPod("mysql-0", false))
	var mu sync.Mutex
	lists, watches := 0, 0
	f.Client.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		mu.Lock()
		lists++
		mu.Unlock()
		return false, nil, nil
	})
	expired := watch.NewFake()
	f.Client.PrependWatchReactor("pods", func(a k8stesting.Action) (bool, watch.Interface, error) {
		mu.Lock()
		defer mu.Unlock()
		if watches++; watches == 1 {
			return true, expired, nil
		}
		return false, nil, nil
	})
	ch := runCheck(context.Background(), env, &PodsReady{Names: []string{"mysql-0"}})
	// While the first watch hangs, the pod turns Ready unseen; then the
	// watch expires.
	for {
		mu.Lock()
		n := watches
		mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := f.Client.Tracker().Update(corev1.SchemeGroupVersion.WithResource("pods"), mysqlPod("mysql-0", true), ns); err != nil {
		t.Fatal(err)
	}
	expired.Error(&metav1.Status{Status: metav1.StatusFailure, Code: 410, Reason: metav1.StatusReasonExpired, Message: "too old resource version"})
	if err := result(t, ch); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if lists != 2 {
		t.Fatalf("%d lists, want 2 (the first, then one after the expired watch)", lists)
	}
}

// The API server goes away while the drain waits for an evicted pod to go
// (kubectl's wait gives up at the first error): the drain waits for it to
// answer, drains again — nothing left to evict — and passes, having
// evicted the pod once.
func TestDrainSurvivesOutage(t *testing.T) {
	env, f := newEnv(t, node("node-1", false), node("node-2", false), mysqlPod("mysql-2", true, onNode("node-1")))
	evicted := evictions(f, nil)
	var mu sync.Mutex
	refusals := 2
	f.Client.PrependReactor("get", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		mu.Lock()
		defer mu.Unlock()
		if len(*evicted) > 0 && refusals > 0 { // after the eviction: the wait's GETs
			refusals--
			return true, nil, refused()
		}
		return false, nil, nil
	})
	// Back, but its RBAC cache is cold: the first list is Forbidden.
	forbid := 1
	f.Client.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		mu.Lock()
		defer mu.Unlock()
		if refusals == 1 && forbid > 0 {
			forbid--
			return true, nil, apierrors.NewForbidden(corev1.Resource("pods"), "", errors.New("RBAC: not yet"))
		}
		return false, nil, nil
	})
	var progress []string
	out, err := (&Drain{NodeOp: NodeOp{Pod: "mysql-2"}}).Run(context.Background(), env, func(m Msg) { progress = append(progress, m.ID) })
	if err != nil {
		t.Fatal(err)
	}
	if len(*evicted) != 1 || out.Msg.Args["Count"] != 1 {
		t.Fatalf("evicted %v, outcome %v", *evicted, out.Msg)
	}
	if !slices.Contains(progress, "StateAPIUnreachable") {
		t.Fatalf("progress %v: the outage was not reported", progress)
	}
}

// Uncordoning waits for an API server that is away for a moment instead
// of leaving the node cordoned.
func TestUncordonWaitsForTheAPIServer(t *testing.T) {
	env, f := newEnv(t, node("node-1", true))
	env.State.Cordoned("node-1")
	var mu sync.Mutex
	refusals := 3
	f.Client.PrependReactor("get", "nodes", func(k8stesting.Action) (bool, runtime.Object, error) {
		mu.Lock()
		defer mu.Unlock()
		if refusals > 0 {
			refusals--
			return true, nil, refused()
		}
		return false, nil, nil
	})
	nodes, err := UncordonAll(context.Background(), env)
	if err != nil || len(nodes) != 1 {
		t.Fatal(nodes, err)
	}
	n, _ := f.Client.CoreV1().Nodes().Get(context.Background(), "node-1", metav1.GetOptions{})
	if n.Spec.Unschedulable {
		t.Fatal("still cordoned")
	}
}

func TestOutageOngoing(t *testing.T) {
	forbidden := apierrors.NewForbidden(corev1.Resource("pods"), "", errors.New("RBAC"))
	var o outage
	if o.ongoing(forbidden) {
		t.Fatal("a Forbidden with no outage before is a real refusal")
	}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{refused(), true},
		{forbidden, true}, // the API server is back, its RBAC cache cold
		{apierrors.NewNotFound(corev1.Resource("pods"), "x"), false},
	} {
		if got := o.ongoing(tc.err); got != tc.want {
			t.Fatalf("ongoing(%v) = %v", tc.err, got)
		}
	}
	o.last = time.Now().Add(-startingGrace - time.Second)
	if o.ongoing(forbidden) {
		t.Fatal("a Forbidden long after the outage is a real refusal")
	}
}
