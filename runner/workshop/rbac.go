package workshop

import (
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubetutor/kubetutor/runner/engine"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

// Rights are what a workshop's learner may do, generated from the lesson's
// own verbs (engine.Verbs) — no more than the lesson takes:
//
//   - every namespaced verb, granted by a Role in the learner's namespace;
//   - the cluster-scoped reads (list nodes, list StorageClasses, watch
//     nodes for the uncordoned check), granted by a ClusterRole bound to the
//     learner: without them preflight and the node checks are blind;
//   - never a cluster-scoped write (patch nodes for cordon, drain and
//     uncordon): on a shared cluster the instructor does those steps for
//     everyone, node by node (`workshop push`).
//
// Nothing cluster-wide is readable beyond nodes and StorageClasses: a
// learner cannot list pods, or anything else, in another namespace.
type Rights struct {
	// Role are the rules of the learner's Role in their namespace.
	Role []rbacv1.PolicyRule
	// ClusterRead are the rules of the workshop's ClusterRole.
	ClusterRead []rbacv1.PolicyRule
	// Withheld are the cluster-scoped writes the lesson uses.
	Withheld []step.Verb
	// InstructorSteps are the steps that need them: the instructor's.
	InstructorSteps []string
}

// LearnerRights generates the rights of a learner of lesson l; env resolves
// kinds (its cluster's RESTMapper) and reads the manifests.
// The actions of the instructor's steps are the instructor's: the
// learner gets only what their checks read (a drain's evictions and pod
// list are not granted).
func LearnerRights(env *step.Env, l *lesson.Lesson) Rights {
	r := Rights{InstructorSteps: engine.ClusterSteps(env, l.Spec.Steps)}
	for _, v := range engine.Verbs(env, l) {
		if v.Cluster && writeVerb(v.Verb) {
			r.Withheld = append(r.Withheld, v)
		}
	}
	learner := *l
	learner.Spec.Steps = slices.Clone(l.Spec.Steps)
	for i, s := range learner.Spec.Steps {
		if slices.Contains(r.InstructorSteps, s.ID) {
			learner.Spec.Steps[i].Action = step.ActionOf(&step.Wait{})
		}
	}
	var ns, cluster []step.Verb
	for _, v := range engine.Verbs(env, &learner) {
		switch {
		case !v.Cluster:
			ns = append(ns, v)
		case !writeVerb(v.Verb):
			cluster = append(cluster, v)
		}
	}
	r.Role, r.ClusterRead = rules(ns), rules(cluster)
	return r
}

func writeVerb(v string) bool { return !slices.Contains([]string{"get", "list", "watch"}, v) }

// verbOrder is the order verbs are written in rules.
var verbOrder = []string{"get", "list", "watch", "create", "update", "patch", "delete"}

func verbRank(v string) int {
	if i := slices.Index(verbOrder, v); i >= 0 {
		return i
	}
	return len(verbOrder)
}

// rules groups verbs into policy rules: one rule per API group and set of
// verbs, listing the resources that share them; sorted, so the same lesson
// gives the same rules.
func rules(vs []step.Verb) []rbacv1.PolicyRule {
	type key struct{ group, resource string }
	verbs := map[key][]string{}
	for _, v := range vs {
		res := v.Resource
		if v.Subresource != "" {
			res += "/" + v.Subresource
		}
		k := key{v.Group, res}
		if !slices.Contains(verbs[k], v.Verb) {
			verbs[k] = append(verbs[k], v.Verb)
		}
	}
	type rule struct {
		group     string
		verbs     []string
		resources []string
	}
	var out []*rule
	keys := make([]key, 0, len(verbs))
	for k := range verbs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := strings.Compare(a.group, b.group); c != 0 {
			return c
		}
		return strings.Compare(a.resource, b.resource)
	})
	for _, k := range keys {
		vv := verbs[k]
		slices.SortFunc(vv, func(a, b string) int { return verbRank(a) - verbRank(b) })
		i := slices.IndexFunc(out, func(r *rule) bool { return r.group == k.group && slices.Equal(r.verbs, vv) })
		if i < 0 {
			out = append(out, &rule{group: k.group, verbs: vv})
			i = len(out) - 1
		}
		out[i].resources = append(out[i].resources, k.resource)
	}
	pr := make([]rbacv1.PolicyRule, len(out))
	for i, r := range out {
		pr[i] = rbacv1.PolicyRule{APIGroups: []string{r.group}, Resources: r.resources, Verbs: r.verbs}
	}
	return pr
}

// Markdown is the rights as a table for the README: scope, API group,
// resources, verbs; then the withheld writes.
func (r Rights) Markdown() string {
	var b strings.Builder
	b.WriteString("| scope | API group | resources | verbs |\n|---|---|---|---|\n")
	row := func(scope string, pr rbacv1.PolicyRule) {
		g := pr.APIGroups[0]
		if g == "" {
			g = `"" (core)`
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", scope, g, strings.Join(pr.Resources, ", "), strings.Join(pr.Verbs, ", "))
	}
	for _, pr := range r.Role {
		row("learner's namespace (Role)", pr)
	}
	for _, pr := range r.ClusterRead {
		row("cluster (ClusterRole)", pr)
	}
	var w []string
	for _, v := range r.Withheld {
		w = append(w, v.String())
	}
	fmt.Fprintf(&b, "\nNever granted (the instructor's steps %s): %s.\n", strings.Join(r.InstructorSteps, ", "), strings.Join(w, ", "))
	return b.String()
}
