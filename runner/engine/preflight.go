package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	authv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

// preflightTimeout bounds each preflight item.
const preflightTimeout = 20 * time.Second

// defaultClassAnnotation marks the default StorageClass.
const defaultClassAnnotation = "storageclass.kubernetes.io/is-default-class"

// Facts are what preflight learned about the cluster that decides which
// steps are available.
type Facts struct {
	// Reachable is false when the API server did not answer.
	Reachable bool
	// Version is the server's git version.
	Version string
	// SchedulableNodes counts Ready nodes that accept pods.
	SchedulableNodes int
	// DefaultStorageClass is the default class's name ("" if none).
	DefaultStorageClass string
	// Denied are the cluster-scoped verbs the lesson uses that the user
	// lacks: the steps that need them are unavailable, or the instructor's
	// in a workshop (see Mode).
	Denied []step.Verb
	// Workshop is the workshop the namespace belongs to (nil: none).
	Workshop *Workshop
	// Storage is how the cluster's volumes relate to nodes.
	Storage Storage
}

// Traits are the facts a step variant's when can name.
func (f Facts) Traits() lesson.Traits { return lesson.Traits{Storage: f.Storage.Kind} }

// Preflight checks, before the first step, what the lesson needs: the
// cluster answers (and its version), the namespace exists (created when
// missing) and is not being deleted, enough schedulable nodes, a default
// StorageClass, every verb the lesson uses (SelfSubjectAccessReview), the
// lesson's images on the nodes, and no conflicting objects in the
// namespace. Items are reported to the observer as they finish. With
// Options.Watch it only reads: the namespace is not created, no cordon is
// repaired, only the checks' verbs are asked for and conflicts do not
// matter (nothing is applied).
func (e *Engine) Preflight(ctx context.Context) []PreflightItem { return e.PreflightFrom(ctx, 0) }

// PreflightFrom is Preflight for a lesson resumed at step from: objects
// that the manifests of earlier steps name are the lesson's by then —
// applied by the tutor or typed by the learner — so only later steps'
// manifests can conflict.
func (e *Engine) PreflightFrom(ctx context.Context, from int) []PreflightItem {
	return e.preflight(ctx, func(context.Context) int { return from })
}

// preflight runs the items; from tells, when the conflicts item needs it,
// at which step the lesson resumes (Run judges it from the cluster then,
// once the namespace is known and the cordons repaired).
func (e *Engine) preflight(ctx context.Context, from func(context.Context) int) []PreflightItem {
	e.emit(Event{Kind: PreflightStarted})
	var items []PreflightItem
	add := func(name step.Msg, f func(context.Context) (Status, step.Msg, step.Msg)) bool {
		start := time.Now()
		cctx, cancel := context.WithTimeout(ctx, preflightTimeout)
		st, msg, hint := f(cctx)
		cancel()
		it := PreflightItem{Name: name, Status: st, Msg: msg, Hint: hint, Duration: time.Since(start)}
		items = append(items, it)
		e.emit(Event{Kind: PreflightDone, Preflight: &it})
		return st != Failed
	}
	if !add(step.M("PreflightReachable"), e.preflightReachable) {
		return items
	}
	if !add(step.M("PreflightNamespace", "Namespace", e.env.Namespace()), e.preflightNamespace) {
		return items
	}
	add(step.M("PreflightNodes"), e.preflightNodes)
	if !e.opts.Watch {
		add(step.M("PreflightCordons"), e.preflightCordons)
	}
	add(step.M("PreflightStorageClass"), e.preflightStorageClass)
	add(step.M("PreflightPermissions"), e.preflightPermissions)
	add(step.M("PreflightImages"), e.preflightImages)
	if !e.opts.Watch {
		add(step.M("PreflightConflicts"), func(ctx context.Context) (Status, step.Msg, step.Msg) { return e.preflightConflicts(ctx, from(ctx)) })
	}
	return items
}

func (e *Engine) preflightReachable(ctx context.Context) (Status, step.Msg, step.Msg) {
	type res struct {
		v   string
		err error
	}
	ch := make(chan res, 1)
	go func() {
		v, err := e.env.Cluster.Client.Discovery().ServerVersion()
		if err != nil {
			ch <- res{err: err}
			return
		}
		ch <- res{v: v.GitVersion}
	}()
	select {
	case <-ctx.Done():
		return Failed, step.M("PreflightUnreachable", "Server", e.env.Cluster.Server(), "Error", ctx.Err().Error()), step.M("HintUnreachable")
	case r := <-ch:
		if r.err != nil {
			return Failed, step.M("PreflightUnreachable", "Server", e.env.Cluster.Server(), "Error", r.err.Error()), step.M("HintUnreachable")
		}
		e.facts.Reachable, e.facts.Version = true, r.v
		return Passed, step.M("PreflightVersion", "Version", r.v, "Server", e.env.Cluster.Server(), "Context", e.env.Cluster.Context), step.Msg{}
	}
}

func (e *Engine) preflightNamespace(ctx context.Context) (Status, step.Msg, step.Msg) {
	ns := e.env.Namespace()
	nss := e.env.Cluster.Client.CoreV1().Namespaces()
	cur, err := nss.Get(ctx, ns, metav1.GetOptions{})
	if err == nil {
		// A namespace being deleted still answers Get, but the API server
		// refuses to create anything in it until it is gone.
		if cur.DeletionTimestamp != nil || cur.Status.Phase == corev1.NamespaceTerminating {
			return Failed, step.M("PreflightNamespaceTerminating", "Namespace", ns), step.M("HintNamespaceTerminating", "Namespace", ns)
		}
		return Passed, step.M("PreflightNamespaceExists", "Namespace", ns), step.Msg{}
	}
	if !apierrors.IsNotFound(err) {
		if apierrors.IsForbidden(err) {
			// Reading namespaces may be forbidden to a namespaced user:
			// the namespace is then theirs and exists.
			return Passed, step.M("PreflightNamespaceAssumed", "Namespace", ns), step.Msg{}
		}
		return Failed, step.M("StepError", "Error", err.Error()), step.M("HintAPI")
	}
	if e.opts.Watch {
		return Warning, step.M("PreflightNamespaceMissing", "Namespace", ns), step.M("HintNamespaceMissing", "Namespace", ns)
	}
	_, err = nss.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns,
		Labels: map[string]string{"app.kubernetes.io/managed-by": "kubetutor"}}}, metav1.CreateOptions{FieldManager: step.FieldManager})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return Failed, step.M("PreflightNamespaceCreateFailed", "Namespace", ns, "Error", err.Error()), step.M("HintNamespaceCreate", "Namespace", ns)
	}
	return Passed, step.M("PreflightNamespaceCreated", "Namespace", ns), step.Msg{}
}

// Schedulable reports whether pods can be scheduled onto n: not cordoned,
// no NoSchedule or NoExecute taint, and Ready.
func Schedulable(n *corev1.Node) bool {
	if n.Spec.Unschedulable {
		return false
	}
	for _, t := range n.Spec.Taints {
		if t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute {
			return false
		}
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func (e *Engine) maxNodesNeeded() int {
	need := e.lesson.Spec.Requires.Nodes
	for _, s := range e.lesson.Spec.Steps {
		need = max(need, s.Requires.Nodes)
	}
	return max(need, 1)
}

func (e *Engine) preflightNodes(ctx context.Context) (Status, step.Msg, step.Msg) {
	l, err := e.env.Cluster.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		// Without nodes access, do not mark steps unavailable: assume enough.
		e.facts.SchedulableNodes = e.maxNodesNeeded()
		return Warning, step.M("PreflightNodesUnknown", "Error", err.Error()), step.M("HintNodesUnreadable", "Need", e.maxNodesNeeded())
	}
	var names []string
	for i := range l.Items {
		if Schedulable(&l.Items[i]) {
			names = append(names, l.Items[i].Name)
		}
	}
	e.facts.SchedulableNodes = len(names)
	msg := step.M("PreflightNodesFound", "Count", len(names), "Total", len(l.Items), "Nodes", strings.Join(names, ", "))
	switch need := e.maxNodesNeeded(); {
	case len(names) == 0 || len(names) < e.lesson.Spec.Requires.Nodes:
		return Failed, msg, step.M("HintNodes", "Need", max(e.lesson.Spec.Requires.Nodes, 1))
	case len(names) < need:
		var steps []string
		for _, s := range e.lesson.Spec.Steps {
			if s.Requires.Nodes > len(names) {
				steps = append(steps, s.ID)
			}
		}
		return Warning, msg, step.M("HintNodesSteps", "Need", need, "Steps", strings.Join(steps, ", "))
	}
	return Passed, msg, step.Msg{}
}

// preflightCordons uncordons the nodes an earlier run of this lesson in
// this namespace left cordoned (killed during a drain), and says so.
func (e *Engine) preflightCordons(ctx context.Context) (Status, step.Msg, step.Msg) {
	nodes, err := e.RepairCordons(ctx)
	if err != nil {
		return Warning, step.M("PreflightCordonsFailed", "Error", err.Error()), step.M("HintUncordon", "Node", strings.Join(nodes, " "))
	}
	if len(nodes) > 0 {
		return Passed, step.M("PreflightCordonsRepaired", "Nodes", strings.Join(nodes, ", "), "Mark", e.env.CordonMark()), step.Msg{}
	}
	return Passed, step.M("PreflightNoCordons"), step.Msg{}
}

func (e *Engine) needsStorageClass() bool {
	if e.lesson.Spec.Requires.StorageClass {
		return true
	}
	for _, s := range e.lesson.Spec.Steps {
		if s.Requires.StorageClass {
			return true
		}
	}
	return false
}

// preflightStorageClass finds the default StorageClass and whether its
// volumes are pinned to nodes (Facts.Storage, which picks the steps'
// variants): a warning with the consequence when the lesson moves pods.
func (e *Engine) preflightStorageClass(ctx context.Context) (Status, step.Msg, step.Msg) {
	s, err := DetectStorage(ctx, e.env.Cluster.Client, e.env.Namespace())
	if err != nil {
		e.facts.DefaultStorageClass = "?"
		return Warning, step.M("PreflightStorageClassUnknown", "Error", err.Error()), step.M("HintStorageClassUnreadable")
	}
	e.facts.Storage = s
	e.facts.DefaultStorageClass = s.Class
	if s.Class == "" && s.Kind == "" {
		st := Warning
		if e.lesson.Spec.Requires.StorageClass {
			st = Failed
		}
		return st, step.M("PreflightNoStorageClass", "Count", s.Classes), step.M("HintStorageClass")
	}
	switch s.Kind {
	case lesson.StorageNodeLocal:
		msg := step.M("PreflightStorageNodeLocal", "Name", s.Class, "Provisioner", s.Provisioner, "Binding", s.Binding, "Pinned", pinnedSample(s.Pinned))
		if movesPods(e.lesson) {
			return Warning, msg, step.M("HintStorageNodeLocal")
		}
		return Passed, msg, step.Msg{}
	case "":
		return Passed, step.M("PreflightStorageMaybeLocal", "Name", s.Class, "Provisioner", s.Provisioner, "Binding", s.Binding), step.Msg{}
	}
	return Passed, step.M("PreflightStorageClassFound", "Name", s.Class, "Provisioner", s.Provisioner), step.Msg{}
}

// verbs collects every permission the lesson needs (with Options.Watch,
// its checks' only).
func (e *Engine) verbs() []step.Verb {
	seen := map[step.Verb]bool{}
	var out []step.Verb
	for _, s := range e.lesson.Spec.Steps {
		if e.opts.Watch {
			s.Action = step.ActionOf(&step.Wait{})
		}
		for _, v := range e.stepVerbs(s) {
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	return out
}

// preflightPermissions asks the API server (SelfSubjectAccessReview)
// for every verb the lesson uses. A namespaced verb denied fails the whole
// lesson: the namespace is the learner's own. A cluster-scoped verb denied
// (patch nodes, for a drain) only makes the steps that need it unavailable,
// or the instructor's in a workshop: a warning that names them.
func (e *Engine) preflightPermissions(ctx context.Context) (Status, step.Msg, step.Msg) {
	e.facts.Workshop = readWorkshop(ctx, e.env, e.lesson.ID)
	verbs := e.verbs()
	var denied, deniedCluster []string
	e.facts.Denied = nil
	for _, v := range verbs {
		ra := &authv1.ResourceAttributes{Verb: v.Verb, Group: v.Group, Resource: v.Resource, Subresource: v.Subresource}
		if !v.Cluster {
			ra.Namespace = e.env.Namespace()
		}
		r, err := e.env.Cluster.Client.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx,
			&authv1.SelfSubjectAccessReview{Spec: authv1.SelfSubjectAccessReviewSpec{ResourceAttributes: ra}}, metav1.CreateOptions{})
		if err != nil {
			return Warning, step.M("PreflightPermissionsUnknown", "Error", err.Error()), step.Msg{}
		}
		switch {
		case r.Status.Allowed:
		case v.Cluster:
			deniedCluster = append(deniedCluster, v.String())
			e.facts.Denied = append(e.facts.Denied, v)
		default:
			denied = append(denied, v.String())
		}
	}
	if len(denied) > 0 {
		return Failed, step.M("PreflightDenied", "Verbs", strings.Join(denied, ", "), "Namespace", e.env.Namespace()), step.M("HintDenied")
	}
	var instructor, unavailable []string
	for i, s := range e.lesson.Spec.Steps {
		switch mode, _ := e.Mode(i); {
		case mode == ModeInstructor:
			instructor = append(instructor, s.ID)
		case mode == ModeUnavailable && len(e.deniedVerbs(s)) > 0:
			unavailable = append(unavailable, s.ID)
		}
	}
	switch {
	case len(unavailable) > 0:
		return Warning, step.M("PreflightDeniedCluster", "Verbs", strings.Join(deniedCluster, ", "), "Steps", strings.Join(unavailable, ", ")),
			step.M("HintDeniedCluster", "Steps", strings.Join(unavailable, ", "))
	case len(instructor) > 0:
		return Passed, step.M("PreflightWorkshop", "Workshop", e.facts.Workshop.Name, "Steps", strings.Join(instructor, ", "), "Count", len(verbs)-len(deniedCluster)), step.Msg{}
	case len(deniedCluster) > 0:
		// Denied verbs that no step needs in the end (a workshop step
		// listed for the instructor after all): nothing to say beyond this.
		return Warning, step.M("PreflightDeniedCluster", "Verbs", strings.Join(deniedCluster, ", "), "Steps", "—"), step.Msg{}
	}
	return Passed, step.M("PreflightAllowed", "Count", len(verbs)), step.Msg{}
}

// imageNames returns the forms a reference takes in node.status.images.
func imageNames(ref string) []string {
	out := []string{ref}
	first, _, _ := strings.Cut(ref, "/")
	if !strings.Contains(ref, "/") {
		out = append(out, "docker.io/library/"+ref)
	} else if !strings.ContainsAny(first, ".:") && first != "localhost" {
		out = append(out, "docker.io/"+ref)
	}
	if !strings.Contains(ref[strings.LastIndex(ref, "/")+1:], ":") && !strings.Contains(ref, "@") {
		for _, o := range append([]string(nil), out...) {
			out = append(out, o+":latest")
		}
	}
	return out
}

func (e *Engine) preflightImages(ctx context.Context) (Status, step.Msg, step.Msg) {
	refs := e.env.ImageRefs()
	if len(refs) == 0 {
		return Passed, step.M("PreflightNoImages"), step.Msg{}
	}
	l, err := e.env.Cluster.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return Warning, step.M("PreflightImagesUnknown", "Error", err.Error()), step.M("HintImagesUnreadable")
	}
	var nodes []*corev1.Node
	for i := range l.Items {
		if Schedulable(&l.Items[i]) {
			nodes = append(nodes, &l.Items[i])
		}
	}
	var missing, partial []string
	names := make([]string, 0, len(refs))
	for n := range refs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		ref := refs[name]
		want := map[string]bool{}
		for _, f := range imageNames(ref) {
			want[f] = true
		}
		have := 0
		for _, n := range nodes {
		imgs:
			for _, img := range n.Status.Images {
				for _, in := range img.Names {
					if want[in] {
						have++
						break imgs
					}
				}
			}
		}
		switch {
		case have == 0:
			missing = append(missing, ref)
		case have < len(nodes):
			partial = append(partial, fmt.Sprintf("%s (%d/%d)", ref, have, len(nodes)))
		}
	}
	switch {
	case len(missing) > 0:
		return Warning, step.M("PreflightImagesMissing", "Images", strings.Join(missing, ", "), "Nodes", len(nodes)), step.M("HintLoadImages", "Images", strings.Join(missing, " "))
	case len(partial) > 0:
		return Warning, step.M("PreflightImagesPartial", "Images", strings.Join(partial, ", ")), step.M("HintLoadImages", "Images", strings.Join(partial, " "))
	}
	return Passed, step.M("PreflightImagesPresent", "Images", strings.Join(sortedValues(refs), ", "), "Nodes", len(nodes)), step.Msg{}
}

func sortedValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// preflightConflicts looks for objects with the names of the manifests of
// steps from on that kubetutor did not create (fatal: the lesson would take
// them over), and for leftovers of an earlier run (a warning: their data
// carries over).
func (e *Engine) preflightConflicts(ctx context.Context, from int) (Status, step.Msg, step.Msg) {
	var foreign, ours []string
	seen := map[string]bool{}
	for _, s := range e.lesson.Spec.Steps[min(from, len(e.lesson.Spec.Steps)):] {
		m, ok := s.Action.Body.(lesson.ManifestUser)
		if !ok {
			continue
		}
		for _, f := range m.ManifestFiles() {
			objs, err := step.ReadManifest(e.env.Manifests, f)
			if err != nil {
				return Failed, step.M("StepManifestUnreadable", "File", f, "Error", err.Error()), step.M("HintManifest")
			}
			for _, o := range objs {
				gvk := o.GroupVersionKind()
				m, err := e.env.Cluster.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
				if err != nil {
					continue
				}
				key := m.Resource.Resource + "/" + o.GetName()
				if seen[key] {
					continue
				}
				seen[key] = true
				r := e.env.Cluster.Dynamic.Resource(m.Resource)
				var get func(context.Context, string, metav1.GetOptions, ...string) (*unstructured.Unstructured, error)
				if m.Scope.Name() == "namespace" {
					get = r.Namespace(e.env.Namespace()).Get
				} else {
					get = r.Get
				}
				cur, err := get(ctx, o.GetName(), metav1.GetOptions{})
				if err != nil {
					continue
				}
				managed := false
				for _, mf := range cur.GetManagedFields() {
					if mf.Manager == step.FieldManager {
						managed = true
					}
				}
				if managed {
					ours = append(ours, key)
				} else {
					foreign = append(foreign, key)
				}
			}
		}
	}
	if len(foreign) > 0 {
		return Failed, step.M("PreflightForeignObjects", "Objects", strings.Join(foreign, ", "), "Namespace", e.env.Namespace()), step.M("HintOtherNamespace")
	}
	var leftovers []string
	if from > 0 {
		// Resuming: what earlier steps made is meant to be there.
		return Passed, step.M("PreflightNoConflicts", "Namespace", e.env.Namespace()), step.Msg{}
	}
	if sel := e.lesson.Spec.Selector; sel != "" {
		pvcs, err := e.env.Cluster.Client.CoreV1().PersistentVolumeClaims(e.env.Namespace()).List(ctx, metav1.ListOptions{LabelSelector: sel})
		if err == nil {
			for _, p := range pvcs.Items {
				leftovers = append(leftovers, "persistentvolumeclaims/"+p.Name)
			}
		}
	}
	leftovers = append(ours, leftovers...)
	if len(leftovers) > 0 {
		return Warning, step.M("PreflightLeftovers", "Objects", strings.Join(leftovers, ", "), "Count", len(leftovers)), step.M("HintLeftovers", "Lesson", e.lesson.ID, "Namespace", e.env.Namespace())
	}
	return Passed, step.M("PreflightNoConflicts", "Namespace", e.env.Namespace()), step.Msg{}
}
