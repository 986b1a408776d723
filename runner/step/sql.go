package step

import (
	"context"
	"fmt"
	"strings"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// SQL runs statements on one connection to a pod (e.g. mysql-0, the
// primary, for writes) or through a service (one of its ready endpoints,
// picked like the Service would), over a port-forward, and reports which
// server answered (@@server_id). Connecting is retried with a backoff
// bounded by the step's context, since a pod can be Ready a moment before
// its endpoint is; statements run once.
type SQL struct {
	SQLTarget `yaml:",inline"`
	// Statements run in order on one connection.
	Statements []string `yaml:"statements"`
}

func init() {
	RegisterAction[SQL]("sql", `{pod: mysql-0, statements: ["CREATE DATABASE IF NOT EXISTS test"]}`)
}

// Validate implements lesson.Body.
func (a *SQL) Validate(v *lesson.Validator) {
	v.Require((a.Pod == "") != (a.Service == ""), "pod|service")
	v.Require(len(a.Statements) > 0, "statements")
}

// Describe implements Kind.
func (a *SQL) Describe() Msg {
	return M("KindSQL", "Target", targetName(a.SQLTarget), "Statements", strings.Join(a.Statements, "; "))
}

// Verbs implements Kind.
func (a *SQL) Verbs() []Verb { return sqlVerbs }

// sqlVerbs are what reaching a pod's or a service's database takes.
var sqlVerbs = []Verb{{Resource: "pods", Subresource: "portforward", Verb: "create"},
	{Resource: "pods", Verb: "get"}, {Group: "discovery.k8s.io", Resource: "endpointslices", Verb: "list"}}

// Run implements Action.
func (a *SQL) Run(ctx context.Context, env *Env, report Reporter) (Outcome, error) {
	conn, err := connectRetry(ctx, env, a.SQLTarget, report)
	if err != nil {
		return Outcome{}, err
	}
	defer conn.Close()
	var out strings.Builder
	for _, st := range a.Statements {
		fmt.Fprintf(&out, "> %s\n", st)
		cols, rows, err := conn.queryRows(ctx, st)
		if err != nil {
			return Outcome{Output: out.String()}, fail(err, M("StepSQLFailed", "Statement", st, "Pod", conn.pod, "Error", err.Error()), sqlHint(env, a.SQLTarget, err))
		}
		out.WriteString(formatTable(cols, rows))
	}
	id, err := conn.serverID(ctx)
	if err != nil {
		id = "?"
	}
	return Outcome{Msg: M("OutcomeSQL", "Count", len(a.Statements), "Pod", conn.pod, "ServerID", id), Output: out.String()}, nil
}

// Commands implements Action: the mysql client run with kubectl exec in
// the pod, connected over TCP as the tutor is (-h 127.0.0.1); through a
// service, run in one of its ready endpoints' pods and connected to the
// service's name, so the Service picks the server.
func (a *SQL) Commands(ctx context.Context, env *Env) (ByHand, error) {
	pod, host, note := a.Pod, "127.0.0.1", Msg{}
	if a.Service != "" {
		pods, _, err := readyEndpoints(ctx, env, a.Service)
		if err == nil && len(pods) == 0 {
			err = errNoEndpoint{a.Service}
		}
		if err != nil {
			return ByHand{}, fail(err, M("StateSQLConnect", "Target", targetName(a.SQLTarget), "Error", oneLine(err.Error())), sqlHint(env, a.SQLTarget, err))
		}
		pod, host = pods[0], a.Service
		note = M("ByHandSQLService", "Pod", pod, "Service", a.Service)
	}
	user := a.User
	if user == "" {
		user = "root"
	}
	argv := []string{"mysql", "-h", host, "-u", user, "-e", strings.Join(a.Statements, "; ")}
	return ByHand{Lines: []string{env.kubectl(execArgs(pod, "", argv)...)}, Note: note}, nil
}

// connectRetry connects to the target, retrying failures to connect until
// ctx ends; the failure names the last error.
func connectRetry(ctx context.Context, env *Env, t SQLTarget, report Reporter) (*sqlConn, error) {
	mm := newMismatch(env, report)
	b := newBackoff()
	for {
		conn, err := dialSQL(ctx, env, t)
		if err == nil {
			return conn, nil
		}
		mm.set(M("StateSQLConnect", "Target", targetName(t), "Error", oneLine(err.Error())), sqlHint(env, t, err))
		if werr := b.wait(ctx, nil); werr != nil {
			return nil, mm.failure(ctx, werr)
		}
	}
}
