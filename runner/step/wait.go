package step

import (
	"context"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// Wait is the action of a step that only observes: it does nothing, and the
// step's checks do the work — e.g. after a learner typed the command.
type Wait struct{}

func init() { RegisterAction[Wait]("wait", `{}`) }

// Validate implements lesson.Body.
func (a *Wait) Validate(v *lesson.Validator) {}

// Describe implements Kind.
func (a *Wait) Describe() Msg { return M("KindWait") }

// Verbs implements Kind.
func (a *Wait) Verbs() []Verb { return nil }

// Commands implements Action: nothing to type; the learner acts as the
// lesson describes (or just watches) and the checks tell.
func (a *Wait) Commands(ctx context.Context, env *Env) (ByHand, error) {
	return ByHand{Note: M("ByHandWait")}, nil
}

// Run implements Action.
func (a *Wait) Run(ctx context.Context, env *Env, report Reporter) (Outcome, error) {
	return Outcome{}, nil
}
