package step

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// Exists waits until an object of a kind exists (by name, or any object a
// selector matches), through the dynamic client so it works for any kind.
type Exists struct {
	ObjectRef `yaml:",inline"`
}

func init() { RegisterCheck[Exists]("exists", `{kind: Service, name: mysql}`) }

// Validate implements lesson.Body.
func (c *Exists) Validate(v *lesson.Validator) { validateObjectRef(v, c.ObjectRef) }

// Describe implements Kind.
func (c *Exists) Describe() Msg { return M("KindExists", "Kind", c.Kind, "What", c.what()) }

// Verbs implements Kind.
func (c *Exists) Verbs() []Verb { return objectVerbs(c.Kind) }

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
		mm.set(M("StateNotFound", "Kind", c.Kind, "What", c.what(), "Namespace", env.Namespace()), M("HintExists"))
		return false, nil
	}
	err = watchUntil(ctx, env.dynamicLister(gvr, namespaced), c.Selector, eval, mm.apiError)
	return mm.failure(ctx, err)
}

// Evidence implements Check: proven by the object (its creation time), or,
// once a later step deleted it, by an event about it.
func (c *Exists) Evidence(h *History, since time.Time) Evidence {
	var at time.Time
	found := false
	for _, o := range c.ObjectRef.select_(h) {
		if t := o.GetCreationTimestamp().Time; h.current(o.GetCreationTimestamp()) && (!found || t.Before(at)) {
			at, found = t, true
		}
	}
	if found {
		return proven(at, M("EvidenceCreated", "What", c.Kind+" "+c.what(), "At", clock(at)))
	}
	if c.Name != "" {
		if ev := h.EventsAbout(c.Kind, c.Name, ""); len(ev) > 0 {
			at = EventFirst(ev[0])
			return proven(at, M("EvidenceEvent", "Reason", ev[0].Reason, "What", c.Name, "At", clock(at)))
		}
	}
	return Evidence{Proof: NotYet}
}

// validateObjectRef requires a kind and a name or a selector.
func validateObjectRef(v *lesson.Validator, r ObjectRef) {
	v.Require(r.Kind != "", "kind")
	v.Require(r.Name != "" || r.Selector != "", "name|selector")
}

// objectVerbs are what watching objects of kind takes.
func objectVerbs(kind string) []Verb {
	return []Verb{{Kind: kind, Verb: "list"}, {Kind: kind, Verb: "watch"}}
}

// select_ returns the objects of the history the reference names.
func (r ObjectRef) select_(h *History) []objectMeta {
	objs := h.ObjectsOf(r.Kind)
	if r.Name != "" {
		if o, ok := objs[r.Name]; ok {
			return []objectMeta{o}
		}
		return nil
	}
	sel, err := labels.Parse(r.Selector)
	if err != nil {
		return nil
	}
	var out []objectMeta
	for _, o := range objs {
		if sel.Matches(labels.Set(o.GetLabels())) {
			out = append(out, o)
		}
	}
	return out
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

// KubectlWait implements KubectlWaiter.
func (c *Exists) KubectlWait(ctx context.Context, env *Env, timeout time.Duration) []string {
	if c.Name != "" {
		return []string{env.kubectlWait("create", timeout, resourceName(c.Kind, c.Name))}
	}
	return []string{untilLoop(fmt.Sprintf("[ -n \"$(%s)\" ]", env.kubectl("get", strings.ToLower(c.Kind), "-l", c.Selector, "-o", "name")), 500*time.Millisecond, timeout)}
}
