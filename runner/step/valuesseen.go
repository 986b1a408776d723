package step

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// defaultWindow is how long one round of ValuesSeen reads lasts.
const defaultWindow = 10 * time.Second

// readEvery paces the reads within a window: each read is a new
// connection, so a new pick among the service's ready endpoints.
const readEvery = 150 * time.Millisecond

// ValuesSeen reads a one-value query repeatedly over a window, each time on
// a new connection, and compares the set of values seen with Include (all
// must be seen) and Exclude (none may be seen) — e.g. through mysql-read,
// server IDs 100, 101 and 102 all answer; after breaking mysql-2's probe,
// 102 does not. Windows repeat until one matches or the context ends.
type ValuesSeen struct {
	SQLTarget `yaml:",inline"`
	// Query returns one value, e.g. "SELECT @@server_id".
	Query string `yaml:"query"`
	// Window is how long one round of reads lasts (default 10s).
	Window lesson.Duration `yaml:"window"`
	// Include are values that must all be seen within one window.
	Include []string `yaml:"include"`
	// Exclude are values that must not be seen within one window.
	Exclude []string `yaml:"exclude"`
}

func init() {
	RegisterCheck[ValuesSeen]("valuesSeen", `{service: mysql-read, query: "SELECT @@server_id", window: 10s, include: ["100", "101"], exclude: ["102"]}`)
}

// Validate implements lesson.Body.
func (c *ValuesSeen) Validate(v *lesson.Validator) {
	v.Require((c.Pod == "") != (c.Service == ""), "pod|service")
	v.Require(c.Query != "", "query")
	v.Require(len(c.Include)+len(c.Exclude) > 0, "include|exclude")
}

// Describe implements Kind.
func (c *ValuesSeen) Describe() Msg {
	return M("KindValuesSeen", "Target", targetName(c.SQLTarget), "Query", c.Query,
		"Include", strings.Join(c.Include, ", "), "Exclude", strings.Join(c.Exclude, ", "))
}

// Verbs implements Kind.
func (c *ValuesSeen) Verbs() []Verb { return sqlVerbs }

// Evidence implements Check: only the database can tell.
func (c *ValuesSeen) Evidence(h *History, since time.Time) Evidence { return Evidence{Proof: Inside} }

func (c *ValuesSeen) window() time.Duration {
	if c.Window > 0 {
		return time.Duration(c.Window)
	}
	return defaultWindow
}

// Wait implements Check.
func (c *ValuesSeen) Wait(ctx context.Context, env *Env, report Reporter) error {
	mm := newMismatch(env, report)
	for {
		seen, lastErr := c.round(ctx, env)
		if ctx.Err() != nil && len(seen) == 0 {
			return mm.failure(ctx, ctx.Err())
		}
		missing, unwanted := c.compare(seen)
		if len(missing) == 0 && len(unwanted) == 0 && (len(seen) > 0 || len(c.Include) == 0) && ctx.Err() == nil {
			return nil
		}
		got := keys(seen)
		switch {
		case len(seen) == 0 && lastErr != nil:
			mm.set(M("StateSQLError", "Pod", "-", "Error", oneLine(lastErr.Error())), sqlHint(env, c.SQLTarget, lastErr))
		case len(unwanted) > 0:
			mm.set(M("StateValuesUnwanted", "Seen", strings.Join(got, ", "), "Unwanted", strings.Join(unwanted, ", "), "Window", c.window().String()), M("HintValuesUnwanted", "Target", targetName(c.SQLTarget)))
		default:
			mm.set(M("StateValuesMissing", "Seen", strings.Join(got, ", "), "Missing", strings.Join(missing, ", "), "Window", c.window().String()), M("HintValuesMissing", "Target", targetName(c.SQLTarget)))
		}
		if ctx.Err() != nil {
			return mm.failure(ctx, ctx.Err())
		}
	}
}

// round reads for one window and counts the values seen.
func (c *ValuesSeen) round(ctx context.Context, env *Env) (map[string]int, error) {
	wctx, cancel := context.WithTimeout(ctx, c.window())
	defer cancel()
	seen := map[string]int{}
	var lastErr error
	tick := time.NewTicker(readEvery)
	defer tick.Stop()
	for {
		v, err := c.read(wctx, env)
		if err == nil {
			seen[v]++
			// Stop early once the answer is certain: everything included
			// seen and nothing to exclude.
			if missing, unwanted := c.compare(seen); len(missing) == 0 && len(unwanted) == 0 && len(c.Exclude) == 0 {
				return seen, nil
			}
		} else if wctx.Err() == nil {
			lastErr = err
		}
		select {
		case <-wctx.Done():
			return seen, lastErr
		case <-tick.C:
		}
	}
}

func (c *ValuesSeen) read(ctx context.Context, env *Env) (string, error) {
	_, v, err := ReadValue(ctx, env, c.SQLTarget, c.Query)
	return v, err
}

func (c *ValuesSeen) compare(seen map[string]int) (missing, unwanted []string) {
	for _, v := range c.Include {
		if seen[v] == 0 {
			missing = append(missing, v)
		}
	}
	for _, v := range c.Exclude {
		if seen[v] > 0 {
			unwanted = append(unwanted, v)
		}
	}
	return
}

func keys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
