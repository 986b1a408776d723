package engine

import (
	"strings"
	"testing"

	"github.com/kubetutor/kubetutor/i18n"
	"github.com/kubetutor/kubetutor/lessons"
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
