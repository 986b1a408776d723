package engine

import (
	"context"
	"time"

	"github.com/kubetutor/kubetutor/runner/evidence"
	"github.com/kubetutor/kubetutor/runner/step"
)

// RepairCordons uncordons the nodes that this lesson, in this namespace,
// left cordoned — a run killed during a drain leaves the node cordoned with
// the lesson's mark (step.CordonedByAnnotation) — and returns them. Nodes
// cordoned by anyone else are not touched. Every entry point calls it
// before anything else: run (as a preflight item), the TUI when it opens a
// lesson, reset and cleanup.
func (e *Engine) RepairCordons(ctx context.Context) ([]string, error) {
	if len(step.MarkedNodes(ctx, e.env, e.env.CordonMark())) == 0 {
		return nil, nil
	}
	return step.UncordonAll(ctx, e.env)
}

// Judge tells how far the lesson got in this namespace: from what the
// cluster shows and remembers (runner/evidence), with rec — what an earlier
// session recorded — filling in what the cluster cannot show (steps judged
// by SQL or a command in a pod). epoch is when the current attempt began
// (a reset); older history does not count. One LIST per kind; no check
// waits. Steps are judged by their variants for this cluster's storage.
func (e *Engine) Judge(ctx context.Context, rec evidence.Record, epoch time.Time) (evidence.Progress, error) {
	h, err := evidence.Read(ctx, e.env, epoch)
	if err != nil {
		return evidence.Progress{Reached: -1}, err
	}
	if !e.facts.Reachable && e.facts.Storage.Kind == "" {
		// Before preflight: the steps' variants still depend on the
		// storage (a drain where volumes are node-local is proven by the
		// pod staying Pending, not by a move).
		if s, err := DetectStorage(ctx, e.env.Cluster.Client, e.env.Namespace()); err == nil {
			e.facts.Storage = s
		}
	}
	return evidence.Judge(e.Steps(), h, rec), nil
}
