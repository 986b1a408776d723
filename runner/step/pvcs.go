package step

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// PVCs waits until claims are in a phase (e.g. all Bound) and/or their
// number is exactly Count — e.g. "five claims still exist after scaling
// down to three".
type PVCs struct {
	// Names of the claims; or Selector.
	Names []string `yaml:"names"`
	// Selector is a label selector of the claims.
	Selector string `yaml:"selector"`
	// Count is the exact number of selected claims expected (unset: any).
	Count *int `yaml:"count"`
	// Phase all claims must have, e.g. Bound.
	Phase string `yaml:"phase"`
}

func init() { RegisterCheck[PVCs]("pvcs", `{names: [data-mysql-0, data-mysql-1], phase: Bound}`) }

// Validate implements lesson.Body.
func (c *PVCs) Validate(v *lesson.Validator) {
	v.Require(len(c.Names) > 0 || c.Selector != "", "names|selector")
	v.Require(c.Count != nil || c.Phase != "" || len(c.Names) > 0, "count|phase")
}

// Describe implements Kind.
func (c *PVCs) Describe() Msg {
	count := -1
	if c.Count != nil {
		count = *c.Count
	}
	return M("KindPVCs", "What", namesOr(c.Names, c.Selector), "Phase", c.Phase, "Count", count)
}

// Verbs implements Kind.
func (c *PVCs) Verbs() []Verb {
	return []Verb{{Resource: "persistentvolumeclaims", Verb: "list"}, {Resource: "persistentvolumeclaims", Verb: "watch"}}
}

// Evidence implements Check: named claims are proven by their creation (or,
// once deleted, by an event about them); a count is a state.
func (c *PVCs) Evidence(h *History, since time.Time) Evidence {
	if c.Count != nil && *c.Count >= 0 || len(c.Names) == 0 {
		sel, err := labels.Parse(c.Selector)
		if err != nil {
			return Evidence{Proof: NotNow}
		}
		n, phaseOK := 0, true
		for _, p := range h.PVCs {
			if sel.Matches(labels.Set(p.Labels)) {
				n++
				phaseOK = phaseOK && (c.Phase == "" || string(p.Status.Phase) == c.Phase)
			}
		}
		want := -1
		if c.Count != nil {
			want = *c.Count
		}
		return state(phaseOK && (want < 0 || n == want), M("StatePVCCount", "Want", want, "Got", n, "Names", ""))
	}
	var at time.Time
	for _, name := range c.Names {
		p, ok := h.PVCs[name]
		switch {
		case ok && h.current(p.CreationTimestamp) && (c.Phase == "" || string(p.Status.Phase) == c.Phase):
			at = latest(at, p.CreationTimestamp.Time)
		case ok:
			return Evidence{Proof: NotYet, Msg: M("StatePVCPhase", "PVC", name, "Want", c.Phase, "Got", string(p.Status.Phase))}
		default:
			ev := h.EventsAbout("PersistentVolumeClaim", name, "")
			if len(ev) == 0 {
				return Evidence{Proof: NotYet, Msg: M("StatePVCMissing", "PVC", name)}
			}
			at = latest(at, EventFirst(ev[0]))
		}
	}
	return proven(at, M("EvidenceCreated", "What", strings.Join(c.Names, ", "), "At", clock(at)))
}

// Wait implements Check.
func (c *PVCs) Wait(ctx context.Context, env *Env, report Reporter) error {
	mm := newMismatch(env, report)
	hint := M("HintPVCs", "Namespace", env.Namespace())
	eval := func(s snapshot) (bool, error) {
		var names []string
		if len(c.Names) > 0 {
			for _, n := range c.Names {
				if _, ok := s[n]; !ok {
					mm.set(M("StatePVCMissing", "PVC", n), hint)
					return false, nil
				}
			}
			names = c.Names
		} else {
			for n := range s {
				names = append(names, n)
			}
			sort.Strings(names)
		}
		if c.Count != nil && *c.Count >= 0 && len(names) != *c.Count {
			mm.set(M("StatePVCCount", "Want", *c.Count, "Got", len(names), "Names", strings.Join(names, ", ")), hint)
			return false, nil
		}
		if c.Phase != "" {
			for _, n := range names {
				pvc, _ := s[n].(*corev1.PersistentVolumeClaim)
				if pvc == nil {
					continue
				}
				if string(pvc.Status.Phase) != c.Phase {
					mm.set(M("StatePVCPhase", "PVC", n, "Want", c.Phase, "Got", string(pvc.Status.Phase)), hint)
					return false, nil
				}
			}
		}
		return true, nil
	}
	err := watchUntil(ctx, env.pvcsLister(), c.Selector, eval, mm.apiError)
	return mm.failure(ctx, err)
}

// KubectlWait implements KubectlWaiter: named claims created and in the
// phase; a count with a loop.
func (c *PVCs) KubectlWait(ctx context.Context, env *Env, timeout time.Duration) []string {
	var out []string
	for _, n := range c.Names {
		out = append(out, env.kubectlWait("create", timeout, "pvc/"+n))
		if c.Phase != "" {
			out = append(out, env.kubectlWait("jsonpath={.status.phase}="+c.Phase, timeout, "pvc/"+n))
		}
	}
	if c.Count != nil {
		test := fmt.Sprintf("[ \"$(%s | wc -l)\" -eq %d ]", env.kubectl("get", "pvc", "-l", c.Selector, "-o", "name"), *c.Count)
		out = append(out, untilLoop(test, 500*time.Millisecond, timeout))
	}
	return out
}
