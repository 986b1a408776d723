package step

import (
	"fmt"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// NewAction returns the action of a lesson step.
func NewAction(a lesson.Action) (Action, error) {
	switch {
	case a.Apply != nil:
		return &Apply{*a.Apply}, nil
	case a.Wait != nil:
		return &Wait{}, nil
	case a.Exec != nil:
		return &Exec{*a.Exec}, nil
	case a.DeletePod != nil:
		return &DeletePod{*a.DeletePod}, nil
	case a.Cordon != nil:
		return &NodeAction{Op: "cordon", NodeOp: *a.Cordon}, nil
	case a.Drain != nil:
		return &NodeAction{Op: "drain", NodeOp: *a.Drain}, nil
	case a.Uncordon != nil:
		return &NodeAction{Op: "uncordon", NodeOp: *a.Uncordon}, nil
	case a.Scale != nil:
		return &Scale{*a.Scale}, nil
	case a.SQL != nil:
		return &SQL{*a.SQL}, nil
	case a.DeletePVCs != nil:
		return &DeletePVCs{*a.DeletePVCs}, nil
	case a.Cleanup != nil:
		return &Cleanup{*a.Cleanup}, nil
	}
	return nil, fmt.Errorf("step has no action (run `kubetutor lint`)")
}

// NewCheck returns the check of a lesson check.
func NewCheck(c lesson.Check) (Check, error) {
	switch {
	case c.PodsReady != nil:
		return &PodsReady{*c.PodsReady}, nil
	case c.PodCondition != nil:
		return &PodCondition{*c.PodCondition}, nil
	case c.Exists != nil:
		return &Exists{*c.Exists}, nil
	case c.Absent != nil:
		return &Absent{*c.Absent}, nil
	case c.NodeChanged != nil:
		return &NodeChanged{PodRef: *c.NodeChanged}, nil
	case c.PVCs != nil:
		return &PVCs{*c.PVCs}, nil
	case c.SameUID != nil:
		return &SameUID{ObjectRef: *c.SameUID}, nil
	case c.SQLContains != nil:
		return &SQLContains{*c.SQLContains}, nil
	case c.ValuesSeen != nil:
		return &ValuesSeen{*c.ValuesSeen}, nil
	case c.RestartsUnchanged != nil:
		return &RestartsUnchanged{PodRef: *c.RestartsUnchanged}, nil
	case c.Uncordoned != nil:
		return &Uncordoned{}, nil
	}
	return nil, fmt.Errorf("check has no kind (run `kubetutor lint`)")
}

// Verb is one permission an action or check needs, for preflight's
// SelfSubjectAccessReviews.
type Verb struct {
	Group, Resource, Subresource, Verb string
	// Cluster is true for cluster-scoped resources (nodes).
	Cluster bool
}

// ActionVerbs lists the permissions an action needs (apply's depend on the
// manifests' kinds and are added by the engine).
func ActionVerbs(a lesson.Action) []Verb {
	switch {
	case a.Exec != nil:
		return []Verb{{Resource: "pods", Subresource: "exec", Verb: "create"}}
	case a.DeletePod != nil:
		return []Verb{{Resource: "pods", Verb: "delete"}}
	case a.Cordon != nil, a.Uncordon != nil:
		return []Verb{{Resource: "nodes", Verb: "patch", Cluster: true}, {Resource: "pods", Verb: "get"}}
	case a.Drain != nil:
		return []Verb{{Resource: "nodes", Verb: "patch", Cluster: true}, {Resource: "pods", Verb: "list", Cluster: true},
			{Resource: "pods", Subresource: "eviction", Verb: "create"}}
	case a.Scale != nil:
		return []Verb{{Group: "apps", Resource: "statefulsets", Subresource: "scale", Verb: "update"}}
	case a.SQL != nil:
		return sqlVerbs
	case a.DeletePVCs != nil:
		return []Verb{{Resource: "persistentvolumeclaims", Verb: "delete"}, {Resource: "persistentvolumeclaims", Verb: "list"}}
	case a.Cleanup != nil:
		var out []Verb
		for _, k := range cleanupKinds {
			out = append(out, Verb{Group: k.Group, Resource: k.Resource, Verb: "delete"})
		}
		return out
	}
	return nil
}

var sqlVerbs = []Verb{{Resource: "pods", Subresource: "portforward", Verb: "create"}, {Group: "discovery.k8s.io", Resource: "endpointslices", Verb: "list"}}

// CheckVerbs lists the permissions a check needs.
func CheckVerbs(c lesson.Check) []Verb {
	switch {
	case c.PodsReady != nil, c.PodCondition != nil, c.NodeChanged != nil, c.RestartsUnchanged != nil:
		return []Verb{{Resource: "pods", Verb: "watch"}, {Resource: "pods", Subresource: "log", Verb: "get"}}
	case c.PVCs != nil:
		return []Verb{{Resource: "persistentvolumeclaims", Verb: "watch"}}
	case c.SQLContains != nil, c.ValuesSeen != nil:
		return sqlVerbs
	case c.Uncordoned != nil:
		return []Verb{{Resource: "nodes", Verb: "watch", Cluster: true}}
	}
	return nil
}
