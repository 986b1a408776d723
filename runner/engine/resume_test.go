package engine

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/kubetutor/kubetutor/runner/kube/kubefake"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

// TestRunResumes: an earlier run did the first step (its ConfigMap
// exists): run resumes after it, and with FromStart runs it again.
func TestRunResumes(t *testing.T) {
	mfs := fstest.MapFS{"mini/configmap.yaml": testManifests["mini/configmap.yaml"],
		"mini/other.yaml": {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other, labels: {app: mini}}\n")}}
	steps := []lesson.Step{applyStep, {ID: "later", Action: step.ActionOf(&step.Apply{Files: []string{"mini/other.yaml"}}),
		Checks: []lesson.Check{step.CheckOf(&step.Exists{ObjectRef: step.ObjectRef{Kind: "ConfigMap", Name: "other"}})}}}
	for _, tc := range []struct {
		name      string
		fromStart bool
		want      Status
	}{
		{"resume", false, Skipped},
		{"from start", true, Passed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := kubefake.New(ns, readyNode("node-1"), defaultClass())
			if sr := New(c, miniLesson(steps...), mfs, Options{}, nil).RunStep(context.Background(), 0); sr.Status != Passed {
				t.Fatalf("first run: %+v", sr)
			}
			res := New(c, miniLesson(steps...), mfs, Options{FromStart: tc.fromStart, SkipPreflight: true}, nil).Run(context.Background())
			if !res.Passed || len(res.Steps) != 2 || res.Steps[0].Status != tc.want || res.Steps[1].Status != Passed {
				t.Fatalf("%+v", res.Steps)
			}
			if tc.want == Skipped && res.Steps[0].Reason.ID != "ReasonDoneBefore" {
				t.Errorf("reason %v", res.Steps[0].Reason)
			}
		})
	}
}
