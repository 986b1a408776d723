package step

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/runner/kube"
	"github.com/kubetutor/kubetutor/runner/kube/kubefake"
)

func intp(i int) *int       { return &i }
func strp(s string) *string { return &s }

func TestExecOutputMatches(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    ExecOutput
		code int
		out  string
		want string
	}{
		{"equals trimmed", ExecOutput{Equals: strp("123")}, 0, "123\n", ""},
		{"equals differs", ExecOutput{Equals: strp("123")}, 0, "1234\n", "equals"},
		{"exit code expected", ExecOutput{ExitCode: intp(1), Contains: "No such file"}, 1, "cat: x: No such file or directory\n", ""},
		{"exit code differs", ExecOutput{ExitCode: intp(1)}, 0, "123", "exitCode"},
		{"contains", ExecOutput{Contains: "leader"}, 0, "leader", ""},
		{"not contains", ExecOutput{NotContains: "error"}, 0, "an error", "notContains"},
		{"empty equals", ExecOutput{Equals: strp("")}, 0, "  \n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.c.mismatch(tc.code, tc.out); got != tc.want {
				t.Errorf("mismatch = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestExecOutputWaits: while the pod is not running the check waits and
// says so; once the command's output matches it passes; on timeout it names
// the last exit code and output.
func TestExecOutputWaits(t *testing.T) {
	pending := mysqlPod("web-0", false)
	pending.Status.Phase = corev1.PodPending
	env, f := newEnv(t, pending)
	var runs atomic.Int32
	f.Exec.Handler = func(call kubefake.ExecCall, stdout, stderr io.Writer) error {
		if runs.Add(1) < 3 {
			fmt.Fprintln(stderr, "cat: /data/test.txt: No such file or directory")
			return kube.ExitError{Code: 1}
		}
		fmt.Fprintln(stdout, "123")
		return nil
	}
	c := &ExecOutput{Pod: "web-0", Command: []string{"cat", "/data/test.txt"}, Equals: strp("123")}
	var seen []string
	reported := make(chan struct{}, 1)
	started := watchStarted(f.Client, "pods")
	done := make(chan error, 1)
	go func() {
		done <- c.Wait(context.Background(), env, func(m Msg) {
			seen = append(seen, m.ID)
			select {
			case reported <- struct{}{}:
			default:
			}
		})
	}()
	waitFor(t, started)
	waitFor(t, reported) // the check has said why it waits: the pod is Pending
	updatePod(t, f, mysqlPod("web-0", true))
	if err := result(t, done); err != nil {
		t.Fatal(err)
	}
	if runs.Load() != 3 || len(seen) == 0 || seen[0] != "StatePodInit" && seen[0] != "StatePodPending" && seen[0] != "StatePodNotReady" {
		t.Errorf("runs %d, reports %v", runs.Load(), seen)
	}

	f.Exec.Handler = func(call kubefake.ExecCall, stdout, stderr io.Writer) error {
		fmt.Fprintln(stdout, "follower")
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	err := (&ExecOutput{Pod: "web-0", Command: []string{"curl", "-s", "x"}, Equals: strp("leader")}).Wait(ctx, env, nil)
	fl := asFailure(t, err)
	if !fl.TimedOut || fl.Msg.ID != "StateExecOutput" || fl.Msg.Args["Output"] != "follower" || fl.Msg.Args["Why"] != "equals" {
		t.Fatal(fl)
	}
}

func TestExecOutputTransportFailure(t *testing.T) {
	env, f := newEnv(t, mysqlPod("web-0", true))
	f.Exec.Handler = func(call kubefake.ExecCall, stdout, stderr io.Writer) error {
		return fmt.Errorf("error dialing backend: dial tcp 10.213.0.2:10250: connect: connection refused")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	fl := asFailure(t, (&ExecOutput{Pod: "web-0", Command: []string{"true"}}).Wait(ctx, env, nil))
	if fl.Msg.ID != "StateExecFailed" || !strings.Contains(fmt.Sprint(fl.Msg.Args["Error"]), "connection refused") {
		t.Fatal(fl)
	}
}

func TestNewUID(t *testing.T) {
	env, f := newEnv(t, mysqlPod("mysql-2", true))
	c := &NewUID{ObjectRef: ObjectRef{Kind: "Pod", Name: "mysql-2"}}
	if err := c.Prepare(context.Background(), env); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := short()
	defer cancel()
	if fl := asFailure(t, c.Wait(ctx, env, nil)); fl.Msg.ID != "StateSameUID" {
		t.Fatal(fl)
	}
	if err := f.Client.CoreV1().Pods(ns).Delete(context.Background(), "mysql-2", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	createObj(t, f, mysqlPod("mysql-2", false, withUID("uid-new")))
	if err := c.Wait(context.Background(), env, nil); err != nil {
		t.Fatal(err)
	}
}

func TestEventCheck(t *testing.T) {
	env, f := newEnv(t)
	c := &Event{Kind: "Pod", Name: "mysql-2", Reason: "Unhealthy", Message: "not found"}
	if err := c.Prepare(context.Background(), env); err != nil {
		t.Fatal(err)
	}
	old := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e1", Namespace: ns},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "mysql-2"}, Reason: "Unhealthy",
		Message: "Readiness probe failed: sh: 1: mysql: not found", LastTimestamp: metav1.NewTime(time.Now().Add(-time.Hour))}
	createObj(t, f, old)
	ctx, cancel := short()
	defer cancel()
	if fl := asFailure(t, c.Wait(ctx, env, nil)); fl.Msg.ID != "StateNoEvent" {
		t.Fatal(fl) // an event from before the step does not count
	}
	fresh := old.DeepCopy()
	fresh.Name, fresh.LastTimestamp = "e2", metav1.NewTime(time.Now().Add(time.Second))
	createObj(t, f, fresh)
	if err := c.Wait(context.Background(), env, nil); err != nil {
		t.Fatal(err)
	}
}
