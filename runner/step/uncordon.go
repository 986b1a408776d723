package step

import (
	"context"
	"strings"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// Uncordon makes a node schedulable again: the node of a pod, a named node,
// or — with neither, `uncordon: {}` — every node the lesson's namespace
// cordoned (the cluster's marks, so also after a killed run). Nodes
// cordoned by someone else are never touched.
type Uncordon struct {
	NodeOp `yaml:",inline"`
}

func init() { RegisterAction[Uncordon]("uncordon", `{}`) }

// Validate implements lesson.Body.
func (a *Uncordon) Validate(v *lesson.Validator) {}

// Describe implements Kind.
func (a *Uncordon) Describe() Msg { return M("KindUncordon", "Pod", a.Pod, "Node", a.Node) }

// Verbs implements Kind.
func (a *Uncordon) Verbs() []Verb {
	return append(nodeVerbs, Verb{Resource: "nodes", Verb: "list", Cluster: true})
}

// Commands implements Action: `kubectl uncordon` of the node, or, for
// `uncordon: {}`, of every node the lesson's namespace has cordoned now.
func (a *Uncordon) Commands(ctx context.Context, env *Env) (ByHand, error) {
	var nodes []string
	if a.Node == "" && a.Pod == "" {
		nodes = cordonedNodes(ctx, env)
	} else {
		node, err := nodeOf(ctx, env, a.NodeOp)
		if err != nil {
			return ByHand{}, err
		}
		nodes = []string{node}
	}
	if len(nodes) == 0 {
		return ByHand{Note: M("ByHandNoCordon")}, nil
	}
	return ByHand{Lines: []string{env.kubectl(append([]string{"uncordon"}, nodes...)...)}}, nil
}

// Run implements Action.
func (a *Uncordon) Run(ctx context.Context, env *Env, report Reporter) (Outcome, error) {
	if a.Node == "" && a.Pod == "" {
		nodes, err := UncordonAll(ctx, env)
		if err != nil {
			return Outcome{}, err
		}
		return Outcome{Msg: M("OutcomeUncordoned", "Nodes", strings.Join(nodes, ", "), "Count", len(nodes))}, nil
	}
	node, err := nodeOf(ctx, env, a.NodeOp)
	if err != nil {
		return Outcome{}, err
	}
	if err := uncordon(ctx, env, node); err != nil {
		return Outcome{}, err
	}
	return Outcome{Msg: M("OutcomeUncordoned", "Nodes", node, "Count", 1)}, nil
}
