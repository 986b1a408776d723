package flow

import (
	"fmt"
	"strings"
	"testing"
)

// st builds a state from a compact form: "P P R L" (Passed, Passed,
// Ready, Locked; F Failed, U Unavailable, X Running), the current step and
// the mode.
func st(steps string, cur int, m Mode) State {
	s := State{Current: cur, Mode: m}
	for _, f := range strings.Fields(steps) {
		s.Steps = append(s.Steps, map[string]Status{"L": Locked, "R": Ready, "X": Running, "P": Passed, "F": Failed, "U": Unavailable}[f])
	}
	return s
}

func show(s State) string {
	var b []string
	for _, x := range s.Steps {
		b = append(b, map[Status]string{Locked: "L", Ready: "R", Running: "X", Passed: "P", Failed: "F", Unavailable: "U"}[x])
	}
	return fmt.Sprintf("%s cur=%d %s", strings.Join(b, " "), s.Current, s.Mode)
}

func effects(es []Effect) string {
	var out []string
	for _, e := range es {
		out = append(out, fmt.Sprintf("%T%+v", e, e))
	}
	return strings.ReplaceAll(strings.Join(out, " "), "flow.", "")
}

func TestNext(t *testing.T) {
	for _, tc := range []struct {
		name    string
		from    State
		events  []Event
		want    string
		effects string // of the last event
	}{
		{"no cluster: reading mode", State{}, []Event{Opened{Steps: 3, Live: false}}, " L L L cur=0 reading", ""},
		{"fresh start unlocks the first step", State{}, []Event{Opened{Steps: 3, Live: true}}, "R L L cur=0 idle", "Watch{Index:0}"},
		{"run in reading mode does nothing", st("L L", 0, Reading), []Event{Run{}}, "L L cur=0 reading", ""},
		{"run the current step", st("R L L", 0, Idle), []Event{Run{}}, "X L L cur=0 busy", "RunStep{Index:0 CatchUp:false}"},
		{"pass unlocks the next", st("X L L", 0, Busy), []Event{StepPassed{0}}, "P R L cur=1 idle", "Save{} Watch{Index:1}"},
		{"unavailable counts as done", st("P X L", 1, Busy), []Event{StepUnavailable{1}}, "P U R cur=2 idle", "Save{} Watch{Index:2}"},
		{"last pass shows the summary", st("P P X", 2, Busy), []Event{StepPassed{2}}, "P P P cur=3 summary", "Save{}"},
		{"fail offers retry", st("P X L", 1, Busy), []Event{StepFailed{1}}, "P F L cur=1 idle", "Save{} Watch{Index:1}"},
		{"retry after failure", st("P F L", 1, Idle), []Event{Run{}}, "P X L cur=1 busy", "RunStep{Index:1 CatchUp:false}"},
		{"cannot run while busy", st("X L", 0, Busy), []Event{Run{}}, "X L cur=0 busy", ""},
		{"skip ahead catches up", st("R L L L", 0, Idle), []Event{SkipTo{3}}, "X L L L cur=0 catching-up", "RunStep{Index:0 CatchUp:true}"},
		{"catch-up continues", st("R L L L", 0, Idle), []Event{SkipTo{3}, StepPassed{0}}, "P X L L cur=1 catching-up", "Save{} RunStep{Index:1 CatchUp:true}"},
		{"catch-up reaches the target", st("R L L L", 0, Idle), []Event{SkipTo{3}, StepPassed{0}, StepPassed{1}, StepPassed{2}}, "P P P R cur=3 idle", "Save{} Watch{Index:3}"},
		{"catch-up stops at a failure", st("R L L L", 0, Idle), []Event{SkipTo{3}, StepPassed{0}, StepFailed{1}}, "P F L L cur=1 idle", "Save{} Watch{Index:1}"},
		{"skip backwards is ignored", st("P P R", 2, Idle), []Event{SkipTo{1}}, "P P R cur=2 idle", ""},
		{"stored progress offers resume", State{}, []Event{Opened{Steps: 4, Live: true, Stored: []Status{Passed, Unavailable, Failed}}}, "P U L L cur=0 resume-prompt", ""},
		{"resume where the cluster shows", State{}, []Event{Opened{Steps: 4, Live: true, Stored: []Status{Passed, Passed}}, Answer{Yes: true}}, "P P R L cur=2 idle", "Save{} Watch{Index:2}"},
		{"resume keeps unavailable steps", State{}, []Event{Opened{Steps: 4, Live: true, Stored: []Status{Passed, Unavailable, Passed}}, Answer{Yes: true}}, "P U P R cur=3 idle", "Save{} Watch{Index:3}"},
		{"decline resume starts over", State{}, []Event{Opened{Steps: 3, Live: true, Stored: []Status{Passed}}, Answer{Yes: false}}, "R L L cur=0 idle", "ClearProgress{} Watch{Index:0}"},
		{"reset asks first", st("P R L", 1, Idle), []Event{AskReset{}}, "P R L cur=1 confirm-reset", ""},
		{"reset declined", st("P R L", 1, Idle), []Event{AskReset{}, Answer{}}, "P R L cur=1 idle", ""},
		{"reset confirmed cleans up", st("P R L", 1, Idle), []Event{AskReset{}, Answer{Yes: true}}, "P R L cur=1 resetting", "StopWatch{} Cleanup{}"},
		{"reset done forgets progress", st("P R L", 1, Idle), []Event{AskReset{}, Answer{Yes: true}, ResetDone{}}, "R L L cur=0 idle", "ClearProgress{} Watch{Index:0}"},
		{"reset from the summary", st("P P", 2, Summary), []Event{AskReset{}}, "P P cur=2 confirm-reset", ""},
		{"quit when idle saves and quits", st("P R", 1, Idle), []Event{AskQuit{}}, "P R cur=1 idle", "Save{} Quit{}"},
		{"quit while busy asks", st("P X", 1, Busy), []Event{AskQuit{}}, "P X cur=1 confirm-quit", ""},
		{"quit confirmed cancels and uncordons", st("P X", 1, Busy), []Event{AskQuit{}, Answer{Yes: true}}, "P X cur=1 confirm-quit", "CancelStep{} Uncordon{} Save{} Quit{}"},
		{"second ctrl-c quits", st("P X", 1, Busy), []Event{AskQuit{}, AskQuit{}}, "P X cur=1 confirm-quit", "CancelStep{} Uncordon{} Save{} Quit{}"},
		{"quit declined keeps running", st("P X", 1, Busy), []Event{AskQuit{}, Answer{}}, "P X cur=1 busy", ""},
		{"step passes during the quit prompt", st("P X L", 1, Busy), []Event{AskQuit{}, StepPassed{1}, Answer{}}, "P P R cur=2 idle", ""},
		{"sigterm while busy quits without asking", st("P X", 1, Busy), []Event{Terminate{}}, "P X cur=1 busy", "CancelStep{} Uncordon{} Save{} Quit{}"},
		{"sigterm during the quit prompt", st("P X", 1, Busy), []Event{AskQuit{}, Terminate{}}, "P X cur=1 confirm-quit", "CancelStep{} Uncordon{} Save{} Quit{}"},
		{"sigterm when idle", st("P R", 1, Idle), []Event{Terminate{}}, "P R cur=1 idle", "CancelStep{} Uncordon{} Save{} Quit{}"},
		{"skip to the next step catches up on the current one", st("P R L", 1, Idle), []Event{SkipTo{2}, StepPassed{1}}, "P P R cur=2 idle", "Save{} Watch{Index:2}"},
		{"catch-up step unavailable continues", st("R L L", 0, Idle), []Event{SkipTo{2}, StepUnavailable{0}}, "U X L cur=1 catching-up", "Save{} RunStep{Index:1 CatchUp:true}"},
		{"the watch sees the step done by hand", st("P R L", 1, Idle), []Event{StepPassed{1}}, "P P R cur=2 idle", "Save{} Watch{Index:2}"},
		{"a watch that fails for good is not watched again", st("P R L", 1, Idle), []Event{WatchFailed{1}}, "P F L cur=1 idle", "Save{}"},
		{"enter retries a step whose watch failed", st("P R L", 1, Idle), []Event{WatchFailed{1}, Run{}}, "P X L cur=1 busy", "RunStep{Index:1 CatchUp:false}"},
		{"the watch passes behind the reset prompt", st("P R L", 1, Idle), []Event{AskReset{}, StepPassed{1}}, "P P R cur=2 confirm-reset", "Save{} Watch{Index:2}"},
		{"reset declined after the step passed", st("P R L", 1, Idle), []Event{AskReset{}, StepPassed{1}, Answer{}}, "P P R cur=2 idle", ""},
		{"the last step done by hand shows the summary", st("P R", 1, Idle), []Event{StepPassed{1}}, "P P cur=2 summary", "Save{}"},
		{"reset while busy is ignored", st("X L", 0, Busy), []Event{AskReset{}}, "X L cur=0 busy", ""},
		{"resume with nothing stored starts fresh", State{}, []Event{Opened{Steps: 2, Live: true, Stored: []Status{Failed}}}, "R L cur=0 idle", "Watch{Index:0}"},
		{"cancelled step is ready again", st("P X", 1, Busy), []Event{StepCancelled{1}}, "P R cur=1 idle", "Watch{Index:1}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, eff := tc.from, []Effect(nil)
			for _, e := range tc.events {
				s, eff = Next(s, e)
			}
			if got := show(s); strings.TrimSpace(got) != strings.TrimSpace(tc.want) {
				t.Errorf("state %q, want %q", got, tc.want)
			}
			if got := effects(eff); got != tc.effects {
				t.Errorf("effects %q, want %q", got, tc.effects)
			}
		})
	}
}

func TestNextDoesNotAlias(t *testing.T) {
	a := st("R L", 0, Idle)
	b, _ := Next(a, Run{})
	if a.Steps[0] != Ready || b.Steps[0] != Running {
		t.Errorf("Next changed its input: %v %v", a.Steps, b.Steps)
	}
}

func TestProgress(t *testing.T) {
	if d, n := st("P U F L", 2, Idle).Progress(); d != 2 || n != 4 {
		t.Errorf("got %d/%d", d, n)
	}
}
