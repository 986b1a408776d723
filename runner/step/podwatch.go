package step

import (
	"context"
	"sort"

	corev1 "k8s.io/api/core/v1"
)

// WatchPods streams the pods of the lesson's namespace that selector
// matches (the lesson's selector when empty): fn gets the whole current set,
// sorted by name, after the initial list and after every change, until ctx
// ends. The TUI's pods pane runs it in a goroutine feeding a channel.
func WatchPods(ctx context.Context, env *Env, selector string, fn func([]*corev1.Pod)) error {
	if selector == "" {
		selector = env.Spec.Selector
	}
	eval := func(s snapshot) (bool, error) {
		pods := make([]*corev1.Pod, 0, len(s))
		for _, o := range s {
			if p, ok := o.(*corev1.Pod); ok {
				pods = append(pods, p)
			}
		}
		sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
		fn(pods)
		return false, nil
	}
	err := watchUntil(ctx, env.podsLister(), selector, eval, func(error) {})
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// PodSummary is a pod's state in one line for a live pane: name, ready
// containers, phase or waiting reason, restarts and node.
type PodSummary struct {
	Name, Ready, Status, Node string
	Restarts                  int32
}

// Summarize describes a pod like `kubectl get pods -o wide` does.
func Summarize(p *corev1.Pod) PodSummary {
	s := PodSummary{Name: p.Name, Node: p.Spec.NodeName, Status: string(p.Status.Phase)}
	ready := 0
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Ready {
			ready++
		}
		s.Restarts += cs.RestartCount
		if cs.State.Waiting != nil && cs.State.Waiting.Reason != "" {
			s.Status = cs.State.Waiting.Reason
		}
	}
	for i, cs := range p.Status.InitContainerStatuses {
		if cs.State.Terminated != nil && cs.State.Terminated.ExitCode == 0 {
			continue
		}
		s.Status = "Init:" + itoa(i) + "/" + itoa(len(p.Spec.InitContainers))
		if cs.State.Waiting != nil && cs.State.Waiting.Reason != "" && cs.State.Waiting.Reason != "PodInitializing" {
			s.Status = "Init:" + cs.State.Waiting.Reason
		}
		break
	}
	if p.DeletionTimestamp != nil {
		s.Status = "Terminating"
	}
	s.Ready = itoa(ready) + "/" + itoa(len(p.Spec.Containers))
	return s
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}
