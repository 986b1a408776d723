package tui

import (
	"strings"
	"testing"

	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/manifests"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

func TestEngineRunnerPreview(t *testing.T) {
	all, probs, err := lesson.LoadAll(lessons.FS, "lessons", step.Kinds())
	if err != nil || len(probs) > 0 {
		t.Fatalf("load: %v %v", err, probs)
	}
	var l *lesson.Lesson
	for _, x := range all {
		if x.ID == "mysql" {
			l = x
		}
	}
	if l == nil {
		t.Fatal("no mysql lesson")
	}
	r := NewEngineRunner(nil, manifests.FS, "en", nil)
	want := map[string]string{
		"apply-configmap":   "ConfigMap mysql",
		"apply-services":    "Service mysql, Service mysql-read",
		"apply-statefulset": "StatefulSet mysql",
		"break-probe":       "",
	}
	for i, s := range l.Spec.Steps {
		w, ok := want[s.ID]
		if !ok {
			continue
		}
		if got := strings.Join(r.Preview(l, i), ", "); got != w {
			t.Errorf("%s: preview %q, want %q", s.ID, got, w)
		}
	}

}
