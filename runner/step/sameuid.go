package step

import (
	"context"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// SameUID checks that an object is the very same one as before the step's
// action (same UID, recorded by Prepare) — e.g. a re-created pod kept its
// PersistentVolumeClaim. It waits while the object is absent and fails at
// once when it was replaced.
type SameUID struct {
	ObjectRef `yaml:",inline"`
	before    types.UID
}

func init() { RegisterCheck[SameUID]("sameUID", `{kind: PersistentVolumeClaim, name: data-mysql-2}`) }

// Validate implements lesson.Body.
func (c *SameUID) Validate(v *lesson.Validator) {
	v.Require(c.Kind != "", "kind")
	v.Require(c.Name != "", "name")
}

// Describe implements Kind.
func (c *SameUID) Describe() Msg { return M("KindSameUID", "Kind", c.Kind, "Name", c.Name) }

// Verbs implements Kind.
func (c *SameUID) Verbs() []Verb { return append(objectVerbs(c.Kind), Verb{Kind: c.Kind, Verb: "get"}) }

// Evidence implements Check: holds while the object is older than the step
// (created before since), which alone proves nothing.
func (c *SameUID) Evidence(h *History, since time.Time) Evidence {
	o, ok := h.ObjectsOf(c.Kind)[c.Name]
	return state(ok && !o.GetCreationTimestamp().Time.After(since), Msg{})
}

// Prepare records the object's UID before the action.
func (c *SameUID) Prepare(ctx context.Context, env *Env) error {
	uid, err := objectUID(ctx, env, c.Kind, c.Name)
	if err != nil {
		return fail(err, M("StepPrepareFailed", "What", c.Kind+"/"+c.Name, "Error", err.Error()), Msg{})
	}
	c.before = uid
	return nil
}

// objectUID reads the UID of object kind/name (namespaced in env's
// namespace, or cluster-scoped), for checks that compare with "before".
func objectUID(ctx context.Context, env *Env, kind, name string) (types.UID, error) {
	gvr, namespaced, err := env.resolve(kind)
	if err != nil {
		return "", err
	}
	r := env.Cluster.Dynamic.Resource(gvr)
	var obj metav1.Object
	if namespaced {
		obj, err = r.Namespace(env.Namespace()).Get(ctx, name, metav1.GetOptions{})
	} else {
		obj, err = r.Get(ctx, name, metav1.GetOptions{})
	}
	if err != nil {
		return "", err
	}
	return obj.GetUID(), nil
}

// Wait implements Check.
func (c *SameUID) Wait(ctx context.Context, env *Env, report Reporter) error {
	mm := newMismatch(env, report)
	gvr, namespaced, err := env.resolve(c.Kind)
	if err != nil {
		return err
	}
	eval := func(s snapshot) (bool, error) {
		o, ok := s[c.Name]
		if !ok {
			mm.set(M("StateNotFound", "Kind", c.Kind, "What", c.Name, "Namespace", env.Namespace()), Msg{})
			return false, nil
		}
		m, err := meta.Accessor(o)
		if err != nil {
			return false, err
		}
		if m.GetUID() != c.before {
			return false, &Failure{Msg: M("StateUIDChanged", "Kind", c.Kind, "Name", c.Name, "Before", string(c.before), "Now", string(m.GetUID())), Hint: M("HintUIDChanged")}
		}
		return true, nil
	}
	err = watchUntil(ctx, env.dynamicLister(gvr, namespaced), "", eval, func(err error) {
		if !apierrors.IsNotFound(err) {
			mm.set(M("StateAPIError", "Error", err.Error()), Msg{})
		}
	})
	return mm.failure(ctx, err)
}
