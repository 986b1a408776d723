package step

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"time"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// Kind is what every action and check kind declares, all in its own file:
//
//   - its fields: the kind's struct, with yaml tags and a doc comment on
//     every field (the reference lesson authors read);
//   - Validate: the required fields and values, reported by `kubetutor
//     lint` at the line of the action or check;
//   - Describe: one translatable description (an i18n ID Kind<Name> in
//     i18n/kinds.<lang>.toml), used in the step's plan before it runs, while
//     it runs and in reports;
//   - Verbs: the permissions it needs (preflight; a workshop learner's Role);
//   - its behaviour: Run and Commands (the same by hand, with kubectl) for
//     an action; Wait and Evidence for a check;
//   - its registration: RegisterAction or RegisterCheck in an init function
//     of the file, with an example of its fields that the kinds test
//     validates, describes and translates in every language.
type Kind interface {
	lesson.Body
	// Describe says what the kind does or expects, e.g. "drain the node of
	// mysql-2" or "mysql-0, mysql-1 Ready, in this order".
	Describe() Msg
	// Verbs lists the permissions the kind needs in the lesson's namespace
	// (or cluster-wide, Verb.Cluster).
	Verbs() []Verb
}

// Action is one thing a step does to the cluster.
type Action interface {
	Kind
	// Run does it. Errors are *Failure values with a hint where possible.
	Run(ctx context.Context, env *Env, report Reporter) (Outcome, error)
	// Commands are the kubectl command lines that do by hand what Run
	// does, in env's namespace and context. They may read the cluster
	// (drain names the node it will drain).
	Commands(ctx context.Context, env *Env) (ByHand, error)
}

// Check is a condition a step waits for.
type Check interface {
	Kind
	// Wait blocks until the condition holds (nil) or ctx ends. On timeout it
	// returns a *Failure naming the last concrete mismatch it saw.
	Wait(ctx context.Context, env *Env, report Reporter) error
	// Evidence judges, from what the cluster shows now and keeps of its
	// history, whether the condition held at some point after since (when
	// the step started, as far as the history tells) — even if a later step
	// undid it. It never calls the API: h holds what it may read.
	Evidence(h *History, since time.Time) Evidence
}

// Verb is one permission an action or check needs, for preflight's
// SelfSubjectAccessReviews and the roles of workshop learners.
type Verb struct {
	// Group and Resource name the resource ("" and "pods"); or Kind names
	// it as lesson.yaml does ("ConfigMap", "StatefulSet.apps") and the
	// caller resolves it with the cluster's RESTMapper.
	Group, Resource, Kind string
	// Subresource is e.g. "exec" or "eviction".
	Subresource string
	// Verb is get, list, watch, create, patch, update or delete.
	Verb string
	// Cluster is true for cluster-scoped resources (nodes).
	Cluster bool
}

// entry is one registered kind.
type entry struct {
	name    string
	example string
	new     func() lesson.Body
	action  func(lesson.Body) Action
	check   func(lesson.Body) Check
}

// registry holds the kinds. It is written only by the init functions of
// the kinds' files (RegisterAction, RegisterCheck) and read-only after.
type registry struct {
	actions, checks map[string]entry
}

var kinds = registry{actions: map[string]entry{}, checks: map[string]entry{}}

// RegisterAction registers action kind name, written in lesson.yaml as
// "name: {…}" and decoded into a new T. example is the kind's fields in
// YAML, e.g. `{name: mysql-2}`; the kinds test checks it. Call it from an
// init function of the kind's file.
func RegisterAction[T any, P interface {
	*T
	Action
}](name, example string) {
	if _, dup := kinds.actions[name]; dup {
		panic("step: action kind " + name + " registered twice")
	}
	kinds.actions[name] = entry{name: name, example: example,
		new:    func() lesson.Body { return P(new(T)) },
		action: func(b lesson.Body) Action { c := *b.(P); return P(&c) },
	}
}

// RegisterCheck registers check kind name, as RegisterAction does for
// actions. Each run gets its own copy of the check (Prepare may record
// state in it).
func RegisterCheck[T any, P interface {
	*T
	Check
}](name, example string) {
	if _, dup := kinds.checks[name]; dup {
		panic("step: check kind " + name + " registered twice")
	}
	kinds.checks[name] = entry{name: name, example: example,
		new:   func() lesson.Body { return P(new(T)) },
		check: func(b lesson.Body) Check { c := *b.(P); return P(&c) },
	}
}

// Kinds are the registered kinds, for lesson.Load and lesson.ParseSpec.
func Kinds() lesson.Kinds { return kinds }

func (r registry) NewAction(kind string) (lesson.Body, bool) {
	e, ok := r.actions[kind]
	if !ok {
		return nil, false
	}
	return e.new(), true
}

func (r registry) NewCheck(kind string) (lesson.Body, bool) {
	e, ok := r.checks[kind]
	if !ok {
		return nil, false
	}
	return e.new(), true
}

func (r registry) ActionKinds() []string { return sortedNames(r.actions) }

func (r registry) CheckKinds() []string { return sortedNames(r.checks) }

func sortedNames(m map[string]entry) []string {
	out := make([]string, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Example returns the example fields a kind registered, for tests and
// documentation.
func Example(kind string, check bool) (string, bool) {
	m := kinds.actions
	if check {
		m = kinds.checks
	}
	e, ok := m[kind]
	return e.example, ok
}

// NewAction returns a fresh action for a lesson step's action.
func NewAction(a lesson.Action) (Action, error) {
	e, ok := kinds.actions[a.Kind]
	if !ok || a.Body == nil {
		return nil, fmt.Errorf("step has no valid action (run `kubetutor lint`)")
	}
	return e.action(a.Body), nil
}

// NewCheck returns a fresh check for a lesson check.
func NewCheck(c lesson.Check) (Check, error) {
	e, ok := kinds.checks[c.Kind]
	if !ok || c.Body == nil {
		return nil, fmt.Errorf("check has no valid kind (run `kubetutor lint`)")
	}
	return e.check(c.Body), nil
}

// Describe is the description of a lesson check, or CheckInvalid.
func Describe(c lesson.Check) Msg {
	chk, err := NewCheck(c)
	if err != nil {
		return M("CheckInvalid")
	}
	return chk.Describe()
}

// DescribeAction is the description of a lesson step's action, or
// CheckInvalid.
func DescribeAction(a lesson.Action) Msg {
	act, err := NewAction(a)
	if err != nil {
		return M("CheckInvalid")
	}
	return act.Describe()
}

// StepVerbs lists, without duplicates, the permissions step s needs in
// env's cluster: its action's and checks' (evidence included), create and
// patch on the kinds of the manifests an apply reads, and kinds named as
// lesson.yaml writes them resolved to resources with the RESTMapper.
func StepVerbs(env *Env, s lesson.Step) []Verb {
	var vs []Verb
	if a, err := NewAction(s.Action); err == nil {
		vs = append(vs, a.Verbs()...)
		if m, ok := a.(lesson.ManifestUser); ok {
			for _, f := range m.ManifestFiles() {
				objs, err := ReadManifest(env.Manifests, f)
				if err != nil {
					continue
				}
				for _, o := range objs {
					gvk := o.GroupVersionKind()
					m, err := env.Cluster.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
					if err != nil {
						continue
					}
					cluster := m.Scope.Name() != "namespace"
					vs = append(vs, Verb{Group: m.Resource.Group, Resource: m.Resource.Resource, Verb: "create", Cluster: cluster},
						Verb{Group: m.Resource.Group, Resource: m.Resource.Resource, Verb: "patch", Cluster: cluster})
				}
			}
		}
	}
	for _, c := range append(append([]lesson.Check(nil), s.Checks...), s.Evidence...) {
		if chk, err := NewCheck(c); err == nil {
			vs = append(vs, chk.Verbs()...)
		}
	}
	seen := map[Verb]bool{}
	var out []Verb
	for _, v := range vs {
		if v.Kind != "" {
			gvr, namespaced, err := env.resolve(v.Kind)
			if err != nil {
				continue
			}
			v = Verb{Group: gvr.Group, Resource: gvr.Resource, Subresource: v.Subresource, Verb: v.Verb, Cluster: !namespaced}
		}
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// String is the verb as kubectl auth can-i writes it: "patch nodes",
// "create pods/exec", "list endpointslices.discovery.k8s.io".
func (v Verb) String() string {
	r := v.Resource
	if v.Subresource != "" {
		r += "/" + v.Subresource
	}
	if v.Group != "" {
		r += "." + v.Group
	}
	return v.Verb + " " + r
}

// PodTarget is implemented by kinds that act on or wait for named pods;
// the TUI's events and logs pane follows the first that is not Ready.
type PodTarget interface {
	TargetPods() (pods []string, container string)
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// ActionOf wraps an action (e.g. &step.Apply{…}) as a lesson step's
// action, for lessons built in Go (tests).
func ActionOf(a Action) lesson.Action {
	return lesson.Action{Kind: kindName(kinds.actions, a), Body: a}
}

// CheckOf wraps a check (e.g. &step.Exists{…}) as a lesson check, for
// lessons built in Go (tests).
func CheckOf(c Check) lesson.Check {
	return lesson.Check{Kind: kindName(kinds.checks, c), Body: c}
}

func kindName(m map[string]entry, b lesson.Body) string {
	for name, e := range m {
		if reflect.TypeOf(e.new()) == reflect.TypeOf(b) {
			return name
		}
	}
	return ""
}
