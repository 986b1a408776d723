package step

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// NodeChanged waits until a pod runs on another node than the one it ran on
// before the step's action (recorded by Prepare), e.g. after a drain.
type NodeChanged struct {
	lesson.PodRef
	before string
}

// Describe implements Check.
func (c *NodeChanged) Describe() Msg { return M("CheckNodeChanged", "Pod", c.Pod) }

// Prepare records the pod's node before the action.
func (c *NodeChanged) Prepare(ctx context.Context, env *Env) error {
	p, err := env.Cluster.Client.CoreV1().Pods(env.Namespace()).Get(ctx, c.Pod, metav1.GetOptions{})
	if err != nil {
		return fail(err, M("StepPrepareFailed", "What", c.Pod, "Error", err.Error()), M("HintPodsReady", "Namespace", env.Namespace()))
	}
	c.before = p.Spec.NodeName
	return nil
}

// Before is the node recorded by Prepare.
func (c *NodeChanged) Before() string { return c.before }

// Wait implements Check.
func (c *NodeChanged) Wait(ctx context.Context, env *Env, report Reporter) error {
	mm := newMismatch(env, report)
	eval := func(s snapshot) (bool, error) {
		p, _ := s[c.Pod].(*corev1.Pod)
		switch {
		case p == nil:
			mm.set(M("StatePodMissing", "Pod", c.Pod), Msg{})
		case p.DeletionTimestamp != nil:
			mm.set(M("StatePodTerminating", "Pod", c.Pod), Msg{})
		case p.Spec.NodeName == "":
			mm.set(podState(c.Pod, p), M("HintNodeChanged"))
		case p.Spec.NodeName == c.before:
			mm.set(M("StateSameNode", "Pod", c.Pod, "Node", c.before), M("HintNodeChanged"))
		default:
			return true, nil
		}
		return false, nil
	}
	err := watchUntil(ctx, env.podsLister(), "", eval, mm.apiError)
	return mm.failure(ctx, err)
}
