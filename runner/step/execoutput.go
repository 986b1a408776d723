package step

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubetutor/kubetutor/runner/kube"
	"github.com/kubetutor/kubetutor/runner/lesson"
)

// ExecOutput runs a command in a container until its exit code and output
// are what the lesson expects — what a learner does with `kubectl exec …
// cat` or `curl` to convince themselves ("the file is gone", "mehdb-1 has
// the key"). The output is stdout followed by stderr, as a terminal shows
// it. While the pod is missing or not running, or the exec itself fails
// (the API server or the kubelet cannot be reached), it keeps waiting and
// says so; the command re-runs at once when the pod changes, else after a
// short backoff (exec has no watch). On timeout it reports the last exit
// code and the last lines of output.
type ExecOutput struct {
	// Pod is the pod's name.
	Pod string `yaml:"pod"`
	// Container defaults to the pod's first container.
	Container string `yaml:"container"`
	// Command is the argv to run (no shell unless you call one).
	Command []string `yaml:"command"`
	// ExitCode is the exit status expected (default 0).
	ExitCode *int `yaml:"exitCode"`
	// Equals is the whole output expected, leading and trailing white space
	// ignored.
	Equals *string `yaml:"equals"`
	// Contains is text the output must contain.
	Contains string `yaml:"contains"`
	// NotContains is text the output must not contain.
	NotContains string `yaml:"notContains"`
}

func init() {
	RegisterCheck[ExecOutput]("execOutput", `{pod: web-0, command: [cat, /data/test.txt], exitCode: 1, contains: "No such file or directory"}`)
}

// Validate implements lesson.Body.
func (c *ExecOutput) Validate(v *lesson.Validator) {
	v.Require(c.Pod != "", "pod")
	v.Require(len(c.Command) > 0, "command")
	v.Require(c.ExitCode == nil || *c.ExitCode >= 0 && *c.ExitCode < 256, "exitCode (0–255)")
}

func (c *ExecOutput) wantCode() int {
	if c.ExitCode == nil {
		return 0
	}
	return *c.ExitCode
}

// Describe implements Kind.
func (c *ExecOutput) Describe() Msg {
	equals, hasEquals := "", c.Equals != nil
	if hasEquals {
		equals = *c.Equals
	}
	return M("KindExecOutput", "Pod", c.Pod, "Command", strings.Join(c.Command, " "), "Code", c.wantCode(),
		"HasEquals", hasEquals, "Equals", equals, "Contains", c.Contains, "NotContains", c.NotContains)
}

// Verbs implements Kind.
func (c *ExecOutput) Verbs() []Verb {
	return []Verb{{Resource: "pods", Subresource: "exec", Verb: "create"}, {Resource: "pods", Verb: "list"}, {Resource: "pods", Verb: "watch"}}
}

// Evidence implements Check: only the command inside the pod can tell.
func (c *ExecOutput) Evidence(h *History, since time.Time) Evidence { return Evidence{Proof: Inside} }

// Wait implements Check.
func (c *ExecOutput) Wait(ctx context.Context, env *Env, report Reporter) error {
	mm := newMismatch(env, report)
	var mu sync.Mutex
	var pod *corev1.Pod
	listed := make(chan struct{})
	changed := make(chan struct{}, 1)
	go func() {
		first := true
		_ = watchUntil(ctx, env.podsLister(), "", func(s snapshot) (bool, error) {
			p, _ := s[c.Pod].(*corev1.Pod)
			mu.Lock()
			pod = p
			mu.Unlock()
			if first {
				first = false
				close(listed)
			}
			select {
			case changed <- struct{}{}:
			default:
			}
			return false, nil
		}, mm.apiError)
	}()
	select {
	case <-ctx.Done():
		return mm.failure(ctx, ctx.Err())
	case <-listed:
	}
	b := newBackoff()
	for {
		mu.Lock()
		p := pod
		mu.Unlock()
		switch {
		case p == nil:
			mm.set(M("StatePodMissing", "Pod", c.Pod), M("HintPodsReady", "Namespace", env.Namespace()))
		case p.Status.Phase != corev1.PodRunning || p.DeletionTimestamp != nil:
			mm.set(podState(c.Pod, p), M("HintPodsReady", "Namespace", env.Namespace()))
		case c.try(ctx, env, mm):
			return nil
		}
		if err := b.wait(ctx, changed, maxBackoff); err != nil {
			return mm.failure(ctx, err)
		}
		b.d = min(b.d, execRetry)
	}
}

// execRetry caps the pause between two runs of the command when the pod
// does not change: long enough not to load the kubelet, short enough that
// the check passes within a second or two of the state changing.
const execRetry = time.Second

// try runs the command once and reports whether it matched.
func (c *ExecOutput) try(ctx context.Context, env *Env, mm *mismatch) bool {
	var stdout, stderr bytes.Buffer
	err := env.Cluster.Exec.Exec(ctx, env.Namespace(), c.Pod, c.Container, c.Command, &stdout, &stderr)
	if ctx.Err() != nil {
		return false
	}
	code := 0
	if err != nil {
		var exit kube.ExitError
		if !asErr(err, &exit) {
			mm.set(M("StateExecFailed", "Pod", c.Pod, "Error", oneLine(err.Error())), M("HintExec", "Namespace", env.Namespace(), "Pod", c.Pod))
			return false
		}
		code = exit.Code
	}
	out := stdout.String() + stderr.String()
	if why := c.mismatch(code, out); why != "" {
		mm.set(M("StateExecOutput", "Pod", c.Pod, "Command", strings.Join(c.Command, " "), "Code", code, "Why", why, "Output", lastLines(out, 5)),
			M("HintExecOutput", "Namespace", env.Namespace(), "Pod", c.Pod, "Command", strings.Join(c.Command, " ")))
		return false
	}
	return true
}

// mismatch says which expectation the result fails ("" when none):
// "exitCode", "equals", "contains" or "notContains".
func (c *ExecOutput) mismatch(code int, out string) string {
	switch {
	case code != c.wantCode():
		return "exitCode"
	case c.Equals != nil && strings.TrimSpace(out) != strings.TrimSpace(*c.Equals):
		return "equals"
	case c.Contains != "" && !strings.Contains(out, c.Contains):
		return "contains"
	case c.NotContains != "" && strings.Contains(out, c.NotContains):
		return "notContains"
	}
	return ""
}

// TargetPods implements PodTarget.
func (c *ExecOutput) TargetPods() ([]string, string) { return []string{c.Pod}, c.Container }
