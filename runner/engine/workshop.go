package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

// A learner's tutor knows it runs in a workshop from a ConfigMap that
// `kubetutor workshop init` puts in the learner's namespace (learners may
// read ConfigMaps there). It names the workshop and the steps the
// instructor does for the whole class: those whose action needs
// cluster-scoped write rights (a drain patches nodes), which learners on a
// shared cluster never get. Such a step is in instructor mode: the tutor
// does not run its action, it waits for its checks to see the instructor's
// action land (the TUI), or passes it when its checks already hold and
// otherwise reports it unavailable (`run --auto`, which never waits).

// WorkshopConfigMap is the name of the workshop's ConfigMap in every
// learner namespace.
const WorkshopConfigMap = "kubetutor-workshop"

// Keys of the workshop ConfigMap's data.
const (
	workshopKeyName  = "workshop"
	workshopKeyLess  = "lesson"
	workshopKeySteps = "instructorSteps"
	workshopKeyEpoch = "epoch"
)

// instructorWait bounds how long the TUI waits for an instructor's step: a
// workshop day. The learner can cancel the wait at any time.
const instructorWait = 12 * time.Hour

// Workshop is what a learner's tutor knows of the workshop it runs in.
type Workshop struct {
	// Name is the workshop's name (`workshop init NAME`).
	Name string
	// Lesson is the lesson the workshop runs.
	Lesson string
	// InstructorSteps are the IDs of the steps the instructor does for
	// everyone (`workshop push`).
	InstructorSteps []string
	// Epoch is when the learner's current attempt began (`workshop
	// reset`); zero when never reset. Evidence older than it is ignored.
	Epoch time.Time
}

// ConfigMap is the workshop's ConfigMap for namespace ns.
func (w *Workshop) ConfigMap(ns string) *corev1.ConfigMap {
	data := map[string]string{
		workshopKeyName:  w.Name,
		workshopKeyLess:  w.Lesson,
		workshopKeySteps: strings.Join(w.InstructorSteps, ","),
	}
	if !w.Epoch.IsZero() {
		data[workshopKeyEpoch] = w.Epoch.UTC().Format(time.RFC3339Nano)
	}
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: WorkshopConfigMap, Namespace: ns, Labels: map[string]string{"app.kubernetes.io/managed-by": "kubetutor"}},
		Data:       data,
	}
}

// ParseWorkshop reads a workshop ConfigMap.
func ParseWorkshop(cm *corev1.ConfigMap) (*Workshop, error) {
	w := &Workshop{Name: cm.Data[workshopKeyName], Lesson: cm.Data[workshopKeyLess]}
	if w.Name == "" {
		return nil, fmt.Errorf("ConfigMap %s/%s names no workshop (key %q): recreate it with `kubetutor workshop init`", cm.Namespace, cm.Name, workshopKeyName)
	}
	for _, s := range strings.Split(cm.Data[workshopKeySteps], ",") {
		if s = strings.TrimSpace(s); s != "" {
			w.InstructorSteps = append(w.InstructorSteps, s)
		}
	}
	if e := cm.Data[workshopKeyEpoch]; e != "" {
		t, err := time.Parse(time.RFC3339Nano, e)
		if err != nil {
			return nil, fmt.Errorf("ConfigMap %s/%s: bad %s %q: %w", cm.Namespace, cm.Name, workshopKeyEpoch, e, err)
		}
		w.Epoch = t
	}
	return w, nil
}

// readWorkshop reads the workshop ConfigMap of env's namespace; nil when
// there is none (or it cannot be read: then this is no workshop for us).
func readWorkshop(ctx context.Context, env *step.Env, lessonID string) *Workshop {
	cm, err := env.Cluster.Client.CoreV1().ConfigMaps(env.Namespace()).Get(ctx, WorkshopConfigMap, metav1.GetOptions{})
	if err != nil {
		return nil
	}
	w, err := ParseWorkshop(cm)
	if err != nil || (w.Lesson != "" && w.Lesson != lessonID) {
		return nil
	}
	return w
}

// ClusterSteps lists the IDs of the steps of steps whose action or checks
// need a cluster-scoped write (patch nodes for cordon, drain and uncordon):
// on a shared cluster the instructor does them for everyone.
func ClusterSteps(env *step.Env, steps []lesson.Step) []string {
	var out []string
	for _, s := range steps {
		for _, v := range step.StepVerbs(env, s) {
			if v.Cluster && writeVerb(v.Verb) {
				out = append(out, s.ID)
				break
			}
		}
	}
	return out
}

func writeVerb(v string) bool {
	switch v {
	case "get", "list", "watch":
		return false
	}
	return true
}

// Mode says how a step runs here.
type Mode int

// Modes of a step.
const (
	// ModeRun: the tutor runs the action, then waits for the checks.
	ModeRun Mode = iota
	// ModeInstructor: the workshop's instructor does the action for
	// everyone; the tutor only checks.
	ModeInstructor
	// ModeUnavailable: the cluster or the user's rights cannot run it.
	ModeUnavailable
)

// Mode says how step i runs on this cluster with these rights, and why
// when it is not ModeRun. It is known after Preflight.
func (e *Engine) Mode(i int) (Mode, step.Msg) {
	s := e.Step(i)
	if why := e.unavailable(s); !why.IsZero() {
		return ModeUnavailable, why
	}
	d := e.deniedVerbs(s)
	if w := e.facts.Workshop; w != nil && slices.Contains(w.InstructorSteps, s.ID) {
		if len(d) > 0 {
			// The instructor acts; the learner must still be able to read
			// what the checks watch.
			return ModeUnavailable, step.M("ReasonDenied", "Verbs", strings.Join(d, ", "))
		}
		return ModeInstructor, instructorMsg(s, w)
	}
	if len(d) > 0 {
		return ModeUnavailable, step.M("ReasonDenied", "Verbs", strings.Join(d, ", "))
	}
	return ModeRun, step.Msg{}
}

// stepVerbs are the verbs step s takes here: all of StepVerbs, or only
// its checks' when the step is the workshop instructor's.
func (e *Engine) stepVerbs(s lesson.Step) []step.Verb {
	if w := e.facts.Workshop; w != nil && slices.Contains(w.InstructorSteps, s.ID) {
		return step.StepVerbs(e.env, lesson.Step{ID: s.ID, Checks: s.Checks, Evidence: s.Evidence})
	}
	return step.StepVerbs(e.env, s)
}

// deniedVerbs are the cluster-scoped verbs of s that preflight found
// denied.
func (e *Engine) deniedVerbs(s lesson.Step) []string {
	if len(e.facts.Denied) == 0 {
		return nil
	}
	var out []string
	for _, v := range e.stepVerbs(s) {
		if slices.Contains(e.facts.Denied, v) {
			out = append(out, v.String())
		}
	}
	return out
}

// instructorMsg says what the instructor does for everyone in step s.
func instructorMsg(s lesson.Step, w *Workshop) step.Msg {
	id := "InstructorStep"
	switch s.Action.Kind {
	case "drain":
		id = "InstructorDrain"
	case "cordon":
		id = "InstructorCordon"
	case "uncordon":
		id = "InstructorUncordon"
	}
	return step.M(id, "Workshop", w.Name, "Step", s.ID)
}

// runAuto runs step i for Run (`run --auto`): as RunStep, but a workshop
// instructor's step is not waited for.
func (e *Engine) runAuto(ctx context.Context, i int) StepResult {
	a := e.Arm(ctx, i)
	a.noWait = true
	return a.Run(ctx)
}

// instructorRun does an instructor's step (see Mode): it never does the
// action. When the watch already saw the checks pass, or the cluster's
// history shows the step done and its checks hold now, the step passes;
// else, unless noWait, it waits for the checks (the instructor's push
// makes them pass) for as long as a workshop lasts; with noWait it is
// unavailable and the run goes on.
func (a *Armed) instructorRun(ctx context.Context, passed bool) StepResult {
	e, s, i := a.e, a.s, a.i
	sr := StepResult{ID: s.ID, Index: i, Status: Passed, Action: ActionResult{Desc: a.instructor, Status: Skipped}}
	if passed {
		return sr
	}
	done := e.doneByEvidence(ctx, i)
	if done {
		res := e.checks(ctx, s, i, CatchUpWait)
		if res.Status == Passed || ctx.Err() != nil {
			sr.Status, sr.Checks = res.Status, res.Checks
			return sr
		}
	}
	if a.noWait {
		sr.Status, sr.Reason = Unavailable, step.M("ReasonInstructorNotYet", "Workshop", e.facts.Workshop.Name, "Step", s.ID)
		for _, c := range s.Checks {
			sr.Checks = append(sr.Checks, CheckResult{Name: c.Name, Desc: describe(c), Line: c.Line, Status: Unavailable, Reason: sr.Reason})
		}
		return sr
	}
	e.emit(Event{Kind: InstructorWaiting, Step: s.ID, StepIndex: i, Check: -1, Msg: a.instructor})
	sr.Checks = nil
	for j, c := range a.checks {
		lc := s.Checks[j]
		cr := CheckResult{Name: lc.Name, Desc: c.Describe(), Line: lc.Line}
		_, before := c.(step.Preparer)
		switch {
		case sr.Status == Failed:
			cr.Status, cr.Reason = Skipped, step.M("ReasonEarlierCheckFailed")
		case before && done:
			cr.Status = Skipped // the history proved it; "before" is gone
		case e.waitCheck(ctx, s, i, j, c, &cr, instructorWait):
			sr.Status = Failed
		}
		sr.Checks = append(sr.Checks, cr)
	}
	return sr
}

// doneByEvidence reports whether the cluster's history shows step i done
// (runner/evidence), read with one LIST per kind in the namespace.
func (e *Engine) doneByEvidence(ctx context.Context, i int) bool {
	p, err := e.Judge(ctx, nil, e.workshopEpoch())
	return err == nil && p.Steps[i].Done
}

// workshopEpoch is when the learner's current attempt began, as the
// workshop ConfigMap says (zero outside a workshop or before a reset).
func (e *Engine) workshopEpoch() time.Time {
	if w := e.facts.Workshop; w != nil {
		return w.Epoch
	}
	return time.Time{}
}
