package step

import (
	"context"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Uncordoned waits until every node the run cordoned is schedulable again.
type Uncordoned struct{}

// Describe implements Check.
func (c *Uncordoned) Describe() Msg { return M("CheckUncordoned") }

// Wait implements Check.
func (c *Uncordoned) Wait(ctx context.Context, env *Env, report Reporter) error {
	nodes := env.State.EverCordoned()
	if len(nodes) == 0 {
		return nil
	}
	mm := newMismatch(env, report)
	eval := func(s snapshot) (bool, error) {
		var still []string
		for _, n := range nodes {
			if node, ok := s[n].(*corev1.Node); ok && node.Spec.Unschedulable {
				still = append(still, n)
			}
		}
		if len(still) == 0 {
			return true, nil
		}
		mm.set(M("StateStillCordoned", "Nodes", strings.Join(still, ", ")), M("HintUncordon", "Node", still[0]))
		return false, nil
	}
	err := watchUntil(ctx, env.nodesLister(), "", eval, mm.apiError)
	return mm.failure(ctx, err)
}
