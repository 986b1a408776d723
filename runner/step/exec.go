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
	// Pod is the pod's name.
	Pod string `yaml:"pod"`
	// Container defaults to the pod's first container.
	Container string `yaml:"container"`
	// Command is the argv to run (no shell unless you call one).
	Command []string `yaml:"command"`
}

func init() {
	RegisterAction[Exec]("exec", `{pod: mysql-2, container: mysql, command: [sh, -c, "mv /usr/bin/mysql /usr/bin/mysql.off"]}`)
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

// TargetPods implements PodTarget.
func (a *Exec) TargetPods() ([]string, string) { return []string{a.Pod}, a.Container }
