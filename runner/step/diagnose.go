package step

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
)

// signature is a known failure, recognised in a container's log.
type signature struct {
	needle string
	msg    string // message ID of the diagnosis
	hint   string // message ID of the hint
}

// signatures are the failures seen running the MySQL tutorial as published:
// clone-mysql finding no backup (the peer's sidecar sent nothing), DNS names
// of peers that do not resolve (headless service missing or in another
// namespace), and the MySQL/MariaDB naming differences.
var signatures = []signature{
	{"cannot open ./xtrabackup_checkpoints", "DiagCloneNoCheckpoints", "HintCloneNoCheckpoints"},
	{"Could not resolve hostname", "DiagCloneDNS", "HintCloneDNS"},
	{"Name or service not known", "DiagCloneDNS", "HintCloneDNS"},
	{"xtrabackup: command not found", "DiagXtrabackupMissing", "HintXtrabackupMissing"},
	{"Access denied for user", "DiagAccessDenied", "HintAccessDenied"},
}

// unschedulableGrace is how long a pod may wait for the scheduler before
// that is worth a diagnosis.
const unschedulableGrace = 15 * time.Second

// diagnoser recognises why a pod is stuck, fetching logs at most once per
// container restart. One diagnoser lives as long as one check.
type diagnoser struct {
	env  *Env
	seen map[string][]Msg // key: pod uid/container/reason/restarts
}

func newDiagnoser(env *Env) *diagnoser { return &diagnoser{env: env, seen: map[string][]Msg{}} }

// pod returns the diagnoses of a pod that is not progressing: image pulls
// that fail, containers that crash (with their last log lines and any known
// signature), init containers that failed, and pods the scheduler cannot
// place (with its reason).
func (d *diagnoser) pod(ctx context.Context, p *corev1.Pod) []Msg {
	var out []Msg
	if p == nil {
		return nil
	}
	statuses := append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...)
	for _, cs := range statuses {
		reason, bad := "", false
		switch {
		case cs.State.Waiting != nil:
			reason = cs.State.Waiting.Reason
			switch reason {
			case "ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName":
				// ErrImagePull and the back-off after it are one problem:
				// keep the first diagnosis, whose message is the clearest.
				key := fmt.Sprintf("%s/%s/pull/%s", p.UID, cs.Name, cs.Image)
				if _, ok := d.seen[key]; !ok {
					d.seen[key] = []Msg{M("DiagImagePull", "Pod", p.Name, "Container", cs.Name, "Image", cs.Image, "Reason", reason, "Detail", oneLine(cs.State.Waiting.Message))}
				}
				out = append(out, d.seen[key]...)
				continue
			case "CrashLoopBackOff", "CreateContainerError", "CreateContainerConfigError", "RunContainerError":
				bad = true
			}
		case cs.State.Terminated != nil && cs.State.Terminated.ExitCode != 0:
			reason, bad = fmt.Sprintf("exit %d", cs.State.Terminated.ExitCode), true
		}
		if !bad {
			continue
		}
		key := fmt.Sprintf("%s/%s/%s/%d", p.UID, cs.Name, reason, cs.RestartCount)
		if msgs, ok := d.seen[key]; ok {
			out = append(out, msgs...)
			continue
		}
		msgs := d.container(ctx, p, cs, reason)
		d.seen[key] = msgs
		out = append(out, msgs...)
	}
	if p.Status.Phase == corev1.PodPending {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
				why := c.Message
				if why == "" {
					why = d.schedulerEvent(ctx, p)
				}
				// Waiting for a claim to be created and bound is normal for
				// a few seconds; only a lasting refusal is a diagnosis (the
				// check's last mismatch carries the reason anyway).
				if !c.LastTransitionTime.IsZero() && d.env.now().Sub(c.LastTransitionTime.Time) < unschedulableGrace {
					continue
				}
				out = append(out, M("DiagUnschedulable", "Pod", p.Name, "Reason", oneLine(why)))
			}
		}
	}
	return out
}

// container looks at the last lines of a failing container's log.
func (d *diagnoser) container(ctx context.Context, p *corev1.Pod, cs corev1.ContainerStatus, reason string) []Msg {
	previous := cs.State.Waiting != nil && cs.RestartCount > 0
	logs := d.logs(ctx, p.Name, cs.Name, previous)
	if logs == "" && previous {
		logs = d.logs(ctx, p.Name, cs.Name, false)
	}
	out := matchSignatures(p.Name, cs.Name, logs)
	last := lastLines(logs, 5)
	if reason == "CrashLoopBackOff" || len(out) == 0 {
		out = append(out, M("DiagCrashLoop", "Pod", p.Name, "Container", cs.Name, "Reason", reason, "Restarts", cs.RestartCount, "Logs", last))
	}
	return out
}

func (d *diagnoser) logs(ctx context.Context, pod, container string, previous bool) string {
	tail := int64(20)
	req := d.env.Cluster.Client.CoreV1().Pods(d.env.Namespace()).GetLogs(pod, &corev1.PodLogOptions{Container: container, Previous: previous, TailLines: &tail})
	rc, err := req.Stream(ctx)
	if err != nil {
		return ""
	}
	defer rc.Close()
	b, _ := io.ReadAll(io.LimitReader(rc, 64<<10))
	return string(b)
}

// schedulerEvent returns the message of the latest FailedScheduling event.
func (d *diagnoser) schedulerEvent(ctx context.Context, p *corev1.Pod) string {
	evs, err := d.env.Cluster.Client.CoreV1().Events(d.env.Namespace()).List(ctx, metav1.ListOptions{
		FieldSelector: fields.SelectorFromSet(fields.Set{"involvedObject.name": p.Name}).String(),
	})
	if err != nil {
		return ""
	}
	items := evs.Items
	sort.Slice(items, func(i, j int) bool { return items[i].LastTimestamp.Before(&items[j].LastTimestamp) })
	for i := len(items) - 1; i >= 0; i-- {
		if items[i].Reason == "FailedScheduling" && items[i].InvolvedObject.Name == p.Name {
			return items[i].Message
		}
	}
	return ""
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// matchSignatures returns the diagnoses (and their hints) of the known
// failure signatures found in a container's log.
func matchSignatures(pod, container, logs string) []Msg {
	var out []Msg
	seen := map[string]bool{}
	for _, s := range signatures {
		if strings.Contains(logs, s.needle) && !seen[s.msg] {
			seen[s.msg] = true
			out = append(out, M(s.msg, "Pod", pod, "Container", container), M(s.hint, "Pod", pod))
		}
	}
	return out
}
