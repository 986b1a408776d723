package workshop

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestOrdered(t *testing.T) {
	ls := []Learner{
		{Name: "a", StepIndex: 5, State: StateWorking},
		{Name: "b", StepIndex: 9, State: StateStuck},
		{Name: "c", StepIndex: 2, State: StateWorking},
		{Name: "d", StepIndex: 7, State: StateFailing},
		{Name: "e", StepIndex: 0, State: StateNotStarted},
		{Name: "f", StepIndex: 2, State: StateWorking},
		{Name: "g", StepIndex: 3, State: StateStuck},
	}
	var got []string
	for _, l := range Ordered(ls) {
		got = append(got, l.Name)
	}
	// Failing, stuck (by step), then by step; ties keep the snapshot's order.
	if s := strings.Join(got, ""); s != "dgbecfa" {
		t.Errorf("order %s, want dgbecfa", s)
	}
	if ls[0].Name != "a" {
		t.Error("Ordered sorted its argument")
	}
}

func TestAnonymise(t *testing.T) {
	s := Snapshot{Workshop: "w", Learners: []Learner{
		{Name: "aiko", Namespace: "w-aiko", LastWarning: "FailedMount: pvc in w-aiko for aiko's pod"},
		{Name: "02", Namespace: "w-02", LastWarning: "BackOff: pod mysql-02 in w-02"},
	}}
	a := Anonymise(s)
	if a.Learners[0].Name != "01" || a.Learners[0].Namespace != "" || a.Learners[0].LastWarning != "FailedMount: pvc in … for …'s pod" {
		t.Errorf("first: %+v", a.Learners[0])
	}
	// A name of digits is not scrubbed from numbers.
	if a.Learners[1].LastWarning != "BackOff: pod mysql-02 in …" {
		t.Errorf("second: %+v", a.Learners[1])
	}
	if s.Learners[0].Name != "aiko" {
		t.Error("Anonymise changed its argument")
	}
	d := AnonymiseDetail(Detail{Learner: s.Learners[0], Events: []Line{{Text: "Scheduled: w-aiko/mysql-0 to w1"}}, Pods: []Line{{Text: "mysql-0 Running"}}}, "01")
	if d.Learner.Name != "01" || d.Events[0].Text != "Scheduled: …/mysql-0 to w1" || d.Pods[0].Text != "mysql-0 Running" {
		t.Errorf("detail: %+v", d)
	}
}

func TestShown(t *testing.T) {
	for _, tc := range []struct {
		l          Learner
		checkpoint int
		want       string
	}{
		{Learner{StepIndex: 7, State: StateStuck}, 7, Reached},
		{Learner{StepIndex: 6, State: StateStuck}, 7, StateStuck},
		{Learner{StepIndex: 10, State: StateDone}, 0, StateDone},
		{Learner{StepIndex: 0, State: StateNotStarted}, 0, StateNotStarted},
		{Learner{StepIndex: 2, State: "surprised"}, 0, StateWorking},
	} {
		if got := Shown(tc.l, tc.checkpoint); got != tc.want {
			t.Errorf("Shown(%+v, %d) = %s, want %s", tc.l, tc.checkpoint, got, tc.want)
		}
	}
}

func TestAge(t *testing.T) {
	t2 := func(id string, data map[string]any) string { return id + " " + fmt.Sprint(data) }
	for d, want := range map[time.Duration]string{
		-time.Second:     "WSAgeSec map[S:0]",
		59 * time.Second: "WSAgeSec map[S:59]",
		61 * time.Second: "WSAgeMin map[M:1 S:01]",
		75 * time.Minute: "WSAgeHour map[H:1 M:15]",
		50 * time.Hour:   "WSAgeDay map[D:2 H:02]",
	} {
		if got := Age(d, t2); got != want {
			t.Errorf("Age(%v) = %q, want %q", d, got, want)
		}
	}
}
