package engine

import (
	"context"
	"time"

	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

// CheckStep runs only the checks of step i, without its action: the TUI
// uses it to re-check finished steps before resuming, and to skip the
// action of a step the cluster already satisfies when catching up. Each
// check waits at most maxWait (or its own timeout when shorter). Checks
// that compare with the state before the action (step.Preparer: same UID,
// node changed, restarts unchanged) cannot be judged afterwards and are
// skipped. Events are emitted as in RunStep.
func (e *Engine) CheckStep(ctx context.Context, i int, maxWait time.Duration) StepResult {
	s := e.Step(i)
	start := e.now()
	e.emit(Event{Kind: StepStarted, Step: s.ID, StepIndex: i})
	sr := e.checks(ctx, s, i, maxWait)
	sr.ID, sr.Index, sr.Action = s.ID, i, ActionResult{Status: Skipped}
	sr.Duration = e.now().Sub(start)
	e.emit(Event{Kind: StepDone, Step: s.ID, StepIndex: i, StepResult: &sr})
	return sr
}

// checks runs the checks of step s (index i) that can be judged without
// the state before its action, each waiting at most maxWait (0: its own
// timeout) or its own timeout when shorter; the others are skipped, and
// every check after a failed one too.
func (e *Engine) checks(ctx context.Context, s lesson.Step, i int, maxWait time.Duration) StepResult {
	sr := StepResult{Status: Passed}
	for j, lc := range s.Checks {
		cr := CheckResult{Name: lc.Name, Line: lc.Line}
		c, err := step.NewCheck(lc)
		if err != nil {
			cr.Desc, cr.Status, cr.Failure, sr.Status = step.M("CheckInvalid"), Failed, step.AsFailure(err), Failed
			sr.Checks = append(sr.Checks, cr)
			continue
		}
		cr.Desc = c.Describe()
		if _, before := c.(step.Preparer); before || sr.Status == Failed {
			cr.Status = Skipped
			if sr.Status == Failed {
				cr.Reason = step.M("ReasonEarlierCheckFailed")
			}
			sr.Checks = append(sr.Checks, cr)
			continue
		}
		timeout := e.lesson.Spec.CheckTimeout(s, lc)
		if maxWait > 0 && maxWait < timeout {
			timeout = maxWait
		}
		if e.waitCheck(ctx, s, i, j, c, &cr, timeout) {
			sr.Status = Failed
		}
		sr.Checks = append(sr.Checks, cr)
	}
	return sr
}

// CatchUpWait bounds each check of a step caught up on before its action
// runs instead: most steps skipped to were never run, so do not wait.
const CatchUpWait = 5 * time.Second

// CatchUp brings the cluster to where step i is done, the way a skip
// catches up: when the step's checks already pass (each waiting at most
// CatchUpWait), its action does not run; otherwise RunStep runs it. A step
// whose checks compare with the state before its action (ComparesWithBefore)
// always runs its action. The TUI's skip and `workshop push` use it.
func (e *Engine) CatchUp(ctx context.Context, i int) StepResult {
	if !ComparesWithBefore(e.Step(i)) {
		if res := e.CheckStep(ctx, i, CatchUpWait); res.Status == Passed || ctx.Err() != nil {
			return res
		}
	}
	return e.RunStep(ctx, i)
}

// ComparesWithBefore reports whether a step has checks that compare with
// the state before its action (step.Preparer): only running the action can
// satisfy them.
func ComparesWithBefore(s lesson.Step) bool {
	for _, c := range s.Checks {
		chk, err := step.NewCheck(c)
		if err != nil {
			continue
		}
		if _, ok := chk.(step.Preparer); ok {
			return true
		}
	}
	return false
}
