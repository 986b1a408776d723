package step

import (
	"context"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// PodsReady waits until pods are Ready: the named ones (optionally becoming
// Ready in the listed order, as a StatefulSet's OrderedReady policy
// promises), or Count of the pods a selector matches. It watches the pods
// and diagnoses the ones that are stuck.
type PodsReady struct {
	lesson.PodsReady
}

// Describe implements Check.
func (c *PodsReady) Describe() Msg {
	if len(c.Names) > 0 {
		if c.InOrder {
			return M("CheckPodsReadyInOrder", "Pods", strings.Join(c.Names, ", "))
		}
		return M("CheckPodsReady", "Pods", strings.Join(c.Names, ", "))
	}
	return M("CheckPodsReadySelector", "Selector", c.Selector, "Count", c.Count)
}

// Wait implements Check.
func (c *PodsReady) Wait(ctx context.Context, env *Env, report Reporter) error {
	mm := newMismatch(env, report)
	diag := newDiagnoser(env)
	hint := M("HintPodsReady", "Namespace", env.Namespace())
	eval := func(s snapshot) (bool, error) {
		pods := c.selected(s)
		var notReady []*corev1.Pod
		var firstName string
		for i, name := range c.names(pods) {
			p := pods[name]
			if podReady(p) {
				continue
			}
			if i == 0 || firstName == "" {
				firstName = name
			}
			notReady = append(notReady, p)
			if firstName == name {
				mm.set(podState(name, p), hint)
			}
		}
		for _, p := range notReady {
			for _, d := range diag.pod(ctx, p) {
				mm.diagnose(d)
			}
		}
		if len(c.Names) == 0 {
			ready := 0
			for _, p := range pods {
				if podReady(p) {
					ready++
				}
			}
			want := c.Count
			if want == 0 {
				want = max(len(pods), 1)
			}
			if ready < want {
				if len(notReady) == 0 {
					mm.set(M("StatePodsCount", "Selector", c.Selector, "Ready", ready, "Want", want), hint)
				}
				return false, nil
			}
			return true, nil
		}
		if len(notReady) > 0 {
			return false, nil
		}
		if c.InOrder {
			if f := c.order(pods); f != nil {
				return false, f
			}
		}
		return true, nil
	}
	err := watchUntil(ctx, env.podsLister(), c.Selector, eval, mm.apiError)
	return mm.failure(ctx, err)
}

func (c *PodsReady) selected(s snapshot) map[string]*corev1.Pod {
	out := map[string]*corev1.Pod{}
	for name, o := range s {
		if p, ok := o.(*corev1.Pod); ok {
			out[name] = p
		}
	}
	return out
}

// names lists the pods to judge: the named ones (in order), else all.
func (c *PodsReady) names(pods map[string]*corev1.Pod) []string {
	if len(c.Names) > 0 {
		return c.Names
	}
	out := make([]string, 0, len(pods))
	for n := range pods {
		out = append(out, n)
	}
	sortStrings(out)
	return out
}

// order fails when a pod became Ready before the one listed before it.
func (c *PodsReady) order(pods map[string]*corev1.Pod) *Failure {
	for i := 1; i < len(c.Names); i++ {
		prev, cur := podCondition(pods[c.Names[i-1]], corev1.PodReady), podCondition(pods[c.Names[i]], corev1.PodReady)
		if prev == nil || cur == nil {
			continue
		}
		if cur.LastTransitionTime.Before(&prev.LastTransitionTime) {
			return &Failure{
				Msg:  M("StatePodsOutOfOrder", "Pod", c.Names[i], "Before", c.Names[i-1]),
				Hint: M("HintPodsOutOfOrder"),
			}
		}
	}
	return nil
}
