package step

import (
	"context"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// PVCs waits until claims are in a phase (e.g. all Bound) and/or their
// number is exactly Count — e.g. "five claims still exist after scaling
// down to three".
type PVCs struct {
	lesson.PVCs
}

// Describe implements Check.
func (c *PVCs) Describe() Msg {
	what := namesOr(c.Names, c.Selector)
	count := -1
	if c.Count != nil {
		count = *c.Count
	}
	return M("CheckPVCs", "What", what, "Phase", c.Phase, "Count", count)
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
