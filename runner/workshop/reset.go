package workshop

import (
	"context"
	"encoding/json"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubetutor/kubetutor/runner/engine"
	"github.com/kubetutor/kubetutor/runner/step"
)

// resetWait bounds how long a reset waits for the lesson's pods and claims
// to be gone.
const resetWait = 3 * time.Minute

// Reset implements Actions: it returns a learner to the start of the
// lesson — the lesson's cleanup in their namespace (what its selector
// matches), then, once the pods and claims are gone, a new epoch: an
// annotation on the namespace (the evaluator's) and in the workshop
// ConfigMap (the learner's tutor's), so the events and records of the
// earlier attempt no longer count, and a cleared record. The namespace,
// the learner's rights and kubeconfig stay. With to, it then pushes the
// learner up to that step.
func (in *Instructor) Reset(ctx context.Context, learner, to string) error {
	c := in.Class
	ns, _, ok := in.Eval.learner(learner)
	if !ok {
		return problem("WorkshopUnknownLearner", "Learner", learner, "Workshop", c.Name)
	}
	if to != "" {
		if _, err := c.StepIndex(to); err != nil {
			return err
		}
	}
	env := c.Env(ns)
	env.Mark = "" // never the class's cordons: a push may be draining
	res, err := step.CleanupAll(ctx, env, func(m step.Msg) {})
	if err != nil {
		return err
	}
	in.report(Event{Learner: learner, Msg: step.M("WorkshopCleanedUp", "Count", len(res.Deleted))})
	wctx, cancel := context.WithTimeout(ctx, resetWait)
	defer cancel()
	for _, kind := range []string{"Pod", "PersistentVolumeClaim"} {
		gone := &step.Absent{ObjectRef: step.ObjectRef{Kind: kind, Selector: c.Lesson.Spec.Selector}}
		if err := gone.Wait(wctx, env, func(step.Msg) {}); err != nil {
			return err
		}
	}
	// Only now: what the clean-up itself caused (Killing events, …)
	// belongs to the old attempt.
	epoch := c.now().UTC()
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{AnnotationEpoch: epoch.Format(time.RFC3339Nano)}}})
	if _, err := c.Cluster.Client.CoreV1().Namespaces().Patch(ctx, ns, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: step.FieldManager}); err != nil {
		return problemErr(err, "WorkshopApply", "What", "Namespace "+ns)
	}
	w := &engine.Workshop{Name: c.Name, Lesson: c.Lesson.ID, InstructorSteps: engine.ClusterSteps(env, c.Lesson.Spec.Steps), Epoch: epoch}
	cm := w.ConfigMap(ns)
	cm.Labels = c.labels(learner)
	if err := applyObjects(ctx, c.Cluster.Dynamic, cm); err != nil {
		return err
	}
	if err := NewStore(c).Update(func(recs map[string]*LearnerRecord) { recs[ns] = &LearnerRecord{Epoch: epoch} }); err != nil {
		return err
	}
	in.Eval.mu.Lock()
	in.Eval.records[ns] = &LearnerRecord{Epoch: epoch}
	in.Eval.mu.Unlock()
	in.Eval.waitEpoch(ctx, ns, epoch)
	in.report(Event{Learner: learner, Msg: step.M("WorkshopReset", "Learner", learner)})
	if to != "" {
		return in.Push(ctx, to, []string{learner})
	}
	return nil
}

// DeepCheck implements Actions: it runs the real checks of the learner's
// steps that only a command in a pod can judge (SQL, exec), up to the step
// after the furthest done one, with the instructor's rights, each waiting
// at most deepWait. Their How becomes "checked" or "check-failed".
func (in *Instructor) DeepCheck(ctx context.Context, learner string) (Detail, error) {
	ns, prog, ok := in.Eval.learner(learner)
	if !ok {
		return Detail{}, problem("WorkshopUnknownLearner", "Learner", learner, "Workshop", in.Class.Name)
	}
	d, _ := in.Eval.Detail(learner)
	eng := in.Class.Engine(ns, nil)
	for i := 0; i <= prog.Reached+1 && i < len(d.Steps); i++ {
		if !d.Steps[i].Inside {
			continue
		}
		res := eng.CheckStep(ctx, i, deepWait)
		if ctx.Err() != nil {
			return d, ctx.Err()
		}
		if res.Status == engine.Passed {
			d.Steps[i].How, d.Steps[i].Done = HowChecked, true
		} else {
			d.Steps[i].How = HowCheckFailed
		}
	}
	return d, nil
}

// How a deep check judged a step (StepSeen.How).
const (
	HowChecked     = "checked"
	HowCheckFailed = "check-failed"
)

// deepWait bounds each check of a deep check: a SQL answer is quick; a
// read over a window (valuesSeen) needs its window.
const deepWait = 20 * time.Second
