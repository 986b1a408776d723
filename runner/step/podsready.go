package step

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// PodsReady waits until pods are Ready: the named ones (optionally becoming
// Ready in the listed order, as a StatefulSet's OrderedReady policy
// promises), or Count of the pods a selector matches. It watches the pods
// and diagnoses the ones that are stuck.
type PodsReady struct {
	// Names of the pods; or use Selector (with Count).
	Names []string `yaml:"names"`
	// Selector is a label selector of the pods.
	Selector string `yaml:"selector"`
	// Count is how many selected pods must be Ready (0: all of them, at
	// least one).
	Count int `yaml:"count"`
	// InOrder requires Names to become Ready in the listed order.
	InOrder bool `yaml:"inOrder"`
}

func init() {
	RegisterCheck[PodsReady]("podsReady", `{names: [mysql-0, mysql-1, mysql-2], inOrder: true}`)
}

// Validate implements lesson.Body.
func (c *PodsReady) Validate(v *lesson.Validator) {
	v.Require(len(c.Names) > 0 || c.Selector != "", "names|selector")
	v.Require(!c.InOrder || len(c.Names) > 1, "names (inOrder needs two or more)")
}

// Describe implements Kind.
func (c *PodsReady) Describe() Msg {
	return M("KindPodsReady", "Pods", strings.Join(c.Names, ", "), "InOrder", c.InOrder, "Selector", c.Selector, "Count", c.Count)
}

// Verbs implements Kind: the pods, and their logs and events to diagnose
// the ones that are stuck.
func (c *PodsReady) Verbs() []Verb { return podVerbs }

// podVerbs are what watching and diagnosing pods take.
var podVerbs = []Verb{{Resource: "pods", Verb: "list"}, {Resource: "pods", Verb: "watch"},
	{Resource: "pods", Subresource: "log", Verb: "get"}, {Resource: "events", Verb: "list"}}

// Evidence implements Check. Named pods are proven by an incarnation
// created after since (a pod object the history knows of, by its UID):
// the current one must be Ready now, an earlier one that a later step
// replaced or removed counts as having run. A pod Ready now whose only
// incarnation is older than since merely holds. The time of the proof is
// the incarnation's creation, which, unlike the Ready condition, does not
// move when a later step takes the pod out of service and back.
func (c *PodsReady) Evidence(h *History, since time.Time) Evidence {
	if len(c.Names) == 0 {
		sel, err := labels.Parse(c.Selector)
		if err != nil {
			return Evidence{Proof: NotYet}
		}
		var ready []string
		var at time.Time
		for name, p := range h.Pods {
			if sel.Matches(labels.Set(p.Labels)) && PodReady(p) {
				ready = append(ready, name)
				at = latest(at, p.CreationTimestamp.Time)
			}
		}
		if len(ready) < max(c.Count, 1) {
			return Evidence{Proof: NotYet}
		}
		sortStrings(ready)
		return readyEvidence(at, since, strings.Join(ready, ", "))
	}
	var at time.Time
	holds := 0
	for _, name := range c.Names {
		p := h.Pods[name]
		var after *incarnation
		for _, in := range h.incarnations(name) {
			if in.at.After(since) {
				after = &in
				break
			}
		}
		switch {
		case after == nil && PodReady(p):
			holds++
		case after == nil:
			return Evidence{Proof: NotYet, Msg: podState(name, p)}
		case p != nil && string(p.UID) == after.uid && !PodReady(p):
			return Evidence{Proof: NotYet, Msg: podState(name, p)}
		default:
			at = latest(at, after.at)
		}
	}
	if holds == len(c.Names) {
		return Evidence{Proof: Holds}
	}
	return proven(at, M("EvidenceReady", "Pods", strings.Join(c.Names, ", "), "At", clock(at)))
}

func readyEvidence(at, since time.Time, pods string) Evidence {
	if !at.After(since) {
		return Evidence{Proof: Holds}
	}
	return proven(at, M("EvidenceReady", "Pods", pods, "At", clock(at)))
}

// Wait implements Check.
func (c *PodsReady) Wait(ctx context.Context, env *Env, report Reporter) error {
	mm := newMismatch(env, report)
	diag := newDiagnoser(env)
	hint := M("HintPodsReady", "Namespace", env.Namespace())
	ready := firstReady{}
	eval := func(s snapshot) (bool, error) {
		pods := c.selected(s)
		ready.observe(pods)
		var notReady []*corev1.Pod
		var firstName string
		for i, name := range c.names(pods) {
			p := pods[name]
			if PodReady(p) {
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
				if PodReady(p) {
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
			if f := c.order(pods, ready); f != nil {
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

// firstReady remembers, per pod incarnation (UID), when it first became
// Ready as the check saw it: the Ready condition's transition time when
// first seen Ready. Later transitions do not move it: after an API server
// outage the node controller marks every pod NotReady until its kubelet
// reports again, and the pods turn Ready anew in whatever order their
// kubelets happen to report, which says nothing about the order the
// StatefulSet brought them up in.
type firstReady map[types.UID]metav1.Time

func (r firstReady) observe(pods map[string]*corev1.Pod) {
	for _, p := range pods {
		if _, seen := r[p.UID]; seen || !PodReady(p) {
			continue
		}
		if cond := podCondition(p, corev1.PodReady); cond != nil {
			r[p.UID] = cond.LastTransitionTime
		}
	}
}

// order fails when a pod became Ready before the one listed before it.
func (c *PodsReady) order(pods map[string]*corev1.Pod, ready firstReady) *Failure {
	for i := 1; i < len(c.Names); i++ {
		prev, cur := pods[c.Names[i-1]], pods[c.Names[i]]
		if prev == nil || cur == nil {
			continue
		}
		pt, pok := ready[prev.UID]
		ct, cok := ready[cur.UID]
		if !pok || !cok {
			continue
		}
		if ct.Before(&pt) {
			return &Failure{
				Msg:  M("StatePodsOutOfOrder", "Pod", c.Names[i], "Before", c.Names[i-1]),
				Hint: M("HintPodsOutOfOrder"),
			}
		}
	}
	return nil
}

// TargetPods implements PodTarget.
func (c *PodsReady) TargetPods() ([]string, string) { return c.Names, "" }

// KubectlWait implements KubectlWaiter: each pod created, then Ready.
func (c *PodsReady) KubectlWait(ctx context.Context, env *Env, timeout time.Duration) []string {
	if len(c.Names) == 0 {
		want := c.Count
		test := fmt.Sprintf("[ \"$(%s | grep -c True)\" -ge %d ]", env.kubectl("get", "pods", "-l", c.Selector, "-o",
			`jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}`), max(want, 1))
		return []string{untilLoop(test, 500*time.Millisecond, timeout)}
	}
	var out []string
	for _, n := range c.Names {
		out = append(out, env.kubectlWait("create", timeout, "pod/"+n), env.kubectlWait("condition=Ready", timeout, "pod/"+n))
	}
	return out
}
