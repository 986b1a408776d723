package step

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// PodCondition waits until a pod condition (default Ready) has a status, or,
// with Container set, until that container's ready flag is true/false —
// e.g. "mysql-2's mysql container Ready=False" after its readiness probe
// was broken.
type PodCondition struct {
	// Pod is the pod's name.
	Pod string `yaml:"pod"`
	// Container, when set, checks that container's ready flag instead of a
	// pod condition.
	Container string `yaml:"container"`
	// Type is the pod condition type (default Ready).
	Type string `yaml:"type"`
	// Status is "True" or "False".
	Status string `yaml:"status"`
}

func init() {
	RegisterCheck[PodCondition]("podCondition", `{pod: mysql-2, container: mysql, status: "False"}`)
}

// Validate implements lesson.Body.
func (c *PodCondition) Validate(v *lesson.Validator) {
	v.Require(c.Pod != "", "pod")
	v.Require(c.Status == "True" || c.Status == "False", "status (True|False)")
}

// Verbs implements Kind.
func (c *PodCondition) Verbs() []Verb { return podVerbs }

// Evidence implements Check: a status found now that changed after since
// proves a change to False (a broken probe); True is the state pods start
// in, so it only holds. Once a later step repaired the pod, nothing in its
// state remembers: a lesson proves such a step with an `event` evidence
// entry (the kubelet's Unhealthy event with the probe's message).
func (c *PodCondition) Evidence(h *History, since time.Time) Evidence {
	p := h.Pods[c.Pod]
	if p == nil || p.DeletionTimestamp != nil || c.observe(p) != c.want() {
		return Evidence{Proof: NotNow}
	}
	if c.want() == "True" {
		return Evidence{Proof: Holds}
	}
	at := p.CreationTimestamp.Time
	if cond := podCondition(p, corev1.PodConditionType(c.condType())); cond != nil {
		at = cond.LastTransitionTime.Time
	}
	if at.After(since) {
		return proven(at, M("EvidenceCondition", "Pod", c.Pod, "At", clock(at)))
	}
	return Evidence{Proof: Holds}
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

// Describe implements Kind.
func (c *PodCondition) Describe() Msg {
	return M("KindPodCondition", "Pod", c.Pod, "Container", c.Container, "Type", c.condType(), "Status", c.want())
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

// TargetPods implements PodTarget.
func (c *PodCondition) TargetPods() ([]string, string) { return []string{c.Pod}, c.Container }

// KubectlWait implements KubectlWaiter.
func (c *PodCondition) KubectlWait(ctx context.Context, env *Env, timeout time.Duration) []string {
	if c.Container != "" {
		return []string{env.kubectlWait(fmt.Sprintf(`jsonpath={.status.containerStatuses[?(@.name=="%s")].ready}=%s`, c.Container, strings.ToLower(c.want())), timeout, "pod/"+c.Pod)}
	}
	return []string{env.kubectlWait("condition="+c.condType()+"="+c.want(), timeout, "pod/"+c.Pod)}
}
