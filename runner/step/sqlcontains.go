package step

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// SQLContains waits until a query's result contains a value in some cell,
// e.g. `SELECT * FROM test.messages` through mysql-read contains "hello".
// SQL has no watch: it re-queries on a backoff bounded by the context, and
// at once whenever a pod or an endpoint of the namespace changes (watched).
type SQLContains struct {
	SQLTarget `yaml:",inline"`
	// Query is one statement that returns rows (SELECT, SHOW …).
	Query string `yaml:"query"`
	// Contains is a value that one cell of the result must equal (exactly,
	// as text).
	Contains string `yaml:"contains"`
}

func init() {
	RegisterCheck[SQLContains]("sqlContains", `{service: mysql-read, query: "SELECT * FROM test.messages", contains: hello}`)
}

// Validate implements lesson.Body.
func (c *SQLContains) Validate(v *lesson.Validator) {
	v.Require((c.Pod == "") != (c.Service == ""), "pod|service")
	v.Require(c.Query != "", "query")
	v.Require(c.Contains != "", "contains")
}

// Describe implements Kind.
func (c *SQLContains) Describe() Msg {
	return M("KindSQLContains", "Target", targetName(c.SQLTarget), "Query", c.Query, "Value", c.Contains)
}

// Verbs implements Kind: the port-forward, and the pods and endpoints it
// watches to retry when something moved.
func (c *SQLContains) Verbs() []Verb { return append(sqlVerbs, changesVerbs...) }

// Evidence implements Check: only the database can tell.
func (c *SQLContains) Evidence(h *History, since time.Time) Evidence { return Evidence{Proof: Inside} }

// Wait implements Check.
func (c *SQLContains) Wait(ctx context.Context, env *Env, report Reporter) error {
	mm := newMismatch(env, report)
	trigger := changes(ctx, env)
	b := newBackoff()
	for {
		if ok := c.try(ctx, env, mm); ok {
			return nil
		}
		if err := b.wait(ctx, trigger); err != nil {
			return mm.failure(ctx, err)
		}
		// SQL has no watch: a replica that starts its threads changes no
		// pod, so do not back off past a second (as execOutput).
		b.d = min(b.d, execRetry)
	}
}

func (c *SQLContains) try(ctx context.Context, env *Env, mm *mismatch) bool {
	conn, err := dialSQL(ctx, env, c.SQLTarget)
	if err != nil {
		if ctx.Err() == nil {
			mm.set(M("StateSQLConnect", "Target", targetName(c.SQLTarget), "Error", oneLine(err.Error())), sqlHint(env, c.SQLTarget, err))
		}
		return false
	}
	defer conn.Close()
	_, rows, err := conn.queryRows(ctx, c.Query)
	if err != nil {
		if ctx.Err() == nil {
			mm.set(M("StateSQLError", "Pod", conn.pod, "Error", oneLine(err.Error())), sqlHint(env, c.SQLTarget, err))
		}
		return false
	}
	var cells []string
	for _, r := range rows {
		for _, v := range r {
			if v == c.Contains {
				return true
			}
			cells = append(cells, v)
		}
	}
	seen := strings.Join(cells, ", ")
	if len(seen) > 200 {
		seen = seen[:200] + "…"
	}
	mm.set(M("StateSQLMissing", "Pod", conn.pod, "Value", c.Contains, "Rows", len(rows), "Seen", seen), M("HintSQLMissing", "Pod", conn.pod))
	return false
}

// changesVerbs are what changes watches.
var changesVerbs = []Verb{{Resource: "pods", Verb: "watch"}, {Group: "discovery.k8s.io", Resource: "endpointslices", Verb: "watch"}}

// changes returns a channel that receives (without blocking the watcher)
// whenever a pod or an EndpointSlice of the namespace changes, until ctx
// ends. Checks that must poll use it to re-try at once when something moved.
func changes(ctx context.Context, env *Env) <-chan struct{} {
	ch := make(chan struct{}, 1)
	poke := func(snapshot) (bool, error) {
		select {
		case ch <- struct{}{}:
		default:
		}
		return false, nil
	}
	for _, l := range []lister{env.podsLister(), env.endpointSlicesLister()} {
		go func() { _ = watchUntil(ctx, l, "", poke, func(error) {}) }()
	}
	return ch
}

// TargetPods implements PodTarget.
func (c *SQLContains) TargetPods() ([]string, string) { return nonEmpty(c.Pod), "" }

// KubectlWait implements KubectlWaiter: the mysql client in a loop until a
// cell equals the value.
func (c *SQLContains) KubectlWait(ctx context.Context, env *Env, timeout time.Duration) []string {
	q, err := env.mysqlQuery(ctx, c.SQLTarget, c.Query)
	if err != nil {
		return nil
	}
	test := fmt.Sprintf("%s 2>/dev/null | tr '\\t' '\\n' | grep -qxF -- %s", q, ShellQuote(c.Contains))
	return []string{untilLoop(test, 500*time.Millisecond, timeout)}
}
