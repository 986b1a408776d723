package step

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// Uncordoned waits until no node that this lesson's namespace cordoned is
// still unschedulable: the nodes this run cordoned, and any node the
// cluster shows with the lesson's cordon mark (see CordonedByAnnotation).
type Uncordoned struct{}

func init() { RegisterCheck[Uncordoned]("uncordoned", `{}`) }

// Validate implements lesson.Body.
func (c *Uncordoned) Validate(v *lesson.Validator) {}

// Describe implements Kind.
func (c *Uncordoned) Describe() Msg { return M("KindUncordoned") }

// Verbs implements Kind.
func (c *Uncordoned) Verbs() []Verb {
	return []Verb{{Resource: "nodes", Verb: "list", Cluster: true}, {Resource: "nodes", Verb: "watch", Cluster: true}}
}

// Wait implements Check.
func (c *Uncordoned) Wait(ctx context.Context, env *Env, report Reporter) error {
	ours := map[string]bool{}
	for _, n := range env.State.EverCordoned() {
		ours[n] = true
	}
	mark := env.CordonMark()
	mm := newMismatch(env, report)
	eval := func(s snapshot) (bool, error) {
		var still []string
		for name, o := range s {
			if n, ok := o.(*corev1.Node); ok && n.Spec.Unschedulable && (ours[name] || n.Annotations[CordonedByAnnotation] == mark) {
				still = append(still, name)
			}
		}
		if len(still) == 0 {
			return true, nil
		}
		sortStrings(still)
		mm.set(M("StateStillCordoned", "Nodes", strings.Join(still, ", ")), M("HintUncordon", "Node", still[0]))
		return false, nil
	}
	err := watchUntil(ctx, env.nodesLister(), "", eval, mm.apiError)
	return mm.failure(ctx, err)
}

// Evidence implements Check: holds while no node carries this lesson's
// cordon mark and is unschedulable.
func (c *Uncordoned) Evidence(h *History, since time.Time) Evidence {
	mark := h.Namespace + "/" + h.Lesson
	for _, n := range h.Nodes {
		if markedBy(n, mark) {
			return state(false, M("StateStillCordoned", "Nodes", n.Name))
		}
	}
	return state(true, Msg{})
}

// KubectlWait implements KubectlWaiter: a loop until none of the nodes the
// lesson's namespace cordoned is unschedulable.
func (c *Uncordoned) KubectlWait(ctx context.Context, env *Env, timeout time.Duration) []string {
	var out []string
	for _, n := range append(env.State.EverCordoned(), MarkedNodes(ctx, env, env.CordonMark())...) {
		get := env.kubectl("get", "node", n, "-o", "jsonpath={.spec.unschedulable}")
		out = append(out, untilLoop(fmt.Sprintf("[ \"$(%s)\" != true ]", get), 500*time.Millisecond, timeout))
	}
	return out
}
