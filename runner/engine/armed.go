package engine

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

// Armed is one step made current: its action and checks built, and the
// state "before" recorded (step.Preparer: the UIDs, the node, the restart
// counts, the start of events, the node a drain is about). From then on
// the step can be done in two ways, which share the same prepared checks:
//
//   - Watch waits for the checks without acting: whoever brings the
//     cluster into the expected state — the learner typing the step's
//     commands, an instructor on stage — unlocks the step;
//   - Run does the action and then waits for the checks with their
//     timeouts, like RunStep. After a Watch it first asks whether the
//     effect is already there (the checks passed, or step.AlreadyDoner),
//     and then does not do it twice.
//
// Watch and Run must not run at the same time; the TUI cancels a watch
// before it runs the step.
type Armed struct {
	e      *Engine
	i      int
	s      lesson.Step
	act    step.Action
	checks []step.Check
	// early is the result when the step cannot be done at all (unavailable,
	// an invalid kind, a Prepare that failed).
	early *StepResult

	mu      sync.Mutex
	watched bool // a Watch ran: someone may have acted by hand
	passed  bool // a Watch saw every check pass
	ran     bool // Run ran: the armed step is used up
}

// Arm prepares step i (see Armed); it calls the Prepare hooks of the
// step's action and checks now, before anyone acts.
func (e *Engine) Arm(ctx context.Context, i int) *Armed {
	s := e.lesson.Spec.Steps[i]
	a := &Armed{e: e, i: i, s: s}
	fail := func(sr StepResult) *Armed {
		sr.ID, sr.Index = s.ID, i
		a.early = &sr
		return a
	}
	if why := e.unavailable(s); !why.IsZero() {
		sr := StepResult{Status: Unavailable, Reason: why}
		for _, c := range s.Checks {
			sr.Checks = append(sr.Checks, CheckResult{Name: c.Name, Desc: describe(c), Line: c.Line, Status: Unavailable, Reason: why})
		}
		return fail(sr)
	}
	act, err := step.NewAction(s.Action)
	if err != nil {
		return fail(StepResult{Status: Failed, Action: ActionResult{Status: Failed, Failure: step.AsFailure(err)}})
	}
	a.act = act
	a.checks = make([]step.Check, len(s.Checks))
	for j, c := range s.Checks {
		if a.checks[j], err = step.NewCheck(c); err != nil {
			return fail(StepResult{Status: Failed, Action: ActionResult{Desc: act.Describe(), Status: Failed, Failure: step.AsFailure(err)}})
		}
	}
	pctx, cancel := context.WithTimeout(ctx, e.lesson.Spec.CheckTimeout(s, lesson.Check{}))
	defer cancel()
	if p, ok := act.(step.Preparer); ok {
		if err := p.Prepare(pctx, e.env); err != nil {
			return fail(StepResult{Status: Failed, Action: ActionResult{Desc: act.Describe(), Status: Failed, Failure: step.AsFailure(err)}})
		}
	}
	for j, c := range a.checks {
		if p, ok := c.(step.Preparer); ok {
			if err := p.Prepare(pctx, e.env); err != nil {
				return fail(StepResult{Status: Failed, Action: ActionResult{Desc: act.Describe(), Status: Skipped},
					Checks: e.failChecks(s, a.checks, j, step.AsFailure(err))})
			}
		}
	}
	return a
}

// Index is the step's 0-based position in the lesson.
func (a *Armed) Index() int { return a.i }

// Used reports whether Run ran: a new attempt arms the step again.
func (a *Armed) Used() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ran
}

// Commands are the kubectl command lines that do the step's action by hand
// (step.Action.Commands), for the step as armed (a drain names the node
// its pod was on when armed).
func (a *Armed) Commands(ctx context.Context) (step.ByHand, error) {
	if a.act == nil {
		return step.ByHand{}, errors.New("the step cannot run")
	}
	return a.act.Commands(ctx, a.e.env)
}

// done emits StepDone with the step's duration since start.
func (a *Armed) done(sr StepResult, start time.Time) StepResult {
	sr.Duration = a.e.now().Sub(start)
	a.e.emit(Event{Kind: StepDone, Step: a.s.ID, StepIndex: a.i, StepResult: &sr})
	return sr
}

// Watch waits for the step's checks, in order, without doing its action,
// until they all pass, one fails for good (sameUID saw another object), ctx
// ends, or — when maxWait > 0 — a check has waited maxWait. First it emits
// StepArmed with the commands that do the step by hand. When the checks
// pass, what the action would have done by hand is taken over
// (step.Adopter: a cordon gets the lesson's mark). A cancelled watch leaves
// the armed step ready for Run.
func (a *Armed) Watch(ctx context.Context, maxWait time.Duration) StepResult {
	e, s, i := a.e, a.s, a.i
	start := e.now()
	e.emit(Event{Kind: StepStarted, Step: s.ID, StepIndex: i})
	if a.early != nil {
		return a.done(*a.early, start)
	}
	a.mu.Lock()
	a.watched = true
	a.mu.Unlock()
	h, err := a.Commands(ctx)
	ev := Event{Kind: StepArmed, Step: s.ID, StepIndex: i, Check: -1, ByHand: &h}
	if err != nil {
		ev.Msg = step.AsFailure(err).Msg
	}
	e.emit(ev)
	sr := StepResult{ID: s.ID, Index: i, Status: Passed, Action: ActionResult{Desc: a.act.Describe(), Status: Skipped, Outcome: step.Outcome{Msg: step.M("OutcomeNotRun")}}}
	sr.Checks = a.runChecks(ctx, func(lc lesson.Check) time.Duration { return maxWait }, &sr.Status)
	if ctx.Err() != nil {
		sr.Status = Failed
		return a.done(sr, start)
	}
	if sr.Status == Passed {
		a.mu.Lock()
		a.passed = true
		a.mu.Unlock()
		a.adopt(ctx)
	}
	return a.done(sr, start)
}

// adopt takes over what was done by hand (step.Adopter). A failure to do
// so is news, not a failure of the step: the step's state is reached.
func (a *Armed) adopt(ctx context.Context) {
	ad, ok := a.act.(step.Adopter)
	if !ok {
		return
	}
	if err := ad.Adopt(ctx, a.e.env); err != nil {
		a.e.emit(Event{Kind: Progress, Step: a.s.ID, StepIndex: a.i, Check: -1, Msg: step.AsFailure(err).Msg})
	}
}

// runChecks waits for each check in order, each bounded by timeout(check)
// (0: only by ctx); the first failure skips the rest and sets *status.
func (a *Armed) runChecks(ctx context.Context, timeout func(lesson.Check) time.Duration, status *Status) []CheckResult {
	var out []CheckResult
	for j, c := range a.checks {
		lc := a.s.Checks[j]
		cr := CheckResult{Name: lc.Name, Desc: c.Describe(), Line: lc.Line}
		if *status == Failed {
			cr.Status, cr.Reason = Skipped, step.M("ReasonEarlierCheckFailed")
			out = append(out, cr)
			continue
		}
		if a.e.waitCheck(ctx, a.s, a.i, j, c, &cr, timeout(lc)) {
			*status = Failed
		}
		out = append(out, cr)
	}
	return out
}

// Run does the step: its action, then each check in order with its
// timeout (lesson → step → check cascade). After a Watch, an action whose
// effect is already there is not done again: when the watch saw the checks
// pass, or the action says so (step.AlreadyDoner); the action's result then
// says why, and what was done by hand is taken over (step.Adopter).
func (a *Armed) Run(ctx context.Context) StepResult {
	e, s, i := a.e, a.s, a.i
	a.mu.Lock()
	a.ran = true
	watched, passed := a.watched, a.passed
	a.mu.Unlock()
	start := e.now()
	e.emit(Event{Kind: StepStarted, Step: s.ID, StepIndex: i})
	if a.early != nil {
		return a.done(*a.early, start)
	}
	sr := StepResult{ID: s.ID, Index: i, Status: Running}
	actionTimeout := e.lesson.Spec.CheckTimeout(s, lesson.Check{})
	actx, cancel := context.WithTimeout(ctx, actionTimeout)
	defer cancel()

	astart := e.now()
	e.emit(Event{Kind: ActionStarted, Step: s.ID, StepIndex: i, Check: -1, Msg: a.act.Describe()})
	var why step.Msg
	switch {
	case !watched:
	case passed:
		why = step.M("AlreadyChecksPass")
	default:
		if d, ok := a.act.(step.AlreadyDoner); ok {
			if done, msg := d.AlreadyDone(actx, e.env); done {
				why = msg
			}
		}
	}
	var out step.Outcome
	var err error
	if why.IsZero() {
		out, err = a.act.Run(actx, e.env, func(m step.Msg) {
			e.emit(Event{Kind: Progress, Step: s.ID, StepIndex: i, Check: -1, Msg: m})
		})
	} else {
		out.Msg = why
	}
	cancel()
	sr.Action = ActionResult{Desc: a.act.Describe(), Status: Passed, Outcome: out, Duration: e.now().Sub(astart)}
	if !why.IsZero() {
		sr.Action.Status = Skipped
	}
	if err != nil {
		f := step.AsFailure(err)
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			f.TimedOut, f.After = true, actionTimeout
		}
		sr.Action.Status, sr.Action.Failure, sr.Status = Failed, f, Failed
	}
	e.emit(Event{Kind: ActionDone, Step: s.ID, StepIndex: i, Check: -1, Action: &sr.Action})
	if sr.Status == Failed {
		for j, c := range s.Checks {
			sr.Checks = append(sr.Checks, CheckResult{Name: c.Name, Desc: a.checks[j].Describe(), Line: c.Line, Status: Skipped, Reason: step.M("ReasonActionFailed")})
		}
		return a.done(sr, start)
	}

	sr.Status = Passed
	sr.Checks = a.runChecks(ctx, func(lc lesson.Check) time.Duration { return e.lesson.Spec.CheckTimeout(s, lc) }, &sr.Status)
	if sr.Status == Passed && !why.IsZero() {
		a.adopt(ctx)
	}
	return a.done(sr, start)
}

// Script is the step as a plain kubectl script: the commands that do it
// by hand (Commands), then, for each check kubectl can wait for
// (step.KubectlWaiter), the lines that wait for it, bounded by the check's
// timeout. The benchmark (make bench-e2e) times it against the tutor;
// checks kubectl cannot express are left out.
func (a *Armed) Script(ctx context.Context) ([]string, error) {
	if a.early != nil {
		return nil, errors.New("the step cannot run")
	}
	h, err := a.Commands(ctx)
	if err != nil {
		return nil, err
	}
	lines := append([]string(nil), h.Lines...)
	for j, c := range a.checks {
		if w, ok := c.(step.KubectlWaiter); ok {
			lines = append(lines, w.KubectlWait(ctx, a.e.env, a.e.lesson.Spec.CheckTimeout(a.s, a.s.Checks[j]))...)
		}
	}
	return lines, nil
}

// Adopt takes over what was done by hand once the step's state is
// reached without Run (step.Adopter; Watch does it itself).
func (a *Armed) Adopt(ctx context.Context) {
	if a.act != nil {
		a.adopt(ctx)
	}
}
