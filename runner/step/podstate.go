package step

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// PodReady reports whether the pod is Ready and not being deleted.
func PodReady(p *corev1.Pod) bool {
	if p == nil || p.DeletionTimestamp != nil {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func podCondition(p *corev1.Pod, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == t {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

// podState describes why a pod is not Ready, concretely: missing,
// terminating, unscheduled, in which init container, which containers are
// ready and why the others wait.
func podState(name string, p *corev1.Pod) Msg {
	if p == nil {
		return M("StatePodMissing", "Pod", name)
	}
	if p.DeletionTimestamp != nil {
		return M("StatePodTerminating", "Pod", name)
	}
	if c := podCondition(p, corev1.PodScheduled); c != nil && c.Status == corev1.ConditionFalse {
		return M("StatePodUnscheduled", "Pod", name, "Reason", oneLine(c.Message))
	}
	if p.Spec.NodeName == "" {
		return M("StatePodPending", "Pod", name)
	}
	for i, cs := range p.Status.InitContainerStatuses {
		if cs.State.Terminated != nil && cs.State.Terminated.ExitCode == 0 {
			continue
		}
		return M("StatePodInit", "Pod", name, "Container", cs.Name, "N", i+1, "Of", len(p.Spec.InitContainers), "State", containerState(cs))
	}
	total, ready := len(p.Spec.Containers), 0
	var waiting []string
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Ready {
			ready++
			continue
		}
		waiting = append(waiting, cs.Name+": "+containerState(cs))
	}
	if len(waiting) == 0 && ready == total && total > 0 {
		return M("StatePodReadyPending", "Pod", name, "Ready", fmt.Sprintf("%d/%d", ready, total))
	}
	if len(waiting) == 0 {
		waiting = append(waiting, string(p.Status.Phase))
	}
	return M("StatePodNotReady", "Pod", name, "Ready", fmt.Sprintf("%d/%d", ready, total), "Detail", strings.Join(waiting, ", "))
}

// containerState names a container's state in Kubernetes' words (reasons
// such as PodInitializing or CrashLoopBackOff are not translated anywhere).
func containerState(cs corev1.ContainerStatus) string {
	switch {
	case cs.State.Waiting != nil:
		return cs.State.Waiting.Reason
	case cs.State.Terminated != nil:
		return fmt.Sprintf("%s (exit %d)", cs.State.Terminated.Reason, cs.State.Terminated.ExitCode)
	case cs.State.Running != nil:
		// Kubernetes' own word, as kubectl shows it: the message around
		// it says, translated, how many containers are ready.
		return "Running"
	}
	return "Unknown"
}
