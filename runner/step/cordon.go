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
}

func init() { RegisterAction[Cordon]("cordon", `{pod: mysql-2}`) }

// Validate implements lesson.Body.
func (a *Cordon) Validate(v *lesson.Validator) { validateNodeOp(v, a.NodeOp) }

// Describe implements Kind.
func (a *Cordon) Describe() Msg { return M("KindCordon", "Pod", a.Pod, "Node", a.Node) }

// Verbs implements Kind.
func (a *Cordon) Verbs() []Verb { return nodeVerbs }

// Run implements Action.
func (a *Cordon) Run(ctx context.Context, env *Env, report Reporter) (Outcome, error) {
	node, err := nodeOf(ctx, env, a.NodeOp)
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
