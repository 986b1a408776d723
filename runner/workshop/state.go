package workshop

import (
	"slices"
	"time"
)

// Thresholds of a learner's state.
const (
	// FailingAfter is how long a pod must be in a bad state (crash loop,
	// image pull, unschedulable) before the learner is failing.
	FailingAfter = 60 * time.Second
	// WarningWindow is how recent a warning must be, with no new evidence
	// since, for the learner to be stuck.
	WarningWindow = 2 * time.Minute
)

// stateInput is what a learner's state is judged from.
type stateInput struct {
	// Reached is the furthest done step (-1: none) of Steps steps.
	Reached, Steps int
	// Since is when Reached was first seen done (zero: none).
	Since time.Time
	// Timeout is the next step's check timeout; Median the class's median
	// duration of the next step (0: too few learners did it).
	Timeout, Median time.Duration
	// Instructor is set when the next step is the instructor's: a learner
	// waiting for the instructor is not stuck.
	Instructor bool
	// WarnAt is when the newest warning that the lesson does not expect
	// occurred (zero: none).
	WarnAt time.Time
	// BadSince is since when a pod has been in a bad state (zero: none).
	BadSince time.Time
	Now      time.Time
}

// learnerState judges a learner's state (the State* constants): done when
// every step is; failing when a pod has been in a bad state for
// FailingAfter; stuck when on a step for longer than both its timeout and
// twice the class's median for it, or when a warning came in the last
// WarningWindow after the last evidence of progress; not started when no
// step is done; else working.
func learnerState(in stateInput) string {
	switch {
	case in.Steps > 0 && in.Reached == in.Steps-1:
		return StateDone
	case !in.BadSince.IsZero() && in.Now.Sub(in.BadSince) >= FailingAfter:
		return StateFailing
	case !in.WarnAt.IsZero() && in.Now.Sub(in.WarnAt) <= WarningWindow && in.WarnAt.After(in.Since):
		return StateStuck
	case in.Reached < 0:
		return StateNotStarted
	case !in.Instructor && !in.Since.IsZero() && in.Now.Sub(in.Since) > max(in.Timeout, 2*in.Median):
		return StateStuck
	}
	return StateWorking
}

// median of ds (0 with fewer than 3: too few to compare with).
func median(ds []time.Duration) time.Duration {
	if len(ds) < 3 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
