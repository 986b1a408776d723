package engine

import (
	"github.com/kubetutor/kubetutor/runner/evidence"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

// readVerbs are what kubetutor reads while running any lesson, besides its
// steps' own verbs: preflight (nodes, StorageClasses, the workshop
// ConfigMap), resume's evidence (runner/evidence.Read: pods, claims,
// events, nodes), and the TUI's panes (pods and events watched, logs
// followed).
var readVerbs = []step.Verb{
	{Resource: "pods", Verb: "get"}, {Resource: "pods", Verb: "list"}, {Resource: "pods", Verb: "watch"},
	{Resource: "pods", Subresource: "log", Verb: "get"},
	{Resource: "events", Verb: "list"}, {Resource: "events", Verb: "watch"},
	{Resource: "persistentvolumeclaims", Verb: "list"},
	{Resource: "configmaps", Verb: "get"},
	{Resource: "nodes", Verb: "list", Cluster: true},
	{Resource: "storageclasses", Group: "storage.k8s.io", Verb: "list", Cluster: true},
}

// Verbs lists, without duplicates, every permission running lesson l in
// env's cluster takes: each step's (step.StepVerbs), get on every kind its
// manifests hold (preflight's conflict check), list on the kinds evidence
// reads (runner/evidence.ObjectKinds), and what the engine and the TUI read
// besides (readVerbs). A workshop learner's Role and ClusterRole are made
// from it, and the README's list of a learner's rights.
func Verbs(env *step.Env, l *lesson.Lesson) []step.Verb {
	var vs []step.Verb
	for _, s := range l.Spec.Steps {
		for _, v := range step.StepVerbs(env, s) {
			vs = append(vs, v)
			if v.Verb == "create" && v.Subresource == "" {
				vs = append(vs, step.Verb{Group: v.Group, Resource: v.Resource, Verb: "get", Cluster: v.Cluster})
			}
		}
	}
	for _, kind := range evidence.ObjectKinds(l.Spec.Steps) {
		if gvr, namespaced, err := env.Resolve(kind); err == nil {
			vs = append(vs, step.Verb{Group: gvr.Group, Resource: gvr.Resource, Verb: "list", Cluster: !namespaced})
		}
	}
	vs = append(vs, readVerbs...)
	seen := map[step.Verb]bool{}
	var out []step.Verb
	for _, v := range vs {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
