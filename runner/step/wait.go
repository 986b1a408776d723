package step

import "context"

// Wait is the action of a step that only observes: it does nothing, and the
// step's checks do the work.
type Wait struct{}

// Describe implements Action.
func (a *Wait) Describe() Msg { return M("ActionWait") }

// Run implements Action.
func (a *Wait) Run(ctx context.Context, env *Env, report Reporter) (Outcome, error) {
	return Outcome{}, nil
}
