package tui

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/goleak"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kubetutor/kubetutor/runner/step"
)

// TestStreamsStopWithTheirContext starts every live stream on a fake
// clientset (pod and event informers, the read loop, a log follower),
// sees them deliver, cancels the lesson's context and checks that no
// goroutine is left behind.
func TestStreamsStopWithTheirContext(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	client := fake.NewClientset(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "demo-0", Namespace: "tutor", Labels: map[string]string{"app": "demo"}}})
	live := &Live{Client: client, Namespace: "tutor", Selector: "app=demo",
		Read: func(ctx context.Context, _ step.SQLTarget, _ string) (string, string, error) {
			return "demo-0", "100", nil
		}}
	ctx, cancel := context.WithCancel(context.Background())
	s := startStreams(ctx, live, 1, &step.SQLTarget{Service: "demo-read"}, "SELECT @@server_id")
	s.followLogs("demo-0", "")
	got := map[string]bool{}
	deadline := time.After(10 * time.Second)
	for !(got["pods"] && got["read"] && got["log"]) {
		select {
		case m := <-s.out:
			switch msg := m.msg.(type) {
			case podsMsg:
				got["pods"] = len(msg.pods) == 1
			case readMsg:
				got["read"] = msg.value == "100"
			case logMsg:
				got["log"] = msg.err == nil
			}
		case <-deadline:
			t.Fatalf("streams delivered only %v", got)
		}
	}
	s.followLogs("demo-1", "") // switching the followed pod stops the old follower
	cancel()
	// Drain until the streams close their channel.
	for {
		select {
		case _, ok := <-s.out:
			if !ok {
				return
			}
		case <-time.After(10 * time.Second):
			t.Fatal("streams did not stop after cancel")
		}
	}
}

func TestPodRow(t *testing.T) {
	now := metav1.NewTime(clock)
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		want string // ready status restarts
	}{
		{"init 1 of 2", pod("p", "n", "Pending", false, 1, 0), "0/2 Init:1/2 0"},
		{"running, not ready", pod("p", "n", "Running", false, 2, 0), "0/2 Running 0"},
		{"ready", pod("p", "n", "Running", true, 2, 0), "2/2 Running 0"},
		{"terminating", func() *corev1.Pod { p := pod("p", "n", "Running", true, 2, 0); p.DeletionTimestamp = &now; return p }(), "2/2 Terminating 0"},
		{"crash loop", func() *corev1.Pod {
			p := pod("p", "n", "Running", false, 2, 0)
			p.Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}
			p.Status.ContainerStatuses[0].RestartCount = 4
			return p
		}(), "0/2 CrashLoopBackOff 4"},
		{"init failed", func() *corev1.Pod {
			p := pod("p", "n", "Pending", false, 0, 0)
			p.Status.InitContainerStatuses[0].State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error"}}
			return p
		}(), "0/2 Init:Error 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newPodRow(tc.pod)
			if got := fmt.Sprintf("%s %s %d", r.readyText, r.status, r.restarts); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
