package step

import (
	"context"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// Absent waits until no object of a kind matches (by name or selector);
// objects still terminating count as present.
type Absent struct {
	ObjectRef `yaml:",inline"`
}

func init() { RegisterCheck[Absent]("absent", `{kind: Pod, selector: app=mysql}`) }

// Validate implements lesson.Body.
func (c *Absent) Validate(v *lesson.Validator) { validateObjectRef(v, c.ObjectRef) }

// Describe implements Kind.
func (c *Absent) Describe() Msg { return M("KindAbsent", "Kind", c.Kind, "What", c.what()) }

// Verbs implements Kind.
func (c *Absent) Verbs() []Verb { return objectVerbs(c.Kind) }

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

// Evidence implements Check: a state (no object is also how a lesson
// starts), so it holds or not, and proves nothing by itself.
func (c *Absent) Evidence(h *History, since time.Time) Evidence {
	return state(len(c.ObjectRef.select_(h)) == 0, Msg{})
}

// KubectlWait implements KubectlWaiter (a selector matching nothing makes
// kubectl wait fail, hence a loop).
func (c *Absent) KubectlWait(ctx context.Context, env *Env, timeout time.Duration) []string {
	if c.Name != "" {
		return []string{env.kubectlWait("delete", timeout, resourceName(c.Kind, c.Name))}
	}
	return []string{untilLoop(fmt.Sprintf("[ -z \"$(%s)\" ]", env.kubectl("get", strings.ToLower(c.Kind), "-l", c.Selector, "-o", "name")), 500*time.Millisecond, timeout)}
}
