package step

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// RestartsUnchanged checks that a container did not restart since before
// the step's action (its restart count, recorded by Prepare, is the same,
// in the same pod): a failing readiness probe takes a pod out of service
// without restarting it, unlike a liveness probe.
type RestartsUnchanged struct {
	PodRef `yaml:",inline"`
	uid    types.UID
	before int32
}

func init() {
	RegisterCheck[RestartsUnchanged]("restartsUnchanged", `{pod: mysql-2, container: mysql}`)
}

// Validate implements lesson.Body.
func (c *RestartsUnchanged) Validate(v *lesson.Validator) { v.Require(c.Pod != "", "pod") }

// Describe implements Kind.
func (c *RestartsUnchanged) Describe() Msg {
	return M("KindRestartsUnchanged", "Pod", c.Pod, "Container", c.containerName())
}

// Verbs implements Kind.
func (c *RestartsUnchanged) Verbs() []Verb { return []Verb{{Resource: "pods", Verb: "get"}} }

// Evidence implements Check: a count compared with the one before the step
// cannot be judged afterwards; it holds while the pod exists.
func (c *RestartsUnchanged) Evidence(h *History, since time.Time) Evidence {
	_, ok := h.Pods[c.Pod]
	return state(ok, Msg{})
}

func (c *RestartsUnchanged) containerName() string {
	if c.Container == "" {
		return "*"
	}
	return c.Container
}

func (c *RestartsUnchanged) restarts(p *corev1.Pod) int32 {
	var n int32
	for _, cs := range p.Status.ContainerStatuses {
		if c.Container == "" || cs.Name == c.Container {
			n += cs.RestartCount
		}
	}
	return n
}

// Prepare records the restart count before the action.
func (c *RestartsUnchanged) Prepare(ctx context.Context, env *Env) error {
	p, err := env.Cluster.Client.CoreV1().Pods(env.Namespace()).Get(ctx, c.Pod, metav1.GetOptions{})
	if err != nil {
		return fail(err, M("StepPrepareFailed", "What", c.Pod, "Error", err.Error()), Msg{})
	}
	c.uid, c.before = p.UID, c.restarts(p)
	return nil
}

// Wait implements Check. It looks once: a restart cannot be undone, so
// there is nothing to wait for.
func (c *RestartsUnchanged) Wait(ctx context.Context, env *Env, report Reporter) error {
	p, err := env.Cluster.Client.CoreV1().Pods(env.Namespace()).Get(ctx, c.Pod, metav1.GetOptions{})
	if err != nil {
		return fail(err, M("StepError", "Error", err.Error()), Msg{})
	}
	if p.UID != c.uid {
		return &Failure{Msg: M("StatePodReplaced", "Pod", c.Pod), Hint: M("HintRestarts")}
	}
	if n := c.restarts(p); n != c.before {
		return &Failure{Msg: M("StateRestarted", "Pod", c.Pod, "Container", c.containerName(), "Before", c.before, "Now", n), Hint: M("HintRestarts")}
	}
	return nil
}
