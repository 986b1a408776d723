package engine

import (
	"time"

	"github.com/kubetutor/kubetutor/runner/step"
)

// Status is the outcome of a step, a check or a preflight item.
type Status string

// Statuses. Preflight items may also be Warning; steps and checks never are.
const (
	Passed      Status = "passed"
	Failed      Status = "failed"
	Skipped     Status = "skipped"
	Unavailable Status = "unavailable"
	Warning     Status = "warning"
	Running     Status = "running"
)

// Result is everything one run did, untranslated (reporters translate).
type Result struct {
	// Lesson is the lesson's ID, Lang the language of the run.
	Lesson, Lang string
	// Passed is true when preflight passed and no step failed.
	Passed bool
	// Interrupted is true when the run was cancelled (Ctrl-C, SIGTERM).
	Interrupted bool
	// Preflight are the "before you begin" findings.
	Preflight []PreflightItem
	// Steps are the lesson's steps, in order (skipped ones included).
	Steps []StepResult
	// Aftermath records what was undone after a failure or interruption
	// (nil when nothing needed undoing).
	Aftermath *Aftermath
	// Duration of the whole run.
	Duration time.Duration
}

// PreflightItem is one finding of preflight.
type PreflightItem struct {
	// Name says what was checked, e.g. PreflightNodes.
	Name step.Msg
	// Status is Passed, Warning or Failed.
	Status Status
	// Msg is what was found; Hint what to do about it.
	Msg, Hint step.Msg
	Duration  time.Duration
}

// StepResult is the outcome of one step.
type StepResult struct {
	ID     string
	Index  int
	Status Status
	// Reason explains Unavailable and Skipped.
	Reason   step.Msg
	Action   ActionResult
	Checks   []CheckResult
	Duration time.Duration
}

// ActionResult is the outcome of a step's action.
type ActionResult struct {
	// Desc says what the action does.
	Desc    step.Msg
	Status  Status
	Outcome step.Outcome
	// Failure is set when Status is Failed.
	Failure  *step.Failure
	Duration time.Duration
}

// CheckResult is the outcome of one check.
type CheckResult struct {
	// Name is the lesson's name for the check ("" when it has none);
	// Desc the generated description. Reporters show Name, else Desc.
	Name string
	Desc step.Msg
	// Line is the check's line in lesson.yaml.
	Line   int
	Status Status
	// Failure is set when Status is Failed.
	Failure *step.Failure
	// Reason explains Skipped and Unavailable.
	Reason   step.Msg
	Duration time.Duration
}

// Aftermath records the clean-up after a failure or an interruption.
type Aftermath struct {
	// Why is AftermathFailed or AftermathInterrupted.
	Why step.Msg
	// Uncordoned are the nodes made schedulable again.
	Uncordoned []string
	// Deleted are the objects deleted ("resource/name").
	Deleted []string
	// CleanupSkipped is set by --no-cleanup (nodes are uncordoned anyway).
	CleanupSkipped bool
	// Errors are what could not be undone, with what to do.
	Errors []*step.Failure
	// StillCordoned are nodes that could not be uncordoned.
	StillCordoned []string
	Duration      time.Duration
}
