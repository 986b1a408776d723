package step

import (
	"context"
	"encoding/json"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
)

// CordonedByAnnotation marks a node that kubetutor cordoned, with who did:
// "<namespace>/<lesson>" for a lesson, "workshop/<name>" for a workshop's
// instructor. The mark and the cordon are one patch, so the cluster itself
// records who must uncordon the node: any later kubetutor — after a kill,
// on another machine — uncordons the nodes its namespace's lesson left
// cordoned, and never touches a node cordoned by anyone else.
const CordonedByAnnotation = "kubetutor.io/cordoned-by"

// CordonMark is the annotation value of the lesson running in env.
func (e *Env) CordonMark() string { return e.Namespace() + "/" + e.Lesson }

// cordonResult says what cordon did to a node.
type cordonResult int

const (
	cordonedNow   cordonResult = iota // we cordoned it
	cordonedOurs                      // it was already cordoned by us
	cordonedOther                     // someone else cordoned it: left alone
)

// cordon marks and cordons node in one patch, guarded by the node's
// resourceVersion so that two lessons cannot both claim it. The node is
// recorded in env.State before the API call, so an interruption in between
// still uncordons.
func cordon(ctx context.Context, env *Env, node string) (cordonResult, error) {
	nodes := env.Cluster.Client.CoreV1().Nodes()
	res := cordonedNow
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		n, err := nodes.Get(ctx, node, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if n.Spec.Unschedulable {
			if n.Annotations[CordonedByAnnotation] == env.CordonMark() {
				res = cordonedOurs
				env.State.Cordoned(node)
			} else {
				res = cordonedOther
			}
			return nil
		}
		env.State.Cordoned(node)
		patch, _ := json.Marshal(map[string]any{
			"metadata": map[string]any{"resourceVersion": n.ResourceVersion,
				"annotations": map[string]any{CordonedByAnnotation: env.CordonMark()}},
			"spec": map[string]any{"unschedulable": true},
		})
		_, err = nodes.Patch(ctx, node, types.StrategicMergePatchType, patch, metav1.PatchOptions{FieldManager: FieldManager})
		return err
	})
	if err != nil {
		return res, writeFailed(env, err, M("StepCordonFailed", "Node", node, "Error", err.Error()))
	}
	return res, nil
}

// uncordon makes node schedulable and removes the mark, if the node is
// ours (marked by this lesson's namespace, or recorded in env.State). A node
// that is already schedulable, gone, or cordoned by someone else counts as
// done and is not touched.
func uncordon(ctx context.Context, env *Env, node string) error {
	nodes := env.Cluster.Client.CoreV1().Nodes()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		n, err := nodes.Get(ctx, node, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		mark, marked := n.Annotations[CordonedByAnnotation]
		if marked && mark != env.CordonMark() {
			return nil // someone else's cordon
		}
		if !marked && !n.Spec.Unschedulable {
			return nil
		}
		spec := map[string]any{}
		if n.Spec.Unschedulable && (marked || env.State.cordonedEver(node)) {
			spec["unschedulable"] = nil
		}
		patch, _ := json.Marshal(map[string]any{
			"metadata": map[string]any{"resourceVersion": n.ResourceVersion,
				"annotations": map[string]any{CordonedByAnnotation: nil}},
			"spec": spec,
		})
		_, err = nodes.Patch(ctx, node, types.StrategicMergePatchType, patch, metav1.PatchOptions{FieldManager: FieldManager})
		return err
	})
	if err != nil {
		return fail(err, M("StepUncordonFailed", "Node", node, "Error", err.Error()), M("HintUncordon", "Node", node))
	}
	env.State.Uncordoned(node)
	return nil
}

// MarkedNodes lists the nodes whose cordon mark is mark, and whether each
// is still unschedulable. An error (e.g. no right to list nodes) returns
// nothing: a user who cannot list nodes cannot have cordoned one either.
func MarkedNodes(ctx context.Context, env *Env, mark string) []string {
	l, err := env.Cluster.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil
	}
	var out []string
	for _, n := range l.Items {
		if n.Annotations[CordonedByAnnotation] == mark {
			out = append(out, n.Name)
		}
	}
	return out
}

// UncordonAll uncordons every node this lesson's namespace left cordoned —
// the ones recorded in env.State and the ones the cluster shows with this
// lesson's mark (a killed earlier run) — and returns those it uncordoned. It
// keeps going past errors and returns them joined; call it with a fresh,
// short context after a cancellation.
func UncordonAll(ctx context.Context, env *Env) ([]string, error) {
	set := map[string]bool{}
	for _, n := range env.State.CordonedNodes() {
		set[n] = true
	}
	for _, n := range MarkedNodes(ctx, env, env.CordonMark()) {
		set[n] = true
	}
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	var done, errs []string
	for _, n := range names {
		if err := uncordon(ctx, env, n); err != nil {
			errs = append(errs, err.Error())
			continue
		}
		done = append(done, n)
	}
	if len(errs) > 0 {
		left := strings.Join(env.State.CordonedNodes(), " ")
		return done, &Failure{Msg: M("StepUncordonFailed", "Node", left, "Error", strings.Join(errs, "; ")),
			Hint: M("HintUncordon", "Node", left)}
	}
	return done, nil
}

// nodeOf resolves the node an action works on: op.Node, or the node that
// runs op.Pod now.
func nodeOf(ctx context.Context, env *Env, op NodeOp) (string, error) {
	if op.Node != "" {
		return op.Node, nil
	}
	p, err := env.Cluster.Client.CoreV1().Pods(env.Namespace()).Get(ctx, op.Pod, metav1.GetOptions{})
	if err != nil {
		return "", fail(err, M("StepPodNotFound", "Pod", op.Pod, "Namespace", env.Namespace()), M("HintPodsReady", "Namespace", env.Namespace()))
	}
	if p.Spec.NodeName == "" {
		return "", &Failure{Msg: M("StepPodNotScheduled", "Pod", op.Pod), Hint: M("HintPodsReady", "Namespace", env.Namespace())}
	}
	return p.Spec.NodeName, nil
}

func validateNodeOp(v interface{ Require(bool, string) }, op NodeOp) {
	v.Require(op.Pod != "" || op.Node != "", "pod|node")
}

// nodeVerbs are what reading and cordoning a node take.
var nodeVerbs = []Verb{{Resource: "nodes", Verb: "get", Cluster: true}, {Resource: "nodes", Verb: "patch", Cluster: true},
	{Resource: "pods", Verb: "get"}}

// markedBy reports whether n carries mark and is unschedulable.
func markedBy(n *corev1.Node, mark string) bool {
	return n.Spec.Unschedulable && n.Annotations[CordonedByAnnotation] == mark
}

// armedNode is what drain and cordon remember when their step is armed
// (Prepare): the node they are about — the node of the pod then — and
// whether it was already unschedulable. Once a learner drained it by hand
// the pod runs elsewhere; the action still means the node it was on, so
// Enter never cordons a second node.
type armedNode struct {
	name string
	// cordoned: the node was unschedulable when armed (not our doing).
	cordoned bool
}

// prepare records the node of op now. It never fails: a pod that is not
// there yet leaves the node to be found when the action runs.
func (n *armedNode) prepare(ctx context.Context, env *Env, op NodeOp) {
	node, err := nodeOf(ctx, env, op)
	if err != nil {
		return
	}
	n.name = node
	if nd, err := env.Cluster.Client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{}); err == nil {
		n.cordoned = nd.Spec.Unschedulable
	}
}

// node is the node the action works on: the one recorded when armed, else
// the node of op now.
func (n *armedNode) node(ctx context.Context, env *Env, op NodeOp) (string, error) {
	if n.name != "" {
		return n.name, nil
	}
	return nodeOf(ctx, env, op)
}

// unschedulable reports whether the action's node is cordoned now.
func (n *armedNode) unschedulable(ctx context.Context, env *Env, op NodeOp) (string, bool) {
	node, err := n.node(ctx, env, op)
	if err != nil {
		return "", false
	}
	nd, err := env.Cluster.Client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if err != nil {
		return node, false
	}
	return node, nd.Spec.Unschedulable
}

// adopt gives a node cordoned by hand since the step was armed the
// lesson's cordon mark, in one resourceVersion-guarded patch, and records
// it in env.State: from then on the uncordon step, cleanup and the safety
// nets undo it as if the tutor had cordoned it. A node that was already
// cordoned when armed, or carries someone's mark, is left alone. A run
// that only observes (env.Observe) records it without marking it.
func (n *armedNode) adopt(ctx context.Context, env *Env) error {
	if n.name == "" || n.cordoned {
		return nil
	}
	nodes := env.Cluster.Client.CoreV1().Nodes()
	if env.Observe {
		if nd, err := nodes.Get(ctx, n.name, metav1.GetOptions{}); err == nil && nd.Spec.Unschedulable && nd.Annotations[CordonedByAnnotation] == "" {
			env.State.Cordoned(n.name)
		}
		return nil
	}
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		nd, err := nodes.Get(ctx, n.name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if !nd.Spec.Unschedulable {
			return nil
		}
		if _, marked := nd.Annotations[CordonedByAnnotation]; marked {
			if nd.Annotations[CordonedByAnnotation] == env.CordonMark() {
				env.State.Cordoned(n.name)
			}
			return nil
		}
		env.State.Cordoned(n.name)
		patch, _ := json.Marshal(map[string]any{
			"metadata": map[string]any{"resourceVersion": nd.ResourceVersion,
				"annotations": map[string]any{CordonedByAnnotation: env.CordonMark()}},
		})
		_, err = nodes.Patch(ctx, n.name, types.StrategicMergePatchType, patch, metav1.PatchOptions{FieldManager: FieldManager})
		return err
	})
	if err != nil {
		return fail(err, M("StepCordonFailed", "Node", n.name, "Error", err.Error()), applyHint(err))
	}
	return nil
}

// cordonedNodes are the nodes this lesson's namespace has cordoned now:
// those recorded in env.State and those the cluster shows with the
// lesson's mark, still unschedulable, sorted.
func cordonedNodes(ctx context.Context, env *Env) []string {
	set := map[string]bool{}
	for _, n := range env.State.CordonedNodes() {
		set[n] = true
	}
	if l, err := env.Cluster.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err == nil {
		for i := range l.Items {
			n := &l.Items[i]
			if markedBy(n, env.CordonMark()) {
				set[n.Name] = true
			} else if set[n.Name] && !n.Spec.Unschedulable {
				delete(set, n.Name)
			}
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
