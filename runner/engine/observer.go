package engine

import (
	"time"

	"github.com/kubetutor/kubetutor/runner/step"
)

// EventKind says what happened.
type EventKind int

// Event kinds, in the order a run emits them.
const (
	// PreflightStarted: preflight begins.
	PreflightStarted EventKind = iota
	// PreflightDone: one preflight item is done (Preflight set).
	PreflightDone
	// StepStarted: a step begins (Step, StepIndex).
	StepStarted
	// StepArmed: a watched step's checks start before anyone acts; ByHand
	// holds the commands that do it by hand (Msg: why there are none).
	StepArmed
	// ActionStarted: the step's action begins (Msg is its description).
	ActionStarted
	// ActionDone: the action finished (Action set).
	ActionDone
	// CheckStarted: a check begins waiting (Check index, Msg = description).
	CheckStarted
	// Progress: news while an action runs or a check waits — the latest
	// mismatch, a recognised failure signature, an evicted pod (Msg).
	Progress
	// CheckDone: a check finished (CheckResult set).
	CheckDone
	// StepDone: a step finished (StepResult set).
	StepDone
	// AftermathDone: clean-up after a failure or interruption (Aftermath set).
	AftermathDone
	// RunDone: the run is over (Result set).
	RunDone
)

// Event is one thing that happened during a run. Fields that do not apply
// to a kind are zero.
type Event struct {
	Kind EventKind
	Time time.Time
	// Step is the step's ID; StepIndex its 0-based position; Steps the
	// number of steps of the lesson.
	Step             string
	StepIndex, Steps int
	// Check is the index of the check within the step (-1: the action).
	Check int
	// Msg is the news (Progress), or the description of what starts.
	Msg step.Msg

	// ByHand are the commands of a step armed for a watch (StepArmed).
	ByHand *step.ByHand

	Preflight   *PreflightItem
	Action      *ActionResult
	CheckResult *CheckResult
	StepResult  *StepResult
	Aftermath   *Aftermath
	Result      *Result
}

// Observer receives a run's events as they happen, from the goroutine that
// runs the engine. Implementations must not block for long: the TUI forwards
// them into a channel its model drains (see Chan).
type Observer interface {
	Observe(Event)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(Event)

// Observe implements Observer.
func (f ObserverFunc) Observe(e Event) { f(e) }

// Chan returns an Observer that sends every event on ch (blocking when ch
// is full: give it a buffer and drain it, e.g. with a re-armed
// waitForEvent tea.Cmd).
func Chan(ch chan<- Event) Observer { return ObserverFunc(func(e Event) { ch <- e }) }

// Multi fans events out to several observers, in order.
func Multi(obs ...Observer) Observer {
	return ObserverFunc(func(e Event) {
		for _, o := range obs {
			if o != nil {
				o.Observe(e)
			}
		}
	})
}

type nopObserver struct{}

func (nopObserver) Observe(Event) {}
