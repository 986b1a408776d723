package step

import (
	"context"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// Event waits until the namespace has an event about an object, with a
// reason and optionally text in its message, that occurred after the step
// started — what a learner sees in `kubectl get events` or at the bottom of
// `kubectl describe`: "Unhealthy … Readiness probe failed", "Killing",
// "Scheduled … to node-2". Events outlive the state that caused them (for
// the API server's --event-ttl, an hour by default), so it also makes good
// evidence for a step whose state a later step undoes.
type Event struct {
	// Kind of the object the event is about, e.g. Pod.
	Kind string `yaml:"kind"`
	// Name of the object the event is about, e.g. mysql-2.
	Name string `yaml:"name"`
	// Reason is the event's reason, e.g. Unhealthy, Killing, Scheduled.
	Reason string `yaml:"reason"`
	// Message is text the event's message must contain (optional).
	Message string `yaml:"message"`
	// Count is how many times the event must have occurred, as the
	// cluster counts repeats of one event (default 1) — e.g. 3 failed
	// readiness probes in a row (the default failureThreshold) take a pod
	// out of service; one does not.
	Count int32 `yaml:"count"`
	start time.Time
}

func init() {
	RegisterCheck[Event]("event", `{kind: Pod, name: mysql-2, reason: Unhealthy, message: "mysql: not found"}`)
}

// Validate implements lesson.Body.
func (c *Event) Validate(v *lesson.Validator) {
	v.Require(c.Kind != "", "kind")
	v.Require(c.Name != "", "name")
	v.Require(c.Reason != "", "reason")
	v.Require(c.Count >= 0, "count (0 or more)")
}

// Describe implements Kind.
func (c *Event) Describe() Msg {
	return M("KindEvent", "Kind", c.Kind, "Name", c.Name, "Reason", c.Reason, "Message", c.Message, "Count", max(c.Count, 1))
}

// Verbs implements Kind.
func (c *Event) Verbs() []Verb {
	return []Verb{{Resource: "events", Verb: "list"}, {Resource: "events", Verb: "watch"}}
}

// Prepare records when the step started: only later events count.
func (c *Event) Prepare(ctx context.Context, env *Env) error {
	c.start = env.now().Add(-time.Second) // events carry whole seconds
	return nil
}

// matches reports whether e is about the object, with the reason and text.
func (c *Event) matches(e *corev1.Event) bool {
	return strings.EqualFold(e.InvolvedObject.Kind, strings.Split(c.Kind, ".")[0]) && e.InvolvedObject.Name == c.Name &&
		e.Reason == c.Reason && strings.Contains(e.Message, c.Message) && eventCount(e) >= max(c.Count, 1)
}

// eventCount is how many times an event occurred (a series counts too).
func eventCount(e *corev1.Event) int32 {
	n := max(e.Count, 1)
	if e.Series != nil && e.Series.Count > n {
		n = e.Series.Count
	}
	return n
}

// Wait implements Check.
func (c *Event) Wait(ctx context.Context, env *Env, report Reporter) error {
	mm := newMismatch(env, report)
	l := typedLister(env.Cluster.Client.CoreV1().Events(env.Namespace()))
	sel := fields.OneTermEqualSelector("involvedObject.name", c.Name).String()
	baseList, baseWatch := l.list, l.watch
	l.list = func(ctx context.Context, o metav1.ListOptions) ([]runtime.Object, string, error) {
		o.FieldSelector = sel
		return baseList(ctx, o)
	}
	l.watch = func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
		o.FieldSelector = sel
		return baseWatch(ctx, o)
	}
	eval := func(s snapshot) (bool, error) {
		for _, o := range s {
			if e, ok := o.(*corev1.Event); ok && c.matches(e) && !EventLast(e).Before(c.start) {
				return true, nil
			}
		}
		mm.set(M("StateNoEvent", "Kind", c.Kind, "Name", c.Name, "Reason", c.Reason, "Message", c.Message),
			M("HintEvent", "Namespace", env.Namespace(), "Name", c.Name))
		return false, nil
	}
	err := watchUntil(ctx, l, "", eval, mm.apiError)
	return mm.failure(ctx, err)
}

// Evidence implements Check: proven by such an event that last occurred
// after since.
func (c *Event) Evidence(h *History, since time.Time) Evidence {
	for _, e := range h.EventsAbout(c.Kind, c.Name, c.Reason) {
		if c.matches(e) && EventLast(e).After(since) {
			at := latest(EventFirst(e), since)
			return proven(at, M("EvidenceEvent", "Reason", e.Reason, "What", c.Name, "At", clock(at)))
		}
	}
	return Evidence{Proof: NotYet}
}
