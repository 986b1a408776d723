// Package lesson defines the lesson format (lesson.yaml plus one markdown file
// per language), loads lessons from an fs.FS and lints them.
//
// A lesson lives in one folder, lessons/<id>/:
//
//	lesson.yaml  steps, their actions, checks and timeouts, language-neutral
//	en.md        the English prose, sections and step headings
//	ja.md        the Japanese prose, same sections and steps in the same order
//
// The package is pure: it never touches a cluster. Everything here is data
// that lesson authors write; each field's doc comment is the reference. The
// action and check kinds are not declared here: each lives in its own file
// of runner/step (fields, validation, description, permissions, behaviour)
// and reaches the loader through the Kinds interface.
package lesson

import (
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// DefaultTimeout is how long a check waits when neither the lesson, the step
// nor the check sets a timeout.
const DefaultTimeout = 2 * time.Minute

// Spec is the content of lesson.yaml.
type Spec struct {
	// Order sorts lessons in `kubetutor list` (ascending; ties by id).
	Order int `yaml:"order"`
	// Source is the URL of the document the lesson follows.
	Source string `yaml:"source"`
	// Timeout is the default timeout of every check in the lesson
	// (overrides DefaultTimeout; overridden by a step's or a check's timeout).
	Timeout Duration `yaml:"timeout"`
	// Selector is the label selector of everything the lesson creates,
	// e.g. "app=mysql". Cleanup deletes what it selects; the pods pane shows
	// the pods it selects.
	Selector string `yaml:"selector"`
	// Images maps a short name to the image reference the manifests use,
	// e.g. mariadb: kubetutor.local/mariadb:10.11. Every container image of
	// the manifests must be listed here; `--image NAME=REF` makes the apply
	// action run REF wherever the manifests say the listed reference.
	Images map[string]string `yaml:"images"`
	// Requires states what the whole lesson needs from the cluster.
	Requires Requirements `yaml:"requires"`
	// Steps run in this order; each one unlocks the next when its checks pass.
	Steps []Step `yaml:"steps"`
}

// Requirements are preconditions checked before a lesson or a step runs.
// A step whose requirements are not met is "unavailable", not failed.
type Requirements struct {
	// Nodes is the minimum number of schedulable nodes (e.g. 2 for drain).
	Nodes int `yaml:"nodes"`
	// StorageClass requires a default StorageClass when true.
	StorageClass bool `yaml:"storageClass"`
}

// Step is one unit of a lesson: an action on the cluster, then the checks
// that must pass before the next step unlocks.
type Step struct {
	// ID is stable and unique within the lesson (lower-case letters, digits
	// and dashes). The markdown files refer to it in `<!-- step: ID -->`.
	ID string `yaml:"id"`
	// Timeout is the default timeout of this step's checks.
	Timeout Duration `yaml:"timeout"`
	// Requires states what this step needs from the cluster.
	Requires Requirements `yaml:"requires"`
	// Action is what the step does on the cluster (exactly one kind).
	Action Action `yaml:"action"`
	// Checks must all pass, in order, for the step to be done.
	Checks []Check `yaml:"checks"`
	// Evidence are checks that are never waited for: they only tell, from
	// the cluster's history, that the step was done (for resume and the
	// workshop view) where the step's own checks cannot — e.g. an event
	// that only this step causes.
	Evidence []Check `yaml:"evidence"`
	// Variants replace Checks and Evidence on clusters where the step
	// behaves differently, e.g. a drain where volumes are pinned to their
	// node. The first variant whose When matches what preflight found is
	// used; when none matches (or preflight could not tell), Checks and
	// Evidence are.
	Variants []Variant `yaml:"variants"`

	// Line is the line of the step in lesson.yaml (set by the loader).
	Line int `yaml:"-"`
}

// Variant is a step's checks and evidence on the clusters When names.
type Variant struct {
	// When names the clusters this variant is for.
	When When `yaml:"when"`
	// Checks replace the step's checks there (at least one).
	Checks []Check `yaml:"checks"`
	// Evidence replaces the step's evidence there.
	Evidence []Check `yaml:"evidence"`

	// Line is the line of the variant in lesson.yaml (set by the loader).
	Line int `yaml:"-"`
}

// Storage kinds a When can name.
const (
	// StorageNodeLocal: each volume lives on one node and pins its claim's
	// pods to that node (kind's and minikube's local-path provisioners,
	// local PersistentVolumes, the offline lab's --storage node-local). A
	// pod whose node is drained stays Pending until the node is
	// uncordoned.
	StorageNodeLocal = "node-local"
	// StorageShared: a volume can be attached wherever its pod is
	// scheduled (network storage, the offline lab's default host paths),
	// so the pod and its data move to another node together.
	StorageShared = "shared"
)

// When is a condition on the cluster a lesson runs on, as preflight finds
// it. Every field set must match.
type When struct {
	// Storage is node-local or shared: how the default StorageClass's
	// volumes relate to nodes.
	Storage string `yaml:"storage"`
}

// IsZero reports whether w names no condition.
func (w When) IsZero() bool { return w == When{} }

// Matches reports whether every condition of w holds on a cluster with
// traits t (an unknown trait matches nothing).
func (w When) Matches(t Traits) bool {
	return !w.IsZero() && (w.Storage == "" || w.Storage == t.Storage)
}

// Traits are what preflight found about a cluster that a variant's When
// can name. Empty fields are unknown.
type Traits struct {
	// Storage is StorageNodeLocal, StorageShared or "" (unknown: no
	// default StorageClass, or not allowed to read it).
	Storage string
}

// For returns s as it runs on a cluster with traits t: the checks and
// evidence of its first matching variant, or its own.
func (s Step) For(t Traits) Step {
	for _, v := range s.Variants {
		if v.When.Matches(t) {
			s.Checks, s.Evidence = v.Checks, v.Evidence
			break
		}
	}
	s.Variants = nil
	return s
}

// AllChecks are the step's checks and evidence and those of every variant:
// everything the step may run on some cluster (for permissions, and for
// the kinds of objects to read).
func (s Step) AllChecks() []Check {
	out := append(append([]Check(nil), s.Checks...), s.Evidence...)
	for _, v := range s.Variants {
		out = append(append(out, v.Checks...), v.Evidence...)
	}
	return out
}

// For returns the lesson as it runs on a cluster with traits t: every step
// with its matching variant's checks (see Step.For).
func (l Spec) For(t Traits) Spec {
	steps := make([]Step, len(l.Steps))
	for i, s := range l.Steps {
		steps[i] = s.For(t)
	}
	l.Steps = steps
	return l
}

// Action is a step's action: exactly one kind, written as a key of the
// "action:" mapping (apply, exec, drain, …). The kinds, their fields and
// what they do are declared by runner/step, one file per kind; the README's
// table lists them.
type Action struct {
	// Kind is the kind's name as written ("apply"), or "" when none is set.
	Kind string
	// Body is the kind's decoded fields (e.g. *step.Apply).
	Body Body
	// Line is the line of the action in lesson.yaml (set by the loader).
	Line int

	more []string // further kinds set by mistake (a lint problem)
	node *yaml.Node
}

// Check is one condition a step waits for: exactly one kind (podsReady,
// exists, execOutput, …), plus the optional Name and Timeout.
type Check struct {
	// Name is shown in reports instead of the kind's own translated
	// description. It is not translated: leave it empty in lessons meant
	// for several languages.
	Name string
	// Timeout overrides the step's timeout for this check.
	Timeout Duration
	// Kind is the kind's name as written ("podsReady"), or "" when none is set.
	Kind string
	// Body is the kind's decoded fields (e.g. *step.PodsReady).
	Body Body
	// Line is the line of the check in lesson.yaml (set by the loader).
	Line int

	more []string
	node *yaml.Node
}

// UnmarshalYAML keeps the node: ParseSpec decodes it with the kinds it is
// given.
func (a *Action) UnmarshalYAML(n *yaml.Node) error { a.node, a.Line = n, n.Line; return nil }

// UnmarshalYAML keeps the node: ParseSpec decodes it with the kinds it is
// given.
func (c *Check) UnmarshalYAML(n *yaml.Node) error { c.node, c.Line = n, n.Line; return nil }

// Body is the decoded fields of one action or check kind. The kind checks
// its own fields; the linter reports what it finds at the line of the
// action or check.
type Body interface {
	Validate(v *Validator)
}

// Kinds are the action and check kinds lesson.yaml may use. runner/step
// provides them (step.Kinds); tests may pass their own.
type Kinds interface {
	// NewAction returns an empty body of an action kind, false if unknown.
	NewAction(kind string) (Body, bool)
	// NewCheck returns an empty body of a check kind, false if unknown.
	NewCheck(kind string) (Body, bool)
	// ActionKinds and CheckKinds list the kinds' names, sorted.
	ActionKinds() []string
	CheckKinds() []string
}

// ManifestUser is implemented by bodies that apply manifest files: the
// linter checks that the files exist and that their images are declared.
type ManifestUser interface {
	ManifestFiles() []string
}

// Validator collects the problems a kind finds in its own fields.
type Validator struct {
	kind  string
	probs []Problem
}

// Require reports the missing field(s) named by fields (e.g. "pod" or
// "names|selector", prefixed with the kind) unless ok.
func (v *Validator) Require(ok bool, fields string) {
	if ok {
		return
	}
	var full []string
	for _, f := range strings.Split(fields, "|") {
		full = append(full, v.kind+"."+f)
	}
	v.probs = append(v.probs, Problem{ID: "LintRequired", Args: map[string]any{"Field": strings.Join(full, "|")}})
}

// Problem reports a problem with a message ID of the lint catalogue.
func (v *Validator) Problem(id string, args map[string]any) {
	v.probs = append(v.probs, Problem{ID: id, Args: args})
}

// Validate runs b's own validation as kind and returns its problems,
// located at file:line.
func Validate(b Body, kind, file string, line int) []Problem {
	v := &Validator{kind: kind}
	b.Validate(v)
	for i := range v.probs {
		v.probs[i].File, v.probs[i].Line = file, line
	}
	return v.probs
}

// Duration is a time.Duration written as "90s", "2m" in YAML.
type Duration time.Duration

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q (write e.g. 90s or 2m)", string(b))
	}
	if v < 0 {
		return fmt.Errorf("negative duration %q", string(b))
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes the duration in Go syntax.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// CheckTimeout returns the effective timeout of check c in step s,
// cascading DefaultTimeout → lesson → step → check.
func (l Spec) CheckTimeout(s Step, c Check) time.Duration {
	t := DefaultTimeout
	for _, d := range []Duration{l.Timeout, s.Timeout, c.Timeout} {
		if d > 0 {
			t = time.Duration(d)
		}
	}
	return t
}
