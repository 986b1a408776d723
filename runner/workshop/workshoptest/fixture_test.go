package workshoptest

import (
	"context"
	"testing"

	"github.com/kubetutor/kubetutor/runner/workshop"
)

func TestLessonLoads(t *testing.T) {
	l, err := Lesson()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "ja"} {
		names := workshop.StepNames(l, lang)
		if len(names) != 10 {
			t.Fatalf("%s: %d steps", lang, len(names))
		}
		for _, n := range names {
			if n.Title == n.ID {
				t.Errorf("%s: step %s has no title", lang, n.ID)
			}
		}
	}
}

func TestFakeUpdates(t *testing.T) {
	f := New(Class())
	ctx, cancel := context.WithCancel(context.Background())
	ch := f.Updates(ctx)
	f.Update("ben", func(l *workshop.Learner) { l.StepIndex = 4 })
	f.Update("ben", func(l *workshop.Learner) { l.StepIndex = 5 })
	if s := <-ch; s.Learners[1].StepIndex != 5 {
		t.Errorf("got step %d, want the newest (5)", s.Learners[1].StepIndex)
	}
	cancel()
	if _, ok := <-ch; ok {
		t.Error("channel not closed after cancel")
	}
}
