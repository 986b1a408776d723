package step

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// cleanupKinds are the kinds cleanup deletes, workloads first so their pods
// stop before the claims and config they use go.
var cleanupKinds = []schema.GroupVersionResource{
	{Group: "apps", Version: "v1", Resource: "statefulsets"},
	{Group: "apps", Version: "v1", Resource: "deployments"},
	{Group: "batch", Version: "v1", Resource: "jobs"},
	{Group: "policy", Version: "v1", Resource: "poddisruptionbudgets"},
	{Version: "v1", Resource: "pods"},
	{Version: "v1", Resource: "services"},
	{Version: "v1", Resource: "configmaps"},
	{Version: "v1", Resource: "secrets"},
	{Version: "v1", Resource: "persistentvolumeclaims"},
}

// Cleanup deletes everything in the namespace that the lesson's selector
// matches (pods and claims included) and uncordons every node the run
// cordoned. It waits for the lesson's pods to go (at most settleWait) to
// delete claims a lagging controller re-created meanwhile; Absent checks
// wait for the rest.
type Cleanup struct{}

func init() { RegisterAction[Cleanup]("cleanup", `{}`) }

// Validate implements lesson.Body.
func (a *Cleanup) Validate(v *lesson.Validator) {}

// Describe implements Kind.
func (a *Cleanup) Describe() Msg { return M("KindCleanup") }

// Verbs implements Kind: list and delete on every kind cleanup deletes.
func (a *Cleanup) Verbs() []Verb {
	var out []Verb
	for _, k := range cleanupKinds {
		out = append(out, Verb{Group: k.Group, Resource: k.Resource, Verb: "list"}, Verb{Group: k.Group, Resource: k.Resource, Verb: "delete"})
	}
	return out
}

// settleWait bounds how long the cleanup action waits for the lesson's pods
// to go before it deletes claims re-created meanwhile; its absent checks
// wait for the rest.
const settleWait = 2 * time.Minute

// Run implements Action.
func (a *Cleanup) Run(ctx context.Context, env *Env, report Reporter) (Outcome, error) {
	res, err := CleanupAll(ctx, env, report)
	if err == nil {
		err = settle(ctx, env, report, &res)
	}
	return Outcome{Msg: M("OutcomeCleanup", "Count", len(res.Deleted), "Nodes", strings.Join(res.Uncordoned, ", ")), Output: strings.Join(res.Deleted, "\n")}, err
}

// settle waits (at most settleWait) until no pod of the lesson is left,
// then deletes the lesson's claims again. A StatefulSet controller that has
// not yet seen its StatefulSet deleted — its watch lagging, as after an API
// server restart — re-creates a deleted pod, and with it the pod's claim,
// which nothing would then delete (seen on the lab).
func settle(ctx context.Context, env *Env, report Reporter, res *CleanupResult) error {
	pods := schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	wctx, cancel := context.WithTimeout(ctx, settleWait)
	defer cancel()
	gone := func(s snapshot) (bool, error) {
		if len(s) > 0 {
			report(M("ProgressPodsLeaving", "Count", len(s)))
		}
		return len(s) == 0, nil
	}
	if err := watchUntil(wctx, env.dynamicLister(pods, true), env.Spec.Selector, gone, func(error) {}); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return nil // still there: the absent checks say which and why
	}
	claims := schema.GroupVersionResource{Version: "v1", Resource: "persistentvolumeclaims"}
	r := env.Cluster.Dynamic.Resource(claims).Namespace(env.Namespace())
	l, err := r.List(ctx, metav1.ListOptions{LabelSelector: env.Spec.Selector})
	if err != nil {
		return nil // the absent checks report what is left
	}
	for _, o := range l.Items {
		if o.GetDeletionTimestamp() != nil {
			continue
		}
		name := "persistentvolumeclaims/" + o.GetName()
		if err := r.Delete(ctx, o.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fail(err, M("StepCleanupFailed", "Error", oneLine(err.Error())), M("HintCleanup", "Namespace", env.Namespace(), "Selector", env.Spec.Selector))
		}
		res.Deleted = append(res.Deleted, name)
		report(M("ProgressDeleted", "Object", name))
	}
	return nil
}

// Commands implements Action: one `kubectl delete` of every kind cleanup
// deletes, by the lesson's selector, after `kubectl uncordon` of the nodes
// the lesson's namespace has cordoned, if any. kubectl delete waits for
// the objects to go; the tutor waits for the pods only (its absent checks
// wait for the rest).
func (a *Cleanup) Commands(ctx context.Context, env *Env) (ByHand, error) {
	if env.Spec.Selector == "" {
		return ByHand{}, &Failure{Msg: M("StepNoSelector"), Hint: M("HintNoSelector")}
	}
	var h ByHand
	if nodes := cordonedNodes(ctx, env); len(nodes) > 0 {
		h.Lines = append(h.Lines, env.kubectl(append([]string{"uncordon"}, nodes...)...))
	}
	kinds := make([]string, len(cleanupKinds))
	for i, k := range cleanupKinds {
		kinds[i] = k.Resource
	}
	h.Lines = append(h.Lines, env.kubectl("delete", strings.Join(kinds, ","), "-l", env.Spec.Selector))
	return h, nil
}

// CleanupResult records what cleanup did.
type CleanupResult struct {
	// Deleted are "resource/name" of the objects deleted.
	Deleted []string
	// Uncordoned are the nodes made schedulable again.
	Uncordoned []string
}

// CleanupAll uncordons the run's nodes first (the one thing that must never
// be left behind), then deletes what the lesson's selector matches. It
// keeps going past errors and returns them joined.
func CleanupAll(ctx context.Context, env *Env, report Reporter) (CleanupResult, error) {
	if report == nil {
		report = func(Msg) {}
	}
	var res CleanupResult
	var errs []error
	nodes, err := UncordonAll(ctx, env)
	res.Uncordoned = nodes
	if err != nil {
		errs = append(errs, err)
	}
	sel := env.Spec.Selector
	if sel == "" {
		return res, errors.Join(append(errs, &Failure{Msg: M("StepNoSelector"), Hint: M("HintNoSelector")})...)
	}
	bg := metav1.DeletePropagationBackground
	for _, gvr := range cleanupKinds {
		r := env.Cluster.Dynamic.Resource(gvr).Namespace(env.Namespace())
		l, err := r.List(ctx, metav1.ListOptions{LabelSelector: sel})
		if err != nil {
			// NotFound: the cluster does not serve this kind. Anything
			// else (Forbidden included) may leave objects behind: say so.
			if !apierrors.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("list %s: %w", gvr.Resource, err))
			}
			continue
		}
		for _, o := range l.Items {
			if o.GetDeletionTimestamp() != nil {
				continue
			}
			name := gvr.Resource + "/" + o.GetName()
			err := r.Delete(ctx, o.GetName(), metav1.DeleteOptions{PropagationPolicy: &bg})
			if err != nil && !apierrors.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("delete %s: %w", name, err))
				continue
			}
			res.Deleted = append(res.Deleted, name)
			report(M("ProgressDeleted", "Object", name))
		}
	}
	if len(errs) > 0 {
		err := errors.Join(errs...)
		return res, fail(err, M("StepCleanupFailed", "Error", oneLine(err.Error())), M("HintCleanup", "Namespace", env.Namespace(), "Selector", sel))
	}
	return res, nil
}
