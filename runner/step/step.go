// Package step holds kubetutor's actions and checks: one small documented
// type per file (apply.go, drain.go, podsready.go, …). Actions change the
// cluster; checks watch it until it is in the state a lesson promises.
//
// Everything reaches the cluster through the one seam, *kube.Cluster, held
// by Env. Messages are not translated here: actions and checks speak in
// Msg values (an i18n message ID plus template data) that the UI edge
// translates, the way runner/lesson.Problem does.
package step

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubetutor/kubetutor/runner/kube"
	"github.com/kubetutor/kubetutor/runner/lesson"
)

// FieldManager is the server-side apply field manager of kubetutor.
const FieldManager = "kubetutor"

// Msg is a translatable message: an i18n message ID and its data.
type Msg struct {
	ID   string         `json:"id"`
	Args map[string]any `json:"args,omitempty"`
}

// M builds a Msg from an ID and key/value pairs.
func M(id string, kv ...any) Msg {
	m := Msg{ID: id}
	if len(kv) > 0 {
		m.Args = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			m.Args[fmt.Sprint(kv[i])] = kv[i+1]
		}
	}
	return m
}

// IsZero reports whether the message is empty.
func (m Msg) IsZero() bool { return m.ID == "" }

// String is the untranslated form, for logs and tests: "ID k=v …".
func (m Msg) String() string {
	keys := make([]string, 0, len(m.Args))
	for k := range m.Args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(m.ID)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%v", k, m.Args[k])
	}
	return b.String()
}

// Equal compares two messages by ID and the printed form of their data.
func (m Msg) Equal(o Msg) bool { return m.String() == o.String() }

// Translator turns a message into text (runner/l10n.Translator is one).
type Translator interface {
	T(id string, data map[string]any) string
}

// Text translates m with tr.
func (m Msg) Text(tr Translator) string {
	if m.IsZero() {
		return ""
	}
	return tr.T(m.ID, m.Args)
}

// Failure is why an action or a check did not succeed, in words the user can
// act on: the last concrete mismatch seen, for how long, what was noticed on
// the way (diagnoses of known failure signatures) and a hint.
type Failure struct {
	// Msg is the mismatch or error, e.g. CheckPodNotReady pod=mysql-2.
	Msg Msg
	// Hint says what to do next; may be empty.
	Hint Msg
	// Diagnoses are known failure signatures recognised while waiting.
	Diagnoses []Msg
	// TimedOut is set when the check's timeout expired.
	TimedOut bool
	// After is the timeout that expired.
	After time.Duration
	// For is how long Msg had been the state of things when the check gave up.
	For time.Duration
	// Err is the underlying error, if any.
	Err error
}

func (f *Failure) Error() string {
	var b strings.Builder
	if f.TimedOut {
		fmt.Fprintf(&b, "timed out after %s: ", f.After)
	}
	b.WriteString(f.Msg.String())
	if f.For > 0 {
		fmt.Fprintf(&b, " (for %s)", f.For.Round(time.Second))
	}
	if !f.Hint.IsZero() {
		b.WriteString("; hint: " + f.Hint.String())
	}
	for _, d := range f.Diagnoses {
		b.WriteString("; " + d.String())
	}
	if f.Err != nil && !f.TimedOut {
		b.WriteString(": " + f.Err.Error())
	}
	return b.String()
}

func (f *Failure) Unwrap() error { return f.Err }

// AsFailure returns err as a *Failure, wrapping a plain error in
// StepError with the error's text.
func AsFailure(err error) *Failure {
	var f *Failure
	if errors.As(err, &f) {
		return f
	}
	if errors.Is(err, context.Canceled) {
		return &Failure{Msg: M("StepCanceled"), Err: err}
	}
	return &Failure{Msg: M("StepError", "Error", err.Error()), Err: err}
}

func fail(err error, msg Msg, hint Msg) *Failure { return &Failure{Msg: msg, Hint: hint, Err: err} }

// Outcome is what an action did, to show the learner.
type Outcome struct {
	// Msg summarises the action ("applied 3 objects", "evicted 1 pod").
	Msg Msg
	// Output is raw output (SQL results, a command's stdout), untranslated.
	Output string
}

// Reporter receives progress while an action runs or a check waits: the
// latest mismatch, a recognised failure signature, a drained pod.
type Reporter func(Msg)

// Preparer is implemented by checks that compare with the state before the
// step's action (same UID, node changed, restarts unchanged, events since),
// and by actions that remember which object they are about before a
// learner may act by hand (drain: the node mysql-2 is on). The engine
// calls Prepare when it arms the step — as soon as the step is current in
// the TUI, just before the action in `run --auto` — before anyone acts.
type Preparer interface {
	Prepare(ctx context.Context, env *Env) error
}

// Env is what actions and checks share during one run of a lesson.
type Env struct {
	// Cluster is the seam to the cluster.
	Cluster *kube.Cluster
	// Lesson is the lesson's ID (cordon marks name it).
	Lesson string
	// Manifests holds the files apply reads (manifests.FS or --manifests-dir).
	Manifests fs.FS
	// Spec is the lesson's lesson.yaml (images, selector).
	Spec lesson.Spec
	// Images are --image NAME=REF overrides of Spec.Images.
	Images map[string]string
	// State records what the run did that must be undone.
	State *State
	// Now returns the current time (tests may fix it).
	Now func() time.Time
	// Observe is set when the run only watches (`run --watch`): nothing is
	// written to the cluster, so a cordon made by hand is remembered in
	// State (the uncordon step waits for it) but not marked.
	Observe bool
	// ManifestCache is where copies of the manifests that hand-typed
	// commands apply are kept (see ManifestCopy); "" is the user's cache
	// directory.
	ManifestCache string
}

// NewEnv returns an Env for lesson id with a fresh State.
func NewEnv(c *kube.Cluster, manifests fs.FS, id string, spec lesson.Spec, images map[string]string) *Env {
	return &Env{Cluster: c, Lesson: id, Manifests: manifests, Spec: spec, Images: images, State: &State{}, Now: time.Now}
}

// Namespace is the lesson's namespace.
func (e *Env) Namespace() string { return e.Cluster.Namespace }

func (e *Env) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

// ImageRef returns the image reference the run uses for image name
// (the override if any, else lesson.yaml's).
func (e *Env) ImageRef(name string) string {
	if r, ok := e.Images[name]; ok && r != "" {
		return r
	}
	return e.Spec.Images[name]
}

// ImageRefs returns the references of every image the lesson uses, with
// overrides applied, sorted by name.
func (e *Env) ImageRefs() map[string]string {
	out := map[string]string{}
	for name := range e.Spec.Images {
		out[name] = e.ImageRef(name)
	}
	return out
}

// State records what a run did that must be undone whatever happens: the
// nodes it cordoned. It is safe for concurrent use.
type State struct {
	mu       sync.Mutex
	cordoned []string // currently cordoned by us, in order
	ever     []string // every node we cordoned during the run
}

// Cordoned records that the run is about to cordon node. Call it before the
// cordon, so an interruption in between still uncordons.
func (s *State) Cordoned(node string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !contains(s.cordoned, node) {
		s.cordoned = append(s.cordoned, node)
	}
	if !contains(s.ever, node) {
		s.ever = append(s.ever, node)
	}
}

// Uncordoned records that node is schedulable again.
func (s *State) Uncordoned(node string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.cordoned[:0]
	for _, n := range s.cordoned {
		if n != node {
			out = append(out, n)
		}
	}
	s.cordoned = out
}

// CordonedNodes are the nodes the run cordoned and has not uncordoned.
func (s *State) CordonedNodes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.cordoned...)
}

// cordonedEver reports whether the run cordoned node at some point.
func (s *State) cordonedEver(node string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return contains(s.ever, node)
}

// EverCordoned are all nodes the run cordoned.
func (s *State) EverCordoned() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ever...)
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func sortStrings(ss []string) { sort.Strings(ss) }

func asErr[T error](err error, target *T) bool { return errors.As(err, target) }

// writeFailed is the Failure of a write the API server did not do; msg says
// what was being done, with the API's own words. A refusal by the cluster's
// own rules (see refusal) adds a diagnosis saying what happened, and its
// hint replaces the general one.
func writeFailed(env *Env, err error, msg Msg) *Failure {
	f := fail(err, msg, applyHint(err))
	if diag, hint, ok := refusal(err, env.Namespace()); ok {
		f.Diagnoses, f.Hint = append(f.Diagnoses, diag), hint
	}
	return f
}

var (
	// ResourceQuota admission: "exceeded quota: NAME, requested: …" or
	// "failed quota: NAME: must specify …".
	quotaRE = regexp.MustCompile(`(?s)(?:exceeded|failed) quota: ([^,:\s]+)[,:]\s*(.*)`)
	// LimitRanger admission: "maximum memory usage per Container is …",
	// "cpu max limit to request ratio per Pod is …".
	limitRangeRE = regexp.MustCompile(`(?:maximum|minimum) \S+ usage per \S+ is |max limit to request ratio per `)
	// Pod Security admission: `violates PodSecurity "restricted:latest": …`.
	podSecurityRE = regexp.MustCompile(`(?s)violates PodSecurity "([^"]+)": (.*)`)
	// An admission webhook's denial (any status code) and a
	// ValidatingAdmissionPolicy's.
	webhookRE = regexp.MustCompile(`(?s)admission webhook "([^"]+)" denied the request(?:: (.*))?`)
	policyRE  = regexp.MustCompile(`(?s)ValidatingAdmissionPolicy '([^']+)'(?: with binding '[^']+')? denied request(?:: (.*))?`)
)

// refusal recognises a write the cluster refused by its own rules rather
// than for lack of a permission: the namespace is being deleted, a
// ResourceQuota or LimitRange does not allow it, Pod Security forbids the
// pod, or an admission webhook or policy denied it. The API reports most of
// them as Forbidden, which alone would read as "your user lacks a
// permission". It returns what happened and what to do about it.
func refusal(err error, namespace string) (diag, hint Msg, ok bool) {
	var st apierrors.APIStatus
	if !errors.As(err, &st) {
		return Msg{}, Msg{}, false
	}
	text := st.Status().Message
	switch {
	case apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) ||
		apierrors.IsForbidden(err) && strings.Contains(text, "because it is being terminated"):
		return M("DiagNamespaceTerminating", "Namespace", namespace), M("HintNamespaceTerminating", "Namespace", namespace), true
	case webhookRE.MatchString(text):
		m := webhookRE.FindStringSubmatch(text)
		return M("DiagWebhookDenied", "Name", m[1], "Detail", oneLine(m[2])), M("HintAdmissionDenied", "Name", m[1]), true
	case policyRE.MatchString(text):
		m := policyRE.FindStringSubmatch(text)
		return M("DiagPolicyDenied", "Name", m[1], "Detail", oneLine(m[2])), M("HintAdmissionDenied", "Name", m[1]), true
	case !apierrors.IsForbidden(err):
		return Msg{}, Msg{}, false
	case quotaRE.MatchString(text):
		m := quotaRE.FindStringSubmatch(text)
		return M("DiagQuota", "Quota", m[1], "Namespace", namespace, "Detail", oneLine(m[2])), M("HintQuota", "Quota", m[1], "Namespace", namespace), true
	case limitRangeRE.MatchString(text):
		_, detail, _ := strings.Cut(text, "is forbidden: ")
		return M("DiagLimitRange", "Namespace", namespace, "Detail", oneLine(detail)), M("HintLimitRange", "Namespace", namespace), true
	case podSecurityRE.MatchString(text):
		m := podSecurityRE.FindStringSubmatch(text)
		return M("DiagPodSecurity", "Level", m[1], "Namespace", namespace, "Detail", oneLine(m[2])), M("HintPodSecurity", "Namespace", namespace), true
	}
	return Msg{}, Msg{}, false
}

// applyHint says what to do about an API error of a write.
func applyHint(err error) Msg {
	switch {
	case apierrors.IsForbidden(err):
		return M("HintForbidden")
	case apierrors.IsConflict(err):
		return M("HintConflict")
	case apierrors.IsInvalid(err):
		return M("HintInvalid")
	case apierrors.IsNotFound(err):
		return M("HintNamespace")
	}
	return M("HintAPI")
}
