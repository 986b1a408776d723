package engine

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubetutor/kubetutor/i18n"
	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/manifests"
	"github.com/kubetutor/kubetutor/runner/kube/kubefake"
	"github.com/kubetutor/kubetutor/runner/l10n"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

// Every action and check of every built-in lesson builds, and its
// description renders in every language without gaps.
func TestBuiltinLessonsDescribeInEveryLanguage(t *testing.T) {
	all, probs, err := lesson.LoadAll(lessons.FS, "lessons", step.Kinds())
	if err != nil || len(probs) > 0 {
		t.Fatal(err, probs)
	}
	cat, err := l10n.LoadCatalog(i18n.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range all {
		for _, lang := range l10n.Supported {
			tr := cat.Translator(lang)
			check := func(where string, m step.Msg) {
				got := m.Text(tr)
				if got == m.ID || got == "" || strings.Contains(got, "<no value>") {
					t.Errorf("%s %s %s: %q renders as %q", l.ID, lang, where, m, got)
				}
			}
			for _, s := range l.Spec.Steps {
				a, err := step.NewAction(s.Action)
				if err != nil {
					t.Fatalf("%s/%s: %v", l.ID, s.ID, err)
				}
				check(s.ID+" action", a.Describe())
				for i, c := range s.Checks {
					chk, err := step.NewCheck(c)
					if err != nil {
						t.Fatalf("%s/%s check %d: %v", l.ID, s.ID, i, err)
					}
					check(s.ID+" check", chk.Describe())
				}
			}
		}
	}
}

// TestBuiltinLessonsByHand: every step of every built-in lesson, armed on
// a cluster holding the pods and StatefulSets the lessons name, gives
// kubectl commands (or a note why there are none) and a script form that
// bash accepts, in a namespace that is not the kubeconfig's.
func TestBuiltinLessonsByHand(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal(err)
	}
	all, probs, err := lesson.LoadAll(lessons.FS, "lessons", step.Kinds())
	if err != nil || len(probs) > 0 {
		t.Fatal(err, probs)
	}
	var objs []runtime.Object
	for _, n := range []string{"mysql-0", "mysql-1", "mysql-2", "mysql-3", "mysql-4", "catalog-mysql-0", "catalog-mysql-ebs-0", "mehdb-0", "mehdb-1", "mehdb-2", "jumpod"} {
		objs = append(objs, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: n, Namespace: ns, UID: types.UID("uid-" + n)}, Spec: corev1.PodSpec{NodeName: "node-1"}})
	}
	for _, n := range []string{"data-mysql-2", "data-catalog-mysql-ebs-0", "data-mehdb-0", "data-mehdb-2"} {
		objs = append(objs, &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: n, Namespace: ns, UID: types.UID("uid-" + n)}})
	}
	objs = append(objs, readyNode("node-1"), readyNode("node-2"))
	for _, l := range all {
		c, _ := kubefake.New(ns, objs...)
		c.Kubectl = []string{"-n", ns}
		e := New(c, l, manifests.FS, Options{ManifestCache: t.TempDir()}, nil)
		for i, s := range l.Spec.Steps {
			a := e.Arm(context.Background(), i)
			h, err := a.Commands(context.Background())
			if err != nil {
				t.Errorf("%s/%s: %v", l.ID, s.ID, err)
				continue
			}
			if len(h.Lines) == 0 && h.Note.IsZero() {
				t.Errorf("%s/%s: no command and no note", l.ID, s.ID)
			}
			script, err := a.Script(context.Background())
			if err != nil {
				t.Errorf("%s/%s: %v", l.ID, s.ID, err)
			}
			for _, line := range script {
				if out, err := exec.Command(bash, "-n", "-c", line).CombinedOutput(); err != nil {
					t.Errorf("%s/%s: bash rejects %q: %v\n%s", l.ID, s.ID, line, err, out)
				}
			}
			for _, line := range h.Lines {
				if !strings.HasPrefix(line, "kubectl -n "+ns+" ") {
					t.Errorf("%s/%s: %q does not name the namespace", l.ID, s.ID, line)
				}
			}
		}
	}
}

// Steps whose checks compare with the state before the action are never
// satisfied by catch-up alone.
func TestComparesWithBefore(t *testing.T) {
	all, probs, err := lesson.LoadAll(lessons.FS, "lessons", step.Kinds())
	if err != nil || len(probs) > 0 {
		t.Fatal(err, probs)
	}
	for _, l := range all {
		if l.ID != "mysql" {
			continue
		}
		for _, s := range l.Spec.Steps {
			before := ComparesWithBefore(s)
			switch s.ID {
			case "break-probe", "delete-pod", "drain-node":
				if !before {
					t.Errorf("%s: compares with before = false", s.ID)
				}
			case "apply-configmap", "read-loop":
				if before {
					t.Errorf("%s: compares with before = true", s.ID)
				}
			}
		}
	}
}
