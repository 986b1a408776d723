package step

import (
	"regexp"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// History is what the cluster shows of one lesson namespace at one moment:
// its objects now and the events it still keeps (about an hour, the API
// server's --event-ttl), plus the nodes. Checks judge their Evidence from
// it alone, never from the API, so judging costs no requests of its own:
// the TUI's resume fills it with one LIST per kind, the workshop view from
// cluster-wide watches shared by every learner (runner/evidence).
type History struct {
	// Namespace is the lesson's namespace.
	Namespace string
	// Lesson is the lesson's ID (cordons are marked with it).
	Lesson string
	// Epoch is when the current attempt began (a reset): older events and
	// objects belong to an earlier attempt and are ignored. Zero: no reset.
	Epoch time.Time
	// Now is when the history was read.
	Now time.Time
	// Pods, PVCs and Nodes are the typed objects, by name.
	Pods  map[string]*corev1.Pod
	PVCs  map[string]*corev1.PersistentVolumeClaim
	Nodes map[string]*corev1.Node
	// Events of the namespace, oldest first.
	Events []*corev1.Event
	// Objects are the other kinds' objects (metadata only), by resource
	// and name.
	Objects map[schema.GroupResource]map[string]metav1.Object
	// Resolve maps a kind as lesson.yaml writes it ("ConfigMap",
	// "StatefulSet.apps") to its resource.
	Resolve func(kind string) (schema.GroupResource, error)
}

// Proof is how much a check's Evidence tells.
type Proof int

// Proofs, weakest first. A step counts as done when its history proves it,
// or when a later step's does; NotNow and Holds are states that a later
// step may undo by design, so they never send a learner back.
const (
	// NotYet: the history shows no sign that it happened (since the step
	// started): the step is not done.
	NotYet Proof = iota
	// NotNow: a state that does not hold now; a later step may have undone it.
	NotNow
	// Holds: a state that holds now, which alone proves nothing (no
	// object is also the state before a lesson starts).
	Holds
	// Inside: only a command inside a pod can tell (SQL, exec); the
	// workshop's deep check runs the real check.
	Inside
	// Proven: the history shows it happened, at Evidence.At.
	Proven
)

var proofNames = [...]string{"not-yet", "not-now", "holds", "inside", "proven"}

func (p Proof) String() string { return proofNames[p] }

// Evidence is a check's judgement from a History.
type Evidence struct {
	Proof Proof
	// At is when it happened (Proven), as the history tells.
	At time.Time
	// Msg says what was seen, e.g. "mysql-2 Unhealthy at 12:03:04".
	Msg Msg
}

func proven(at time.Time, msg Msg) Evidence { return Evidence{Proof: Proven, At: at, Msg: msg} }

func state(ok bool, msg Msg) Evidence {
	if ok {
		return Evidence{Proof: Holds, Msg: msg}
	}
	return Evidence{Proof: NotNow, Msg: msg}
}

// current reports whether an object's creation is part of the current
// attempt.
func (h *History) current(t metav1.Time) bool { return !t.Time.Before(h.Epoch) }

// Empty reports whether the namespace holds none of the lesson's objects.
func (h *History) Empty() bool {
	if len(h.Pods) > 0 || len(h.PVCs) > 0 {
		return false
	}
	for _, objs := range h.Objects {
		if len(objs) > 0 {
			return false
		}
	}
	return true
}

// ObjectsOf returns the objects of kind, by name (pods and claims too).
func (h *History) ObjectsOf(kind string) map[string]metav1.Object {
	out := map[string]metav1.Object{}
	switch strings.ToLower(strings.Split(kind, ".")[0]) {
	case "pod":
		for n, p := range h.Pods {
			out[n] = p
		}
		return out
	case "persistentvolumeclaim":
		for n, p := range h.PVCs {
			out[n] = p
		}
		return out
	}
	if h.Resolve == nil {
		return out
	}
	gr, err := h.Resolve(kind)
	if err != nil {
		return out
	}
	for n, o := range h.Objects[gr] {
		out[n] = o
	}
	return out
}

// EventsAbout returns the events of the current attempt about the object
// kind/name (any UID), oldest first; reason filters when not empty.
func (h *History) EventsAbout(kind, name, reason string) []*corev1.Event {
	k := strings.Split(kind, ".")[0]
	var out []*corev1.Event
	for _, e := range h.Events {
		if !strings.EqualFold(e.InvolvedObject.Kind, k) || e.InvolvedObject.Name != name {
			continue
		}
		if reason != "" && e.Reason != reason {
			continue
		}
		if EventLast(e).Before(h.Epoch) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// EventFirst is when an event (or its first occurrence) happened.
func EventFirst(e *corev1.Event) time.Time {
	switch {
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	case !e.FirstTimestamp.IsZero():
		return e.FirstTimestamp.Time
	}
	return e.CreationTimestamp.Time
}

// EventLast is when an event last occurred.
func EventLast(e *corev1.Event) time.Time {
	switch {
	case e.Series != nil && !e.Series.LastObservedTime.IsZero():
		return e.Series.LastObservedTime.Time
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	}
	return EventFirst(e)
}

// SortEvents orders events oldest first (by first occurrence).
func SortEvents(ev []*corev1.Event) {
	sort.SliceStable(ev, func(i, j int) bool { return EventFirst(ev[i]).Before(EventFirst(ev[j])) })
}

// scheduledRE reads the node out of the scheduler's Scheduled event
// ("Successfully assigned ns/pod to node"), a fixed English message.
var scheduledRE = regexp.MustCompile(`to (\S+)$`)

// incarnation is one pod object of a name: its UID, when it appeared and
// the node it was scheduled to, as the history tells.
type incarnation struct {
	uid  string
	at   time.Time
	node string
}

// incarnations lists the pod objects named name that the history knows of,
// oldest first: the current pod and every UID the events mention.
func (h *History) incarnations(name string) []incarnation {
	byUID := map[string]*incarnation{}
	var order []string
	note := func(uid string, at time.Time, node string) {
		in, ok := byUID[uid]
		if !ok {
			in = &incarnation{uid: uid, at: at}
			byUID[uid] = in
			order = append(order, uid)
		}
		if at.Before(in.at) {
			in.at = at
		}
		if node != "" {
			in.node = node
		}
	}
	for _, e := range h.EventsAbout("Pod", name, "") {
		if e.InvolvedObject.UID == "" {
			continue
		}
		node := ""
		if e.Reason == "Scheduled" {
			if m := scheduledRE.FindStringSubmatch(e.Message); m != nil {
				node = m[1]
			}
		}
		note(string(e.InvolvedObject.UID), EventFirst(e), node)
	}
	if p, ok := h.Pods[name]; ok && h.current(p.CreationTimestamp) {
		note(string(p.UID), p.CreationTimestamp.Time, p.Spec.NodeName)
	}
	out := make([]incarnation, 0, len(order))
	for _, u := range order {
		out = append(out, *byUID[u])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out
}

// latest returns the later of two times.
func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// clock formats a time of evidence for messages.
func clock(t time.Time) string { return t.Local().Format("15:04:05") }

// objectMeta is what evidence reads of an object.
type objectMeta = metav1.Object
