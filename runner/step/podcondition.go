package step

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// PodCondition waits until a pod condition (default Ready) has a status, or,
// with Container set, until that container's ready flag is true/false —
// e.g. "mysql-2's mysql container Ready=False" after its readiness probe
// was broken.
type PodCondition struct {
	lesson.PodCondition
}

func (c *PodCondition) condType() string {
	if c.Type == "" {
		return "Ready"
	}
	return c.Type
}

func (c *PodCondition) want() string {
	if c.Status == "" {
		return "True"
	}
	return c.Status
}

// Describe implements Check.
func (c *PodCondition) Describe() Msg {
	if c.Container != "" {
		return M("CheckContainerReady", "Pod", c.Pod, "Container", c.Container, "Status", c.want())
	}
	return M("CheckPodCondition", "Pod", c.Pod, "Type", c.condType(), "Status", c.want())
}

// Wait implements Check.
func (c *PodCondition) Wait(ctx context.Context, env *Env, report Reporter) error {
	mm := newMismatch(env, report)
	diag := newDiagnoser(env)
	hint := M("HintPodCondition", "Namespace", env.Namespace(), "Pod", c.Pod)
	if c.want() == "False" {
		hint = M("HintStillTrue", "Pod", c.Pod)
	}
	eval := func(s snapshot) (bool, error) {
		p, _ := s[c.Pod].(*corev1.Pod)
		if p == nil {
			mm.set(M("StatePodMissing", "Pod", c.Pod), hint)
			return false, nil
		}
		got := c.observe(p)
		if got == c.want() {
			return true, nil
		}
		if c.Container != "" {
			mm.set(M("StateContainerReady", "Pod", c.Pod, "Container", c.Container, "Want", c.want(), "Got", got), hint)
		} else {
			mm.set(M("StatePodCondition", "Pod", c.Pod, "Type", c.condType(), "Want", c.want(), "Got", got), hint)
		}
		if c.want() == "True" {
			for _, d := range diag.pod(ctx, p) {
				mm.diagnose(d)
			}
		}
		return false, nil
	}
	err := watchUntil(ctx, env.podsLister(), "", eval, mm.apiError)
	return mm.failure(ctx, err)
}

// observe returns "True", "False" or "Unknown".
func (c *PodCondition) observe(p *corev1.Pod) string {
	if c.Container != "" {
		for _, cs := range p.Status.ContainerStatuses {
			if cs.Name == c.Container {
				return fmt.Sprint(map[bool]string{true: "True", false: "False"}[cs.Ready])
			}
		}
		return "Unknown"
	}
	if cond := podCondition(p, corev1.PodConditionType(c.condType())); cond != nil {
		return string(cond.Status)
	}
	return "Unknown"
}
