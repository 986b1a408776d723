package step

import (
	"context"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// NewUID waits until an object exists again under the same name with
// another UID than it had before the step's action (recorded by Prepare):
// "same name, new pod" after deleting a StatefulSet's pod. It is the
// opposite of SameUID. An object that did not exist before counts as new
// once it appears.
type NewUID struct {
	ObjectRef `yaml:",inline"`
	before    types.UID
}

func init() { RegisterCheck[NewUID]("newUID", `{kind: Pod, name: mysql-2}`) }

// Validate implements lesson.Body.
func (c *NewUID) Validate(v *lesson.Validator) {
	v.Require(c.Kind != "", "kind")
	v.Require(c.Name != "", "name")
}

// Describe implements Kind.
func (c *NewUID) Describe() Msg { return M("KindNewUID", "Kind", c.Kind, "Name", c.Name) }

// Verbs implements Kind.
func (c *NewUID) Verbs() []Verb { return append(objectVerbs(c.Kind), Verb{Kind: c.Kind, Verb: "get"}) }

// Prepare records the object's UID before the action (none if absent).
func (c *NewUID) Prepare(ctx context.Context, env *Env) error {
	uid, err := objectUID(ctx, env, c.Kind, c.Name)
	if err != nil && !apierrors.IsNotFound(err) {
		return fail(err, M("StepPrepareFailed", "What", c.Kind+"/"+c.Name, "Error", err.Error()), Msg{})
	}
	c.before = uid
	return nil
}

// Wait implements Check.
func (c *NewUID) Wait(ctx context.Context, env *Env, report Reporter) error {
	mm := newMismatch(env, report)
	gvr, namespaced, err := env.resolve(c.Kind)
	if err != nil {
		return err
	}
	eval := func(s snapshot) (bool, error) {
		o, ok := s[c.Name]
		if !ok {
			mm.set(M("StateNotFound", "Kind", c.Kind, "What", c.Name, "Namespace", env.Namespace()), M("HintNewUID"))
			return false, nil
		}
		m, err := meta.Accessor(o)
		if err != nil {
			return false, err
		}
		if m.GetUID() == c.before {
			state := M("StateSameUID", "Kind", c.Kind, "Name", c.Name, "UID", string(c.before))
			if m.GetDeletionTimestamp() != nil {
				state = M("StateStillTerminating", "Kind", c.Kind, "Name", c.Name)
			}
			mm.set(state, M("HintNewUID"))
			return false, nil
		}
		return true, nil
	}
	err = watchUntil(ctx, env.dynamicLister(gvr, namespaced), "", eval, mm.apiError)
	return mm.failure(ctx, err)
}

// Evidence implements Check: proven by an incarnation created after since
// while an older one existed (pods: their UIDs in the events; other kinds:
// the object is newer than since).
func (c *NewUID) Evidence(h *History, since time.Time) Evidence {
	if strings.EqualFold(strings.Split(c.Kind, ".")[0], "pod") {
		ins := h.incarnations(c.Name)
		for i, in := range ins {
			if i > 0 && in.at.After(since) {
				return proven(in.at, M("EvidenceNewUID", "What", c.Name, "At", clock(in.at)))
			}
		}
		return Evidence{Proof: NotYet}
	}
	o, ok := h.ObjectsOf(c.Kind)[c.Name]
	if ok && !since.IsZero() && o.GetCreationTimestamp().Time.After(since) {
		at := o.GetCreationTimestamp().Time
		return proven(at, M("EvidenceNewUID", "What", c.Name, "At", clock(at)))
	}
	return Evidence{Proof: NotYet}
}

// KubectlWait implements KubectlWaiter: a loop until the object has
// another UID than when the step was armed.
func (c *NewUID) KubectlWait(ctx context.Context, env *Env, timeout time.Duration) []string {
	get := env.kubectl("get", strings.ToLower(c.Kind), c.Name, "-o", "jsonpath={.metadata.uid}")
	return []string{untilLoop(fmt.Sprintf("u=$(%s 2>/dev/null) && [ -n \"$u\" ] && [ \"$u\" != %s ]", get, ShellQuote(string(c.before))), 500*time.Millisecond, timeout)}
}
