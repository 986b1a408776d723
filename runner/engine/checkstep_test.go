package engine

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/runner/kube/kubefake"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

func TestCheckStepRunsOnlyChecks(t *testing.T) {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "mini", Namespace: ns}}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "mini-0", Namespace: ns}, Spec: corev1.PodSpec{NodeName: "node-1"}}
	c, f := kubefake.New(ns, readyNode("node-1"), cm, pod)
	s := lesson.Step{ID: "s", Action: step.ActionOf(&step.DeletePod{Name: "mini-0"}), Checks: []lesson.Check{
		step.CheckOf(&step.Exists{ObjectRef: step.ObjectRef{Kind: "ConfigMap", Name: "mini"}}),
		step.CheckOf(&step.NodeChanged{Pod: "mini-0"}), // compares with before: skipped
	}}
	e := New(c, miniLesson(s), testManifests, Options{}, nil)
	res := e.CheckStep(context.Background(), 0, time.Second)
	if res.Status != Passed || res.Checks[0].Status != Passed || res.Checks[1].Status != Skipped {
		t.Fatalf("%+v", res)
	}
	// The action did not run: the pod is still there.
	if _, err := f.Client.CoreV1().Pods(ns).Get(context.Background(), "mini-0", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	// A check that does not hold fails within the short wait.
	s.Checks[0] = step.CheckOf(&step.Exists{ObjectRef: step.ObjectRef{Kind: "ConfigMap", Name: "other"}})
	res = New(c, miniLesson(s), testManifests, Options{}, nil).CheckStep(context.Background(), 0, 200*time.Millisecond)
	if res.Status != Failed || res.Checks[0].Failure == nil || res.Checks[0].Failure.After != 200*time.Millisecond {
		t.Fatalf("%+v", res.Checks[0])
	}
}
