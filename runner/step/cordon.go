package step

import (
	"context"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// Cordon marks the node of a pod (or a named node) unschedulable, with the
// lesson's mark (see CordonedByAnnotation), like `kubectl cordon`. A node
// someone else cordoned is left alone.
type Cordon struct {
	NodeOp `yaml:",inline"`
	armed  armedNode
}

func init() { RegisterAction[Cordon]("cordon", `{pod: mysql-2}`) }

// Validate implements lesson.Body.
func (a *Cordon) Validate(v *lesson.Validator) { validateNodeOp(v, a.NodeOp) }

// Describe implements Kind.
func (a *Cordon) Describe() Msg { return M("KindCordon", "Pod", a.Pod, "Node", a.Node) }

// Verbs implements Kind.
func (a *Cordon) Verbs() []Verb { return nodeVerbs }

// Prepare implements Preparer: it records the node of the pod when armed.
func (a *Cordon) Prepare(ctx context.Context, env *Env) error {
	a.armed.prepare(ctx, env, a.NodeOp)
	return nil
}

// Commands implements Action: `kubectl cordon NODE`, which does not mark
// the cordon as the lesson's — the tutor adopts it once the step passes.
func (a *Cordon) Commands(ctx context.Context, env *Env) (ByHand, error) {
	node, err := a.armed.node(ctx, env, a.NodeOp)
	if err != nil {
		return ByHand{}, err
	}
	return ByHand{Lines: []string{env.kubectl("cordon", node)}}, nil
}

// AlreadyDone implements AlreadyDoner: the node is cordoned.
func (a *Cordon) AlreadyDone(ctx context.Context, env *Env) (bool, Msg) {
	if node, cordoned := a.armed.unschedulable(ctx, env, a.NodeOp); cordoned {
		return true, M("AlreadyCordoned", "Node", node)
	}
	return false, Msg{}
}

// Adopt implements Adopter: a node cordoned by hand gets the lesson's mark.
func (a *Cordon) Adopt(ctx context.Context, env *Env) error { return a.armed.adopt(ctx, env) }

// Run implements Action.
func (a *Cordon) Run(ctx context.Context, env *Env, report Reporter) (Outcome, error) {
	node, err := a.armed.node(ctx, env, a.NodeOp)
	if err != nil {
		return Outcome{}, err
	}
	res, err := cordon(ctx, env, node)
	if err != nil {
		return Outcome{}, err
	}
	if res == cordonedOther {
		return Outcome{Msg: M("OutcomeCordonedByOther", "Node", node)}, nil
	}
	return Outcome{Msg: M("OutcomeCordoned", "Node", node)}, nil
}

// TargetPods implements PodTarget.
func (a *Cordon) TargetPods() ([]string, string) { return nonEmpty(a.Pod), "" }
