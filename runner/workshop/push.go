package workshop

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubetutor/kubetutor/runner/engine"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

// DefaultParallel is how many learners a push catches up at once.
const DefaultParallel = 8

// Instructor does what a workshop's instructor does to learners — push,
// reset, deep check — with the instructor's rights, reading where each
// learner is from the evaluator. It implements Actions.
type Instructor struct {
	Class *Class
	Eval  *Evaluator
	// Parallel bounds how many learners are caught up at once
	// (DefaultParallel when 0).
	Parallel int
	// Report is told what happens as it happens (may be nil).
	Report func(Event)
}

// Event is one thing an instructor's action did: a learner's step done
// (Learner and Step set), or a class-wide action (Learner empty: a node
// cordoned, drained, uncordoned).
type Event struct {
	Learner, Step string
	// Status is Passed or Failed for a step; empty for news.
	Status engine.Status
	// Msg is the news, or the outcome.
	Msg step.Msg
	// Failure says why a step failed.
	Failure  *step.Failure
	Duration time.Duration
}

func (in *Instructor) report(e Event) {
	if in.Report != nil {
		in.Report(e)
	}
}

// Plan is what a push will do.
type Plan struct {
	// To is the step pushed to and ToIndex its index.
	To      string
	ToIndex int
	// Learners are the selected learners, in name order.
	Learners []PlanLearner
	// ClassSteps are the steps in the plan the instructor does once for the
	// class (a drain node by node).
	ClassSteps []string
}

// PlanLearner is one learner's part of a plan.
type PlanLearner struct {
	Name, Namespace string
	// Steps are the IDs of the steps to do, in order (none: at or past To).
	Steps []string
	from  int
}

// Plan says what Push(to, learners) would do; learners empty selects every
// learner. Learners at or past to are listed with no steps.
func (in *Instructor) Plan(to string, learners []string) (Plan, error) {
	idx, err := in.Class.StepIndex(to)
	if err != nil {
		return Plan{}, err
	}
	p := Plan{To: to, ToIndex: idx}
	snap := in.Eval.Snapshot()
	known := map[string]bool{}
	for _, l := range snap.Learners {
		known[l.Name] = true
	}
	for _, l := range learners {
		if !known[l] {
			return p, problem("WorkshopUnknownLearner", "Learner", l, "Workshop", in.Class.Name)
		}
	}
	steps := in.Class.Lesson.Spec.Steps
	class := map[int]bool{}
	for _, l := range snap.Learners {
		if len(learners) > 0 && !slices.Contains(learners, l.Name) {
			continue
		}
		pl := PlanLearner{Name: l.Name, Namespace: l.Namespace, from: l.StepIndex}
		for i := l.StepIndex; i <= idx; i++ {
			pl.Steps = append(pl.Steps, steps[i].ID)
			if in.Eval.instructor[steps[i].ID] {
				class[i] = true
			}
		}
		p.Learners = append(p.Learners, pl)
	}
	for i := range steps {
		if class[i] {
			p.ClassSteps = append(p.ClassSteps, steps[i].ID)
		}
	}
	return p, nil
}

// Push implements Actions: it brings the selected learners (all when
// empty) up to step to, to included, so that `workshop status --at to`
// holds. Step by step across the class: a learner's own steps are caught
// up the way the TUI's skip does (engine.CatchUp), at most Parallel
// learners at once; a step that needs cluster-scoped rights (a drain) is
// done once for everyone who needs it, node by node, with at most one node
// cordoned at any time. A learner whose step fails drops out of the push;
// the others go on. Every step it did is recorded as pushed.
func (in *Instructor) Push(ctx context.Context, to string, learners []string) error {
	plan, err := in.Plan(to, learners)
	if err != nil {
		return err
	}
	return in.Run(ctx, plan)
}

// Run carries out a plan (see Push).
func (in *Instructor) Run(ctx context.Context, plan Plan) error {
	steps := in.Class.Lesson.Spec.Steps
	type runner struct {
		PlanLearner
		eng    *engine.Engine
		failed bool
	}
	var rs []*runner
	first := plan.ToIndex + 1
	for _, pl := range plan.Learners {
		if len(pl.Steps) == 0 {
			continue
		}
		rs = append(rs, &runner{PlanLearner: pl, eng: in.Class.Engine(pl.Namespace, nil)})
		first = min(first, pl.from)
	}
	var mu sync.Mutex
	pushed := map[string]map[string]time.Time{} // namespace → step → when
	var failed []string
	done := func(r *runner, id string, res engine.StepResult) {
		mu.Lock()
		defer mu.Unlock()
		e := Event{Learner: r.Name, Step: id, Status: res.Status, Duration: res.Duration}
		if res.Status == engine.Passed {
			if pushed[r.Namespace] == nil {
				pushed[r.Namespace] = map[string]time.Time{}
			}
			pushed[r.Namespace][id] = in.Class.now()
		} else {
			e.Status, e.Failure = engine.Failed, firstFailure(res)
			r.failed = true
			failed = append(failed, r.Name)
		}
		in.report(e)
	}
	for i := first; i <= plan.ToIndex && ctx.Err() == nil; i++ {
		s := steps[i]
		var need []*runner
		for _, r := range rs {
			if !r.failed && r.from <= i {
				need = append(need, r)
			}
		}
		if len(need) == 0 {
			continue
		}
		if in.Eval.instructor[s.ID] {
			var nss []string
			for _, r := range need {
				nss = append(nss, r.Namespace)
			}
			results, err := in.classStep(ctx, i, nss)
			for _, r := range need {
				res := results[r.Namespace]
				if err != nil && res.Status == "" {
					res = engine.StepResult{ID: s.ID, Status: engine.Failed, Action: engine.ActionResult{Status: engine.Failed, Failure: step.AsFailure(err)}}
				}
				done(r, s.ID, res)
			}
			if err != nil {
				return in.finish(pushed, err)
			}
			continue
		}
		forEach(ctx, need, in.parallel(), func(r *runner) {
			done(r, s.ID, r.eng.CatchUp(ctx, i))
		})
	}
	var err error
	if ctx.Err() != nil {
		err = ctx.Err()
	} else if len(failed) > 0 {
		sort.Strings(failed)
		err = &PushError{Learners: failed}
	}
	return in.finish(pushed, err)
}

// PushError names the learners a push could not bring all the way.
type PushError struct{ Learners []string }

func (e *PushError) Error() string { return "push failed for learners " + joinComma(e.Learners) }

// finish records what the push did and judges the class again.
func (in *Instructor) finish(pushed map[string]map[string]time.Time, err error) error {
	if len(pushed) > 0 {
		if serr := NewStore(in.Class).Update(func(recs map[string]*LearnerRecord) {
			for ns, steps := range pushed {
				r := recs[ns]
				if r == nil {
					r = &LearnerRecord{}
					recs[ns] = r
				}
				r.merge(&LearnerRecord{Epoch: r.Epoch, Pushed: steps})
			}
		}); serr != nil && err == nil {
			err = serr
		}
	}
	in.Eval.mu.Lock()
	for ns, steps := range pushed {
		if r := in.Eval.records[ns]; r != nil {
			r.merge(&LearnerRecord{Epoch: r.Epoch, Pushed: steps})
		}
	}
	in.Eval.mu.Unlock()
	in.Eval.Refresh()
	return err
}

func (in *Instructor) parallel() int {
	if in.Parallel > 0 {
		return in.Parallel
	}
	return DefaultParallel
}

// classStep does step i, which needs cluster-scoped rights, once for the
// learners of namespaces nss, then checks it for each of them.
func (in *Instructor) classStep(ctx context.Context, i int, nss []string) (map[string]engine.StepResult, error) {
	s := in.Class.Lesson.Spec.Steps[i]
	out := map[string]engine.StepResult{}
	var err error
	switch a := s.Action.Body.(type) {
	case *step.Drain:
		if a.Pod == "" {
			return nil, problem("WorkshopDrainNode", "Step", s.ID)
		}
		var moved map[string]error
		moved, err = in.classDrain(ctx, s, a.Pod, nss)
		for ns, merr := range moved {
			if merr != nil {
				out[ns] = engine.StepResult{ID: s.ID, Index: i, Status: engine.Failed, Action: engine.ActionResult{Status: engine.Failed, Failure: step.AsFailure(merr)}}
			}
		}
	case *step.Uncordon:
		env := in.Class.Env("")
		nodes, uerr := step.UncordonAll(ctx, env)
		err = uerr
		if len(nodes) > 0 {
			in.report(Event{Step: s.ID, Msg: step.M("WorkshopUncordoned", "Nodes", joinComma(nodes))})
		}
	default:
		// Any other cluster-scoped action: once, from the first learner's
		// namespace; every learner's checks then judge it.
		res := in.Class.Engine(nss[0], nil).RunStep(ctx, i)
		if res.Status != engine.Passed {
			out[nss[0]] = res
		}
	}
	if err != nil {
		return out, err
	}
	// Every learner's own checks (those that compare with "before" were
	// judged by the class action itself).
	var mu sync.Mutex
	forEach(ctx, nss, in.parallel(), func(ns string) {
		mu.Lock()
		_, failed := out[ns]
		mu.Unlock()
		if failed {
			return
		}
		res := in.Class.Engine(ns, nil).CheckStep(ctx, i, 0)
		mu.Lock()
		out[ns] = res
		mu.Unlock()
	})
	return out, nil
}

// classDrain moves pod out of its node for every learner of nss, node by
// node, with at most one node cordoned at any time: cordon a node with
// the workshop's mark, evict the lesson's pods of the learners whose pod
// runs there (as the drain step does in one namespace), wait until each
// such pod is Ready on another node, uncordon, next node. It returns the
// error of each learner's move, and an error that stopped the drain (a
// node it could not uncordon: it then cordons nothing else).
func (in *Instructor) classDrain(ctx context.Context, s lesson.Step, pod string, nss []string) (map[string]error, error) {
	env := in.Class.Env("")
	timeout := in.Class.Lesson.Spec.CheckTimeout(s, lesson.Check{})
	pending := map[string]bool{}
	for _, ns := range nss {
		pending[ns] = true
	}
	out := map[string]error{}
	for _, node := range in.nodes() {
		var victims []string
		for _, ns := range nss {
			if p := in.Eval.pod(ns, pod); pending[ns] && p != nil && p.Spec.NodeName == node && p.DeletionTimestamp == nil {
				victims = append(victims, ns)
			}
		}
		if len(victims) == 0 {
			continue
		}
		ours, err := step.CordonNode(ctx, env, node)
		if err != nil {
			return out, err
		}
		in.report(Event{Step: s.ID, Msg: step.M("WorkshopCordoned", "Node", node, "Count", len(victims))})
		var mu sync.Mutex
		forEach(ctx, victims, in.parallel(), func(ns string) {
			err := in.moveOff(ctx, ns, node, pod, timeout)
			mu.Lock()
			out[ns] = err
			delete(pending, ns)
			mu.Unlock()
		})
		if ours {
			// On a fresh context: the node must not stay cordoned even
			// when the push was interrupted.
			uctx, cancel := context.WithTimeout(context.Background(), engine.AftermathTimeout)
			err := step.UncordonNode(uctx, env, node)
			cancel()
			if err != nil {
				return out, err
			}
			in.report(Event{Step: s.ID, Msg: step.M("WorkshopUncordoned", "Nodes", node)})
		}
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
	}
	for ns := range pending {
		out[ns] = &step.Failure{Msg: step.M("WorkshopPodNowhere", "Pod", pod, "Namespace", ns)}
	}
	return out, nil
}

// moveOff evicts namespace ns's lesson pods on node and waits until pod
// runs Ready on another node.
func (in *Instructor) moveOff(ctx context.Context, ns, node, pod string, timeout time.Duration) error {
	env := in.Class.Env(ns)
	changed := &step.NodeChanged{Pod: pod}
	if err := changed.Prepare(ctx, env); err != nil {
		return err
	}
	if _, err := step.EvictFromNode(ctx, env, node, func(step.Msg) {}); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := changed.Wait(wctx, env, func(step.Msg) {}); err != nil {
		return err
	}
	return (&step.PodsReady{Names: []string{pod}}).Wait(wctx, env, func(step.Msg) {})
}

// nodes are the schedulable nodes (from the evaluator's cache), by name.
func (in *Instructor) nodes() []string {
	var out []string
	for _, o := range in.Eval.nodeInf.GetStore().List() {
		if n, ok := o.(*corev1.Node); ok && engine.Schedulable(n) {
			out = append(out, n.Name)
		}
	}
	sort.Strings(out)
	return out
}

func firstFailure(res engine.StepResult) *step.Failure {
	if res.Action.Failure != nil {
		return res.Action.Failure
	}
	for _, c := range res.Checks {
		if c.Failure != nil {
			return c.Failure
		}
	}
	if !res.Reason.IsZero() {
		return &step.Failure{Msg: res.Reason}
	}
	return &step.Failure{Msg: step.M("WorkshopStepNotPassed", "Status", string(res.Status))}
}

func joinComma(ss []string) string { return strings.Join(ss, ", ") }
