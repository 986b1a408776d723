package step

import (
	"bytes"
	"context"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/kubectl/pkg/drain"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// Drain cordons the node of a pod (or a named node), with the lesson's mark
// (see CordonedByAnnotation), then evicts the lesson namespace's pods on it
// through the eviction API, like `kubectl drain --ignore-daemonsets
// --delete-emptydir-data --force` limited to one namespace: PodDisruption-
// Budgets are respected, DaemonSet and mirror pods stay, pods without a
// controller (a client pod) are evicted too, and emptyDir data goes with
// its pod. It lists pods only in the lesson's namespace, so a learner needs
// no right to read other namespaces, and learners sharing a cluster never
// evict each other's pods. Eviction and waiting are kubectl's drain library.
//
// Done by hand it is `kubectl drain NODE --ignore-daemonsets
// --delete-emptydir-data --force --pod-selector SELECTOR` (Commands), the
// node being the one the pod is on when the step is armed.
type Drain struct {
	NodeOp `yaml:",inline"`
	armed  armedNode
}

func init() { RegisterAction[Drain]("drain", `{pod: mysql-2}`) }

// Validate implements lesson.Body.
func (a *Drain) Validate(v *lesson.Validator) { validateNodeOp(v, a.NodeOp) }

// Describe implements Kind.
func (a *Drain) Describe() Msg { return M("KindDrain", "Pod", a.Pod, "Node", a.Node) }

// Verbs implements Kind.
func (a *Drain) Verbs() []Verb {
	return append(nodeVerbs, Verb{Resource: "pods", Verb: "list"}, Verb{Resource: "pods", Subresource: "eviction", Verb: "create"})
}

// Prepare implements Preparer: it records the node the step is about (the
// pod's, when armed), so that neither Run nor Commands pick the node the
// pod moved to after a drain by hand.
func (a *Drain) Prepare(ctx context.Context, env *Env) error {
	a.armed.prepare(ctx, env, a.NodeOp)
	return nil
}

// Commands implements Action. kubectl drain lists the node's pods in every
// namespace, so --pod-selector limits it to the lesson's pods; unlike the
// tutor's, it also evicts such pods of other namespaces (another learner's
// on a shared cluster), and it does not mark the cordon as the lesson's —
// the tutor adopts it once the step passes (see Adopter).
func (a *Drain) Commands(ctx context.Context, env *Env) (ByHand, error) {
	node, err := a.armed.node(ctx, env, a.NodeOp)
	if err != nil {
		return ByHand{}, err
	}
	args := []string{"drain", node, "--ignore-daemonsets", "--delete-emptydir-data", "--force"}
	note := M("ByHandDrainAll", "Namespace", env.Namespace())
	if sel := env.Spec.Selector; sel != "" {
		args = append(args, "--pod-selector", sel)
		note = M("ByHandDrain", "Namespace", env.Namespace(), "Selector", sel)
	}
	return ByHand{Lines: []string{env.kubectl(args...)}, Note: note}, nil
}

// AlreadyDone implements AlreadyDoner: the node is cordoned and none of
// the namespace's pods that a drain evicts is left on it.
func (a *Drain) AlreadyDone(ctx context.Context, env *Env) (bool, Msg) {
	node, cordoned := a.armed.unschedulable(ctx, env, a.NodeOp)
	if !cordoned {
		return false, Msg{}
	}
	pods, err := podsToEvict(ctx, env, node)
	if err != nil || len(pods) > 0 {
		return false, Msg{}
	}
	return true, M("AlreadyDrained", "Node", node)
}

// Adopt implements Adopter: a node drained by hand gets the lesson's mark.
func (a *Drain) Adopt(ctx context.Context, env *Env) error { return a.armed.adopt(ctx, env) }

// Run implements Action.
func (a *Drain) Run(ctx context.Context, env *Env, report Reporter) (Outcome, error) {
	node, err := a.armed.node(ctx, env, a.NodeOp)
	if err != nil {
		return Outcome{}, err
	}
	if _, err := cordon(ctx, env, node); err != nil {
		return Outcome{}, err
	}
	var out syncBuffer
	evicted := &uidSet{}
	mm := newMismatch(env, report)
	b := newBackoff()
	var down outage
	for {
		pods, err := podsToEvict(ctx, env, node)
		if err == nil {
			err = evictor(ctx, env, &out, report, evicted).DeleteOrEvictPods(pods)
		}
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return Outcome{Output: out.String()}, &Failure{Msg: M("StepCanceled"), Err: ctx.Err()}
		}
		if !down.ongoing(err) {
			return Outcome{Output: out.String()}, fail(err, M("StepDrainFailed", "Node", node, "Error", oneLine(err.Error())), M("HintDrain", "Node", node))
		}
		// The API server went away while pods were evicted or awaited
		// (kubectl's wait gives up at the first error). Once it answers,
		// drain again: the node stays cordoned, and pods already on their
		// way out are skipped, so nothing is evicted twice.
		mm.apiError(err)
		if werr := b.wait(ctx, nil, outageRetry); werr != nil {
			return Outcome{Output: out.String()}, &Failure{Msg: M("StepCanceled"), Err: werr}
		}
	}
	return Outcome{Msg: M("OutcomeDrained", "Node", node, "Count", evicted.len()), Output: out.String()}, nil
}

// EvictFromNode evicts env's namespace's pods on node, as a drain does
// after its cordon, and returns their names. It does not cordon.
func EvictFromNode(ctx context.Context, env *Env, node string, report Reporter) ([]string, error) {
	pods, err := podsToEvict(ctx, env, node)
	if err != nil {
		return nil, fail(err, M("StepDrainFailed", "Node", node, "Error", oneLine(err.Error())), applyHint(err))
	}
	var out syncBuffer
	if err := evictor(ctx, env, &out, report, &uidSet{}).DeleteOrEvictPods(pods); err != nil {
		return nil, fail(err, M("StepDrainFailed", "Node", node, "Error", oneLine(err.Error())), M("HintDrain", "Node", node))
	}
	names := make([]string, len(pods))
	for i, p := range pods {
		names[i] = p.Name
	}
	return names, nil
}

// podsToEvict lists the namespace's pods on node that a drain evicts: all
// but DaemonSet pods, mirror pods and pods already being deleted.
func podsToEvict(ctx context.Context, env *Env, node string) ([]corev1.Pod, error) {
	l, err := env.Cluster.Client.CoreV1().Pods(env.Namespace()).List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("spec.nodeName", node).String()})
	if err != nil {
		return nil, err
	}
	var out []corev1.Pod
	for _, p := range l.Items {
		if p.Spec.NodeName != node || p.DeletionTimestamp != nil {
			continue // the fake clientset ignores field selectors
		}
		if _, mirror := p.Annotations[corev1.MirrorPodAnnotationKey]; mirror {
			continue
		}
		if c := metav1.GetControllerOf(&p); c != nil && c.Kind == "DaemonSet" {
			continue
		}
		out = append(out, p)
	}
	return out, nil
}

// evictor configures kubectl's drain library to evict pods; evicted
// collects the UIDs of the pods it starts to evict. The library evicts
// each pod in a goroutine of its own: it writes to out and calls report
// (one call at a time) from them.
func evictor(ctx context.Context, env *Env, out *syncBuffer, report Reporter, evicted *uidSet) *drain.Helper {
	var mu sync.Mutex
	report = func(r Reporter) Reporter {
		return func(m Msg) {
			mu.Lock()
			defer mu.Unlock()
			r(m)
		}
	}(report)
	return &drain.Helper{
		Ctx:                 ctx,
		Client:              env.Cluster.Client,
		Force:               true,
		GracePeriodSeconds:  -1,
		IgnoreAllDaemonSets: true,
		DeleteEmptyDirData:  true,
		Out:                 out,
		ErrOut:              out,
		OnPodDeletionOrEvictionStarted: func(p *corev1.Pod, eviction bool) {
			if evicted.add(p.UID) {
				report(M("ProgressEvicting", "Pod", p.Name))
			}
		},
		OnPodDeletionOrEvictionFinished: func(p *corev1.Pod, eviction bool, err error) {
			if err == nil {
				report(M("ProgressEvicted", "Pod", p.Name))
			}
		},
	}
}

// syncBuffer is a bytes.Buffer safe for the drain library's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// uidSet is a set of UIDs safe for the drain library's goroutines (one per
// pod).
type uidSet struct {
	mu   sync.Mutex
	uids map[types.UID]bool
}

// add adds u and reports whether it was new.
func (s *uidSet) add(u types.UID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.uids[u] {
		return false
	}
	if s.uids == nil {
		s.uids = map[types.UID]bool{}
	}
	s.uids[u] = true
	return true
}

func (s *uidSet) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.uids)
}

// TargetPods implements PodTarget.
func (a *Drain) TargetPods() ([]string, string) { return nonEmpty(a.Pod), "" }
