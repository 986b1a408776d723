package tui

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// TestStreamsStopWithTheirContext starts every live stream on a fake
// clientset (pod and event informers, the read loop, a log follower),
// sees them deliver, cancels the lesson's context and checks that no
// goroutine is left behind.
func TestStreamsStopWithTheirContext(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	client := fake.NewClientset(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "demo-0", Namespace: "tutor", Labels: map[string]string{"app": "demo"}}})
	live := &Live{Client: client, Namespace: "tutor", Selector: "app=demo",
		Read: func(ctx context.Context, _ lesson.SQLTarget, _ string) (string, string, error) {
			return "demo-0", "100", nil
		}}
	ctx, cancel := context.WithCancel(context.Background())
	s := startStreams(ctx, live, 1, &lesson.SQLTarget{Service: "demo-read"}, "SELECT @@server_id")
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
