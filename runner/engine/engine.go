// Package engine runs a lesson on a cluster: preflight, then each step's
// action and its checks in order, then — after a failure or an
// interruption — clean-up that always uncordons the nodes the run cordoned.
// It reports what happens to an Observer as it happens (the text reporter
// and the TUI are observers) and returns an untranslated Result that the
// reporters (text, JSON, JUnit) render in the user's language.
package engine

import (
	"context"
	"errors"
	"io/fs"
	"time"

	"github.com/kubetutor/kubetutor/runner/kube"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

// AftermathTimeout bounds clean-up after a failure or an interruption. It
// runs on a fresh context: the run's own may already be cancelled.
const AftermathTimeout = 90 * time.Second

// Options change how a run behaves.
type Options struct {
	// Lang is the language of the run, recorded in the result.
	Lang string
	// Images are --image NAME=REF overrides of lesson.yaml's images.
	Images map[string]string
	// KeepGoing runs the next steps after a failed one.
	KeepGoing bool
	// NoCleanup leaves the lesson's objects after a failure or an
	// interruption (nodes the run cordoned are uncordoned regardless).
	NoCleanup bool
	// Only runs just this step (the earlier ones are assumed done); the
	// lesson's objects are then left in place, as with NoCleanup.
	Only string
	// SkipPreflight skips preflight (facts are then assumed sufficient).
	SkipPreflight bool
	// Watch does no action at all: each step, in order, waits for its
	// checks until the cluster reaches its state (someone types the
	// commands), as `run --watch` does. Preflight only reads, a cordon made
	// by hand is remembered but not marked, and nothing is cleaned up.
	Watch bool
	// MaxWait bounds, with Watch, how long each check of a step waits (0:
	// as long as it takes).
	MaxWait time.Duration
	// ManifestCache is where the copies of the manifests that hand-typed
	// commands apply are kept ("" : the user's cache directory).
	ManifestCache string
	// FromStart runs every step even when the cluster shows the lesson
	// under way in this namespace; by default Run resumes after the steps
	// the cluster shows done (runner/evidence), so a run killed midway
	// finishes when started again.
	FromStart bool
}

// Engine runs one lesson on one cluster. Create it with New; it is not safe
// for concurrent runs.
type Engine struct {
	env    *step.Env
	lesson *lesson.Lesson
	opts   Options
	obs    Observer
	facts  Facts
	now    func() time.Time
}

// New returns an engine for lesson l on cluster c, applying manifests from
// manifests (manifests.FS or --manifests-dir). obs may be nil.
func New(c *kube.Cluster, l *lesson.Lesson, manifests fs.FS, opts Options, obs Observer) *Engine {
	if obs == nil {
		obs = nopObserver{}
	}
	env := step.NewEnv(c, manifests, l.ID, l.Spec, opts.Images)
	env.Observe, env.ManifestCache = opts.Watch, opts.ManifestCache
	return &Engine{env: env, lesson: l, opts: opts, obs: obs, now: time.Now}
}

// Env is the step environment (cluster, manifests, recorded state) the
// engine runs steps in; the TUI may use it to run ad-hoc SQL or exec.
func (e *Engine) Env() *step.Env { return e.env }

// Facts are what preflight learned (zero before Preflight runs).
func (e *Engine) Facts() Facts { return e.facts }

func (e *Engine) emit(ev Event) {
	if ev.Time.IsZero() {
		ev.Time = e.now()
	}
	ev.Steps = len(e.lesson.Spec.Steps)
	e.obs.Observe(ev)
}

// Run runs the whole lesson (or just Options.Only): preflight, then every
// step in order, stopping at the first failure unless KeepGoing; after a
// failure or a cancellation it cleans up (unless NoCleanup) and always
// uncordons the nodes the run cordoned, on a fresh context.
func (e *Engine) Run(ctx context.Context) *Result {
	start := e.now()
	res := &Result{Lesson: e.lesson.ID, Lang: e.opts.Lang, Passed: true}
	preflightOK := true
	// Where to resume: after the steps the cluster shows done (judged once
	// the cluster answered and the cordons are repaired; preflight's
	// conflicts concern only the steps still to run).
	resumeAt, judged := 0, false
	judge := func(ctx context.Context) int {
		if !judged && !e.opts.FromStart && e.opts.Only == "" {
			if p, err := e.Judge(ctx, nil, time.Time{}); err == nil {
				resumeAt = p.Next()
			}
		}
		judged = true
		return resumeAt
	}
	if !e.opts.SkipPreflight {
		res.Preflight = e.preflight(ctx, judge)
		for _, it := range res.Preflight {
			if it.Status == Failed {
				preflightOK, res.Passed = false, false
			}
		}
	} else {
		e.facts = Facts{Reachable: true, SchedulableNodes: e.maxNodesNeeded(), DefaultStorageClass: "?"}
	}
	failed := false
	if preflightOK {
		judge(ctx)
	}
	for i, s := range e.lesson.Spec.Steps {
		if e.opts.Only != "" && s.ID != e.opts.Only {
			continue
		}
		var sr StepResult
		switch {
		case !preflightOK:
			sr = e.skip(i, s, step.M("ReasonPreflightFailed"))
		case i < resumeAt:
			sr = e.skip(i, s, step.M("ReasonDoneBefore", "N", resumeAt))
		case ctx.Err() != nil:
			sr = e.skip(i, s, step.M("ReasonInterrupted"))
		case failed && !e.opts.KeepGoing:
			sr = e.skip(i, s, step.M("ReasonEarlierFailed"))
		case e.opts.Watch:
			sr = e.Arm(ctx, i).Watch(ctx, e.opts.MaxWait)
		default:
			sr = e.RunStep(ctx, i)
		}
		if sr.Status == Failed {
			failed, res.Passed = true, false
		}
		res.Steps = append(res.Steps, sr)
	}
	if ctx.Err() != nil {
		res.Interrupted, res.Passed = true, false
	}
	switch {
	case e.opts.Watch:
		// Nothing was done, so nothing is undone.
	case failed || res.Interrupted:
		why := step.M("AftermathFailed")
		if res.Interrupted {
			why = step.M("AftermathInterrupted")
		}
		res.Aftermath = e.Aftermath(why, e.opts.NoCleanup || e.opts.Only != "")
	case len(e.env.State.CordonedNodes()) > 0:
		// The lesson passed yet left a node cordoned (no cleanup step):
		// uncordon anyway, and say so.
		res.Aftermath = e.Aftermath(step.M("AftermathCordonedLeft"), true)
	}
	res.Duration = e.now().Sub(start)
	e.emit(Event{Kind: RunDone, Result: res})
	return res
}

// Aftermath undoes what a run left behind, on a fresh context bounded by
// AftermathTimeout: it always uncordons the nodes the run cordoned and,
// unless skipCleanup, deletes what the lesson's selector matches. Call it
// when the user quits the TUI mid-lesson, too.
func (e *Engine) Aftermath(why step.Msg, skipCleanup bool) *Aftermath {
	start := e.now()
	ctx, cancel := context.WithTimeout(context.Background(), AftermathTimeout)
	defer cancel()
	a := &Aftermath{Why: why, CleanupSkipped: skipCleanup}
	report := func(m step.Msg) { e.emit(Event{Kind: Progress, Check: -1, Msg: m}) }
	if skipCleanup {
		nodes, err := step.UncordonAll(ctx, e.env)
		a.Uncordoned = nodes
		if err != nil {
			a.Errors = append(a.Errors, step.AsFailure(err))
		}
	} else {
		r, err := step.CleanupAll(ctx, e.env, report)
		a.Uncordoned, a.Deleted = r.Uncordoned, r.Deleted
		if err != nil {
			var f *step.Failure
			if errors.As(err, &f) {
				a.Errors = append(a.Errors, f)
			} else {
				a.Errors = append(a.Errors, step.AsFailure(err))
			}
		}
	}
	a.StillCordoned = e.env.State.CordonedNodes()
	a.Duration = e.now().Sub(start)
	e.emit(Event{Kind: AftermathDone, Aftermath: a})
	return a
}

func (e *Engine) skip(i int, s lesson.Step, why step.Msg) StepResult {
	sr := StepResult{ID: s.ID, Index: i, Status: Skipped, Reason: why}
	for _, c := range s.Checks {
		sr.Checks = append(sr.Checks, CheckResult{Name: c.Name, Desc: describe(c), Line: c.Line, Status: Skipped, Reason: why})
	}
	e.emit(Event{Kind: StepDone, Step: s.ID, StepIndex: i, StepResult: &sr})
	return sr
}

func describe(c lesson.Check) step.Msg { return step.Describe(c) }

// unavailable says why the cluster cannot run step s, or returns zero.
func (e *Engine) unavailable(s lesson.Step) step.Msg {
	if !e.facts.Reachable {
		return step.Msg{} // no preflight ran: let the step try
	}
	if s.Requires.Nodes > 0 && e.facts.SchedulableNodes < s.Requires.Nodes {
		return step.M("ReasonNodes", "Need", s.Requires.Nodes, "Have", e.facts.SchedulableNodes)
	}
	if s.Requires.StorageClass && e.facts.DefaultStorageClass == "" {
		return step.M("ReasonStorageClass")
	}
	return step.Msg{}
}

// RunStep runs step i of the lesson: it arms the step (the Prepare hooks
// of the checks that compare with "before", and of the action), does the
// action, then waits for each check in order with its timeout (lesson →
// step → check cascade). A step the cluster cannot run (requires.nodes,
// requires.storageClass) is Unavailable, not failed. Run calls it for
// every step; the TUI arms the current step itself (Arm) so that its
// checks run before anyone acts.
func (e *Engine) RunStep(ctx context.Context, i int) StepResult {
	return e.Arm(ctx, i).Run(ctx)
}

// failChecks marks check j failed with f and the others skipped.
func (e *Engine) failChecks(s lesson.Step, checks []step.Check, j int, f *step.Failure) []CheckResult {
	var out []CheckResult
	for k, c := range checks {
		cr := CheckResult{Name: s.Checks[k].Name, Desc: c.Describe(), Line: s.Checks[k].Line, Status: Skipped, Reason: step.M("ReasonEarlierCheckFailed")}
		if k == j {
			cr.Status, cr.Failure, cr.Reason = Failed, f, step.Msg{}
		}
		out = append(out, cr)
	}
	return out
}

// waitCheck runs check j of step s (index i) until it passes, fails or
// times out (timeout 0: only ctx bounds it), fills cr's duration, status and failure, and emits the
// check's events. It reports whether the check failed.
func (e *Engine) waitCheck(ctx context.Context, s lesson.Step, i, j int, c step.Check, cr *CheckResult, timeout time.Duration) bool {
	e.emit(Event{Kind: CheckStarted, Step: s.ID, StepIndex: i, Check: j, Msg: cr.Desc})
	start := e.now()
	cctx, cancel := context.WithCancel(ctx)
	if timeout > 0 {
		cctx, cancel = context.WithTimeout(ctx, timeout)
	}
	err := c.Wait(cctx, e.env, func(m step.Msg) {
		e.emit(Event{Kind: Progress, Step: s.ID, StepIndex: i, Check: j, Msg: m})
	})
	cancel()
	cr.Duration, cr.Status = e.now().Sub(start), Passed
	if err != nil {
		f := step.AsFailure(err)
		if f.TimedOut {
			f.After = timeout
		}
		if ctx.Err() != nil {
			f.Msg, f.TimedOut = step.M("StepCanceled"), false
		}
		cr.Status, cr.Failure = Failed, f
	}
	e.emit(Event{Kind: CheckDone, Step: s.ID, StepIndex: i, Check: j, CheckResult: cr})
	return err != nil
}
