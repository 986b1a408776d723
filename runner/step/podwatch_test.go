package step

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestWatchPodsStreamsChanges(t *testing.T) {
	env, f := newEnv(t, mysqlPod("mysql-0", true))
	started := watchStarted(f.Client, "pods")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan []*corev1.Pod, 8)
	go func() { _ = WatchPods(ctx, env, "", func(p []*corev1.Pod) { got <- p }) }()
	if first := <-got; len(first) != 1 || Summarize(first[0]).Ready != "2/2" {
		t.Fatal(first)
	}
	waitFor(t, started)
	createObj(t, f, mysqlPod("mysql-1", false, restarts(2)))
	second := <-got
	if len(second) != 2 {
		t.Fatal(second)
	}
	if s := Summarize(second[1]); s.Name != "mysql-1" || s.Ready != "1/2" || s.Restarts != 4 || s.Node != "node-1" || s.Status != "Running" {
		t.Fatalf("%+v", s)
	}
}
