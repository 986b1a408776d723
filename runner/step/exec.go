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
// container to break its readiness probe.
type Exec struct {
	lesson.Exec
}

// Describe implements Action.
func (a *Exec) Describe() Msg {
	return M("ActionExec", "Pod", a.Pod, "Container", a.Container, "Command", strings.Join(a.Command, " "))
}

// Run implements Action.
func (a *Exec) Run(ctx context.Context, env *Env, report Reporter) (Outcome, error) {
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
