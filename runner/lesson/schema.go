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
// that lesson authors write; each field's doc comment is the reference.
package lesson

import (
	"fmt"
	"time"
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

	// Line is the line of the step in lesson.yaml (set by the loader).
	Line int `yaml:"-"`
}

// Action is a one-of: exactly one field is set.
type Action struct {
	// Apply server-side applies manifest files into the lesson's namespace.
	Apply *Apply `yaml:"apply"`
	// Wait does nothing; the step only waits for its checks.
	Wait *Wait `yaml:"wait"`
	// Exec runs a command in a container of a pod.
	Exec *Exec `yaml:"exec"`
	// DeletePod deletes a pod (its controller re-creates it).
	DeletePod *DeletePod `yaml:"deletePod"`
	// Cordon marks the node of a pod unschedulable.
	Cordon *NodeOp `yaml:"cordon"`
	// Drain cordons the node of a pod and evicts its pods (respecting PDBs,
	// ignoring DaemonSets, deleting emptyDir data).
	Drain *NodeOp `yaml:"drain"`
	// Uncordon marks a node schedulable again; with no pod and no node, it
	// uncordons every node the lesson cordoned.
	Uncordon *NodeOp `yaml:"uncordon"`
	// Scale sets the replicas of a StatefulSet.
	Scale *Scale `yaml:"scale"`
	// SQL runs statements against a pod or through a service.
	SQL *SQL `yaml:"sql"`
	// DeletePVCs deletes PersistentVolumeClaims.
	DeletePVCs *DeletePVCs `yaml:"deletePVCs"`
	// Cleanup deletes everything the lesson's selector matches and
	// uncordons every node the lesson cordoned.
	Cleanup *Cleanup `yaml:"cleanup"`
}

// Apply applies manifests.
type Apply struct {
	// Files are paths inside the manifests folder, e.g. "mysql/statefulset.yaml".
	Files []string `yaml:"files"`
}

// Wait is the empty action of a step that only observes the cluster.
type Wait struct{}

// Exec runs a command in a container.
type Exec struct {
	// Pod is the pod's name.
	Pod string `yaml:"pod"`
	// Container defaults to the pod's first container.
	Container string `yaml:"container"`
	// Command is the argv to run (no shell unless you call one).
	Command []string `yaml:"command"`
}

// DeletePod deletes one pod.
type DeletePod struct {
	// Name is the pod's name.
	Name string `yaml:"name"`
}

// NodeOp names a node directly or through the pod that runs on it.
type NodeOp struct {
	// Pod selects the node that runs this pod when the action starts.
	Pod string `yaml:"pod"`
	// Node names the node directly.
	Node string `yaml:"node"`
}

// Scale changes a StatefulSet's replicas.
type Scale struct {
	// StatefulSet is the name of the StatefulSet.
	StatefulSet string `yaml:"statefulSet"`
	// Replicas is the new number of replicas.
	Replicas int `yaml:"replicas"`
}

// SQLTarget says where a SQL statement goes: to one pod, or through a
// service (one of its ready endpoints, picked per connection).
type SQLTarget struct {
	// Pod sends the statement to this pod (port 3306).
	Pod string `yaml:"pod"`
	// Service sends the statement to one ready endpoint of this service.
	Service string `yaml:"service"`
	// User defaults to root (empty password).
	User string `yaml:"user"`
}

// SQL runs statements.
type SQL struct {
	SQLTarget `yaml:",inline"`
	// Statements run in order on one connection.
	Statements []string `yaml:"statements"`
}

// DeletePVCs deletes claims by name or selector.
type DeletePVCs struct {
	// Names of the claims.
	Names []string `yaml:"names"`
	// Selector is a label selector of the claims.
	Selector string `yaml:"selector"`
}

// Cleanup is the action that removes what the lesson created.
type Cleanup struct{}

// Check is a one-of: exactly one kind field is set, plus optional Name and
// Timeout.
type Check struct {
	// Name is shown in reports instead of the generated, translated
	// description of the check. It is not translated: leave it empty in
	// lessons meant for several languages.
	Name string `yaml:"name"`
	// Timeout overrides the step's timeout for this check.
	Timeout Duration `yaml:"timeout"`

	// PodsReady waits until pods are Ready.
	PodsReady *PodsReady `yaml:"podsReady"`
	// PodCondition waits until a pod condition or a container's readiness
	// has a given status.
	PodCondition *PodCondition `yaml:"podCondition"`
	// Exists waits until an object exists.
	Exists *ObjectRef `yaml:"exists"`
	// Absent waits until objects no longer exist.
	Absent *ObjectRef `yaml:"absent"`
	// NodeChanged waits until a pod runs on another node than before the
	// step's action.
	NodeChanged *PodRef `yaml:"nodeChanged"`
	// PVCs waits until claims are in a phase and/or their count matches.
	PVCs *PVCs `yaml:"pvcs"`
	// SameUID checks that an object has the same UID as before the action.
	SameUID *ObjectRef `yaml:"sameUID"`
	// SQLContains waits until a query's result contains a value.
	SQLContains *SQLContains `yaml:"sqlContains"`
	// ValuesSeen reads a query repeatedly over a window and compares the
	// set of values seen (e.g. @@server_id through a read service).
	ValuesSeen *ValuesSeen `yaml:"valuesSeen"`
	// RestartsUnchanged checks that a container did not restart since
	// before the action.
	RestartsUnchanged *PodRef `yaml:"restartsUnchanged"`
	// Uncordoned waits until no node the lesson cordoned is unschedulable.
	Uncordoned *Uncordoned `yaml:"uncordoned"`

	// Line is the line of the check in lesson.yaml (set by the loader).
	Line int `yaml:"-"`
}

// PodsReady expects pods to be Ready.
type PodsReady struct {
	// Names of the pods; or use Selector (with Count).
	Names []string `yaml:"names"`
	// Selector is a label selector of the pods.
	Selector string `yaml:"selector"`
	// Count is how many selected pods must be Ready (0: all of Names).
	Count int `yaml:"count"`
	// InOrder requires Names to become Ready in the listed order.
	InOrder bool `yaml:"inOrder"`
}

// PodCondition expects a pod condition or a container's readiness.
type PodCondition struct {
	// Pod is the pod's name.
	Pod string `yaml:"pod"`
	// Container, when set, checks that container's ready flag instead of a
	// pod condition.
	Container string `yaml:"container"`
	// Type is the pod condition type (default Ready).
	Type string `yaml:"type"`
	// Status is "True" or "False".
	Status string `yaml:"status"`
}

// ObjectRef names objects of one kind.
type ObjectRef struct {
	// Kind is the object's kind, e.g. Pod, Service, PersistentVolumeClaim.
	Kind string `yaml:"kind"`
	// Name of one object; or Selector.
	Name string `yaml:"name"`
	// Selector is a label selector.
	Selector string `yaml:"selector"`
}

// PodRef names a pod and optionally a container.
type PodRef struct {
	// Pod is the pod's name.
	Pod string `yaml:"pod"`
	// Container is the container's name (where it matters).
	Container string `yaml:"container"`
}

// PVCs expects claims.
type PVCs struct {
	// Names of the claims; or Selector.
	Names []string `yaml:"names"`
	// Selector is a label selector of the claims.
	Selector string `yaml:"selector"`
	// Count is the exact number of selected claims expected (-1 or unset: any).
	Count *int `yaml:"count"`
	// Phase all claims must have, e.g. Bound.
	Phase string `yaml:"phase"`
}

// SQLContains expects a query's result to contain a value.
type SQLContains struct {
	SQLTarget `yaml:",inline"`
	// Query is one statement that returns rows (SELECT, SHOW …).
	Query string `yaml:"query"`
	// Contains is a value that one cell of the result must equal (exactly,
	// as text).
	Contains string `yaml:"contains"`
}

// ValuesSeen reads a single-value query repeatedly.
type ValuesSeen struct {
	SQLTarget `yaml:",inline"`
	// Query returns one value, e.g. "SELECT @@server_id".
	Query string `yaml:"query"`
	// Window is how long one round of reads lasts (default 10s).
	Window Duration `yaml:"window"`
	// Include are values that must all be seen within one window.
	Include []string `yaml:"include"`
	// Exclude are values that must not be seen within one window.
	Exclude []string `yaml:"exclude"`
}

// Uncordoned expects the lesson's cordoned nodes to be schedulable again.
type Uncordoned struct{}

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

// Kind returns the YAML name of the action's kind ("apply", "exec", …), or
// "" when none is set. With several set, it returns the first.
func (a Action) Kind() string {
	k := setFields(a)
	if len(k) == 0 {
		return ""
	}
	return k[0]
}

// Kind returns the YAML name of the check's kind ("podsReady", …), or "".
func (c Check) Kind() string {
	k := setFields(c)
	if len(k) == 0 {
		return ""
	}
	return k[0]
}
