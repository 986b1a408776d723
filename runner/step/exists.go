package step

import (
	"context"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// Exists waits until an object of a kind exists (by name, or any object a
// selector matches), through the dynamic client so it works for any kind.
type Exists struct {
	lesson.ObjectRef
}

// Describe implements Check.
func (c *Exists) Describe() Msg {
	return M("CheckExists", "Kind", c.Kind, "What", refWhat(c.ObjectRef))
}

// Wait implements Check.
func (c *Exists) Wait(ctx context.Context, env *Env, report Reporter) error {
	mm := newMismatch(env, report)
	gvr, namespaced, err := env.resolve(c.Kind)
	if err != nil {
		return err
	}
	eval := func(s snapshot) (bool, error) {
		if names := matching(s, c.Name); len(names) > 0 {
			return true, nil
		}
		mm.set(M("StateNotFound", "Kind", c.Kind, "What", refWhat(c.ObjectRef), "Namespace", env.Namespace()), M("HintExists"))
		return false, nil
	}
	err = watchUntil(ctx, env.dynamicLister(gvr, namespaced), c.Selector, eval, mm.apiError)
	return mm.failure(ctx, err)
}

// Absent waits until no object of a kind matches (by name or selector);
// objects still terminating count as present.
type Absent struct {
	lesson.ObjectRef
}

// Describe implements Check.
func (c *Absent) Describe() Msg {
	return M("CheckAbsent", "Kind", c.Kind, "What", refWhat(c.ObjectRef))
}

// Wait implements Check.
func (c *Absent) Wait(ctx context.Context, env *Env, report Reporter) error {
	mm := newMismatch(env, report)
	gvr, namespaced, err := env.resolve(c.Kind)
	if err != nil {
		return err
	}
	eval := func(s snapshot) (bool, error) {
		names := matching(s, c.Name)
		if len(names) == 0 {
			return true, nil
		}
		var terminating []string
		for _, n := range names {
			if m, err := meta.Accessor(s[n]); err == nil && m.GetDeletionTimestamp() != nil {
				terminating = append(terminating, n)
			}
		}
		mm.set(M("StateStillPresent", "Kind", c.Kind, "Names", strings.Join(names, ", "), "Count", len(names), "Terminating", len(terminating)),
			M("HintAbsent", "Namespace", env.Namespace(), "Selector", c.Selector))
		return false, nil
	}
	err = watchUntil(ctx, env.dynamicLister(gvr, namespaced), c.Selector, eval, mm.apiError)
	return mm.failure(ctx, err)
}

// matching returns the sorted names in s, or just name when set and present.
func matching(s snapshot, name string) []string {
	if name != "" {
		if _, ok := s[name]; ok {
			return []string{name}
		}
		return nil
	}
	out := make([]string, 0, len(s))
	for n := range s {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func refWhat(r lesson.ObjectRef) string {
	if r.Name != "" {
		return r.Name
	}
	return r.Selector
}
