package chaos

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/kubetutor/kubetutor/runner/step"
)

// nodeWatch follows the cluster's nodes through an informer and keeps what
// the harness checks about the lesson's cordons: the nodes that carry its
// mark (step.CordonedByAnnotation) and are cordoned now, the most it ever
// held at once, when a node was released, and a signal when a cordon
// begins — the drain, which the harness kills right then.
type nodeWatch struct {
	mark string

	mu       sync.Mutex
	marked   map[string]bool        // cordoned with the lesson's mark now
	cordoned map[string]bool        // unschedulable now, whoever did it
	released map[string][]time.Time // when each node lost the lesson's cordon
	most     int
	mostAt   time.Time
	// began receives the time a node gets the lesson's cordon (buffered
	// 1: only the newest matters; the harness drains it at each start).
	began chan time.Time
}

// watchNodes starts watching nodes until ctx ends; mark is the lesson's
// cordon mark ("<namespace>/<lesson>").
func watchNodes(ctx context.Context, cs kubernetes.Interface, mark string) (*nodeWatch, error) {
	w := &nodeWatch{mark: mark, marked: map[string]bool{}, cordoned: map[string]bool{},
		released: map[string][]time.Time{}, began: make(chan time.Time, 1)}
	f := informers.NewSharedInformerFactory(cs, 0)
	inf := f.Core().V1().Nodes().Informer()
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { w.saw(o, false) },
		UpdateFunc: func(_, o any) { w.saw(o, false) },
		DeleteFunc: func(o any) { w.saw(o, true) },
	}); err != nil {
		return nil, fmt.Errorf("watch nodes: %w", err)
	}
	f.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		return nil, fmt.Errorf("watch nodes: the node list did not arrive: %w", context.Cause(ctx))
	}
	return w, nil
}

func (w *nodeWatch) saw(o any, deleted bool) {
	if d, ok := o.(cache.DeletedFinalStateUnknown); ok {
		o, deleted = d.Obj, true
	}
	n, ok := o.(*corev1.Node)
	if !ok {
		return
	}
	now := time.Now()
	ours := !deleted && n.Spec.Unschedulable && n.Annotations[step.CordonedByAnnotation] == w.mark
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cordoned[n.Name] = !deleted && n.Spec.Unschedulable
	switch was := w.marked[n.Name]; {
	case ours && !was:
		w.marked[n.Name] = true
		select {
		case <-w.began:
		default:
		}
		w.began <- now
	case !ours && was:
		delete(w.marked, n.Name)
		w.released[n.Name] = append(w.released[n.Name], now)
	}
	if len(w.marked) > w.most {
		w.most, w.mostAt = len(w.marked), now
	}
}

// Marked lists the nodes cordoned with the lesson's mark now, sorted (the
// order kubetutor names them in).
func (w *nodeWatch) Marked() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return sortedKeys(w.marked)
}

// Cordoned lists every unschedulable node now, whoever cordoned it.
func (w *nodeWatch) Cordoned() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return sortedKeys(w.cordoned)
}

// ReleasedSince reports whether node lost the lesson's cordon after t.
func (w *nodeWatch) ReleasedSince(node string, t time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, at := range w.released[node] {
		if at.After(t) {
			return true
		}
	}
	return false
}

// Most is the most nodes the lesson held cordoned at once, and when.
func (w *nodeWatch) Most() (int, time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.most, w.mostAt
}

// Began signals each new cordon of the lesson. Forget drops a signal from
// before a start.
func (w *nodeWatch) Began() <-chan time.Time { return w.began }

// Forget drops a pending cordon signal.
func (w *nodeWatch) Forget() {
	select {
	case <-w.began:
	default:
	}
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k, v := range m {
		if v {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
