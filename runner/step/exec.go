package step

import (
	"bytes"
	"context"
	"strings"

	"github.com/kubetutor/kubetutor/runner/kube"
	"github.com/kubetutor/kubetutor/runner/lesson"
)

// Exec runs a command in a container (no shell unless the command calls
// one), e.g. `mv /usr/bin/mysql /usr/bin/mysql.off` in mysql-2's mysql
// container to break its readiness probe. With DoneIf, a command that
// tells whether that is already done (`test -e /usr/bin/mysql.off`), it
// runs only when it is not: a retry, or Enter after the learner typed it,
// does not fail on a file already moved.
type Exec struct {
	// Pod is the pod's name.
	Pod string `yaml:"pod"`
	// Container defaults to the pod's first container.
	Container string `yaml:"container"`
	// Command is the argv to run (no shell unless you call one): what the
	// learner types after `kubectl exec POD -c CONTAINER --`.
	Command []string `yaml:"command"`
	// DoneIf is an argv run first in the same container: exit status 0
	// means Command's effect is already there, and Command does not run.
	DoneIf []string `yaml:"doneIf"`
}

func init() {
	RegisterAction[Exec]("exec", `{pod: mysql-2, container: mysql, command: [mv, /usr/bin/mysql, /usr/bin/mysql.off], doneIf: [test, -e, /usr/bin/mysql.off]}`)
}

// Validate implements lesson.Body.
func (a *Exec) Validate(v *lesson.Validator) {
	v.Require(a.Pod != "", "pod")
	v.Require(len(a.Command) > 0, "command")
}

// Describe implements Kind.
func (a *Exec) Describe() Msg {
	return M("KindExec", "Pod", a.Pod, "Container", a.Container, "Command", strings.Join(a.Command, " "))
}

// Verbs implements Kind.
func (a *Exec) Verbs() []Verb { return []Verb{{Resource: "pods", Subresource: "exec", Verb: "create"}} }

// Commands implements Action: `kubectl exec POD -c CONTAINER -- COMMAND`,
// the argv quoted for a shell.
func (a *Exec) Commands(ctx context.Context, env *Env) (ByHand, error) {
	return ByHand{Lines: []string{env.kubectl(execArgs(a.Pod, a.Container, a.Command)...)}}, nil
}

// execArgs are kubectl's arguments to run argv in a container.
func execArgs(pod, container string, argv []string) []string {
	args := []string{"exec", pod}
	if container != "" {
		args = append(args, "-c", container)
	}
	return append(append(args, "--"), argv...)
}

// AlreadyDone implements AlreadyDoner: DoneIf exits with status 0.
func (a *Exec) AlreadyDone(ctx context.Context, env *Env) (bool, Msg) {
	if len(a.DoneIf) == 0 {
		return false, Msg{}
	}
	var out bytes.Buffer
	if err := env.Cluster.Exec.Exec(ctx, env.Namespace(), a.Pod, a.Container, a.DoneIf, &out, &out); err != nil {
		return false, Msg{}
	}
	return true, M("AlreadyDoneIf", "Pod", a.Pod, "Command", ShellJoin(a.DoneIf))
}

// Run implements Action.
func (a *Exec) Run(ctx context.Context, env *Env, report Reporter) (Outcome, error) {
	if done, why := a.AlreadyDone(ctx, env); done {
		return Outcome{Msg: why}, nil
	}
	var stdout, stderr bytes.Buffer
	err := env.Cluster.Exec.Exec(ctx, env.Namespace(), a.Pod, a.Container, a.Command, &stdout, &stderr)
	out := stdout.String() + stderr.String()
	if err != nil {
		var exit kube.ExitError
		if asErr(err, &exit) {
			return Outcome{Output: out}, fail(err, M("StepExecExit", "Pod", a.Pod, "Command", strings.Join(a.Command, " "), "Code", exit.Code, "Output", lastLines(out, 5)), M("HintExecExit"))
		}
		return Outcome{Output: out}, fail(err, M("StepExecFailed", "Pod", a.Pod, "Error", err.Error()), M("HintExec", "Namespace", env.Namespace(), "Pod", a.Pod))
	}
	return Outcome{Msg: M("OutcomeExec", "Pod", a.Pod), Output: out}, nil
}

// TargetPods implements PodTarget.
func (a *Exec) TargetPods() ([]string, string) { return []string{a.Pod}, a.Container }
