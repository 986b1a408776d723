package step

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/kubectl/pkg/drain"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// NodeAction cordons, drains or uncordons a node, named directly or as the
// node running a pod when the action starts. It uses kubectl's drain
// library: eviction API (PodDisruptionBudgets respected), DaemonSet pods
// ignored, emptyDir data deleted. Only the lesson namespace's pods are
// evicted, so learners sharing a cluster do not disturb each other.
//
// Every node it cordons is recorded in Env.State before the cordon, so
// cleanup — also after Ctrl-C or a failure — always uncordons it.
type NodeAction struct {
	// Op is "cordon", "drain" or "uncordon".
	Op string
	lesson.NodeOp
}

// Describe implements Action.
func (a *NodeAction) Describe() Msg {
	target := a.Node
	if target == "" && a.Pod != "" {
		target = "pod/" + a.Pod
	}
	switch a.Op {
	case "drain":
		return M("ActionDrain", "Target", target)
	case "cordon":
		return M("ActionCordon", "Target", target)
	}
	if target == "" {
		return M("ActionUncordonAll")
	}
	return M("ActionUncordon", "Target", target)
}

// Run implements Action.
func (a *NodeAction) Run(ctx context.Context, env *Env, report Reporter) (Outcome, error) {
	if a.Op == "uncordon" && a.Node == "" && a.Pod == "" {
		nodes, err := UncordonAll(ctx, env)
		if err != nil {
			return Outcome{}, err
		}
		return Outcome{Msg: M("OutcomeUncordoned", "Nodes", strings.Join(nodes, ", "), "Count", len(nodes))}, nil
	}
	node, err := a.node(ctx, env)
	if err != nil {
		return Outcome{}, err
	}
	var out bytes.Buffer
	h := helper(ctx, env, node, &out, report)
	switch a.Op {
	case "uncordon":
		if err := uncordon(ctx, env, node); err != nil {
			return Outcome{}, err
		}
		return Outcome{Msg: M("OutcomeUncordoned", "Nodes", node, "Count", 1)}, nil
	case "cordon", "drain":
		n := mustNode(ctx, env, node)
		if !n.Spec.Unschedulable {
			// Record first: an interruption between here and the API call
			// must still uncordon. A node cordoned by someone else before
			// the lesson is not ours to uncordon.
			env.State.Cordoned(node)
		}
		if err := drain.RunCordonOrUncordon(h, n, true); err != nil {
			return Outcome{}, fail(err, M("StepCordonFailed", "Node", node, "Error", err.Error()), applyHint(err))
		}
		if a.Op == "cordon" {
			return Outcome{Msg: M("OutcomeCordoned", "Node", node)}, nil
		}
		if err := drain.RunNodeDrain(h, node); err != nil {
			if ctx.Err() != nil {
				return Outcome{Output: out.String()}, &Failure{Msg: M("StepCanceled"), Err: ctx.Err()}
			}
			return Outcome{Output: out.String()}, fail(err, M("StepDrainFailed", "Node", node, "Error", oneLine(err.Error())), M("HintDrain", "Node", node))
		}
		return Outcome{Msg: M("OutcomeDrained", "Node", node), Output: out.String()}, nil
	}
	return Outcome{}, fmt.Errorf("unknown node operation %q", a.Op)
}

// node resolves the node the action works on.
func (a *NodeAction) node(ctx context.Context, env *Env) (string, error) {
	if a.Node != "" {
		return a.Node, nil
	}
	p, err := env.Cluster.Client.CoreV1().Pods(env.Namespace()).Get(ctx, a.Pod, metav1.GetOptions{})
	if err != nil {
		return "", fail(err, M("StepPodNotFound", "Pod", a.Pod, "Namespace", env.Namespace()), M("HintPodsReady", "Namespace", env.Namespace()))
	}
	if p.Spec.NodeName == "" {
		return "", &Failure{Msg: M("StepPodNotScheduled", "Pod", a.Pod), Hint: M("HintPodsReady", "Namespace", env.Namespace())}
	}
	return p.Spec.NodeName, nil
}

func mustNode(ctx context.Context, env *Env, name string) *corev1.Node {
	n, err := env.Cluster.Client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	}
	return n
}

// helper configures kubectl's drain library for the lesson's namespace.
func helper(ctx context.Context, env *Env, node string, out *bytes.Buffer, report Reporter) *drain.Helper {
	ns := env.Namespace()
	return &drain.Helper{
		Ctx:    ctx,
		Client: env.Cluster.Client,
		// The base filters run before ours: without Force, another
		// namespace's unmanaged pod would fail the drain although our
		// filter skips it. Only the lesson's namespace is evicted.
		Force:               true,
		GracePeriodSeconds:  -1,
		IgnoreAllDaemonSets: true,
		DeleteEmptyDirData:  true,
		Out:                 out,
		ErrOut:              out,
		AdditionalFilters: []drain.PodFilter{func(p corev1.Pod) drain.PodDeleteStatus {
			if p.Namespace != ns || p.Spec.NodeName != node {
				return drain.MakePodDeleteStatusSkip()
			}
			return drain.MakePodDeleteStatusOkay()
		}},
		OnPodDeletionOrEvictionStarted: func(p *corev1.Pod, eviction bool) {
			report(M("ProgressEvicting", "Pod", p.Name))
		},
		OnPodDeletionOrEvictionFinished: func(p *corev1.Pod, eviction bool, err error) {
			if err == nil {
				report(M("ProgressEvicted", "Pod", p.Name))
			}
		},
	}
}

// uncordon makes node schedulable and forgets it in State. Already
// schedulable (or deleted) nodes count as done.
func uncordon(ctx context.Context, env *Env, node string) error {
	var out bytes.Buffer
	n, err := env.Cluster.Client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		env.State.Uncordoned(node)
		return nil
	}
	if err != nil {
		return fail(err, M("StepUncordonFailed", "Node", node, "Error", err.Error()), M("HintUncordon", "Node", node))
	}
	if err := drain.RunCordonOrUncordon(helper(ctx, env, node, &out, func(Msg) {}), n, false); err != nil {
		return fail(err, M("StepUncordonFailed", "Node", node, "Error", err.Error()), M("HintUncordon", "Node", node))
	}
	env.State.Uncordoned(node)
	return nil
}

// UncordonAll uncordons every node the run cordoned and returns them. It
// keeps going past errors and returns them joined; call it with a fresh,
// short context after a cancellation.
func UncordonAll(ctx context.Context, env *Env) ([]string, error) {
	var done []string
	var errs []string
	for _, n := range env.State.CordonedNodes() {
		if err := uncordon(ctx, env, n); err != nil {
			errs = append(errs, err.Error())
			continue
		}
		done = append(done, n)
	}
	if len(errs) > 0 {
		return done, &Failure{Msg: M("StepUncordonFailed", "Node", strings.Join(env.State.CordonedNodes(), ", "), "Error", strings.Join(errs, "; ")),
			Hint: M("HintUncordon", "Node", strings.Join(env.State.CordonedNodes(), " "))}
	}
	return done, nil
}
