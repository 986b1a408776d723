package step

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// NodeChanged waits until a pod runs on another node than the one it ran on
// before the step's action (recorded by Prepare), e.g. after a drain.
type NodeChanged struct {
	// Pod is the pod's name.
	Pod    string `yaml:"pod"`
	before string
}

func init() { RegisterCheck[NodeChanged]("nodeChanged", `{pod: mysql-2}`) }

// Validate implements lesson.Body.
func (c *NodeChanged) Validate(v *lesson.Validator) { v.Require(c.Pod != "", "pod") }

// Describe implements Kind.
func (c *NodeChanged) Describe() Msg { return M("KindNodeChanged", "Pod", c.Pod) }

// Verbs implements Kind.
func (c *NodeChanged) Verbs() []Verb { return podVerbs }

// Evidence implements Check: proven by the scheduler's Scheduled events (a
// pod incarnation after since on another node than the one before since).
func (c *NodeChanged) Evidence(h *History, since time.Time) Evidence {
	before := ""
	for _, in := range h.incarnations(c.Pod) {
		switch {
		case in.node == "":
		case !in.at.After(since):
			before = in.node
		case before == "":
			before = in.node // the first one known after since is the reference
		case in.node != before:
			return proven(in.at, M("EvidenceMoved", "Pod", c.Pod, "From", before, "To", in.node, "At", clock(in.at)))
		}
	}
	return Evidence{Proof: NotYet}
}

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

// TargetPods implements PodTarget.
func (c *NodeChanged) TargetPods() ([]string, string) { return []string{c.Pod}, "" }

// KubectlWait implements KubectlWaiter: a loop until the pod runs on
// another node than the one recorded when the step was armed.
func (c *NodeChanged) KubectlWait(ctx context.Context, env *Env, timeout time.Duration) []string {
	get := env.kubectl("get", "pod", c.Pod, "-o", "jsonpath={.spec.nodeName}")
	return []string{untilLoop(fmt.Sprintf("n=$(%s 2>/dev/null) && [ -n \"$n\" ] && [ \"$n\" != %s ]", get, ShellQuote(c.before)), 500*time.Millisecond, timeout)}
}
