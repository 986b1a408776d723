package step

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// defaultWindow is the span of reads ValuesSeen judges.
const defaultWindow = 10 * time.Second

// readEvery paces the reads: each read is a new connection, so a new pick
// among the service's ready endpoints.
const readEvery = 150 * time.Millisecond

// ValuesSeen reads a one-value query again and again, each time on a new
// connection, and compares the values of the last Window of reads (a
// sliding window) with Include (all must be among them) and Exclude (none
// may be) — e.g. through mysql-read, server IDs 100, 101 and 102 all
// answer; after breaking mysql-2's probe, 102 does not. It passes as soon
// as the last Window satisfies the rule: at once when every included value
// answered; with values to exclude, once reads have gone on for a whole
// Window since the last excluded answer.
type ValuesSeen struct {
	SQLTarget `yaml:",inline"`
	// Query returns one value, e.g. "SELECT @@server_id".
	Query string `yaml:"query"`
	// Window is the span of the latest reads judged (default 10s).
	Window lesson.Duration `yaml:"window"`
	// Include are values that must all be seen within the last Window.
	Include []string `yaml:"include"`
	// Exclude are values that must not be seen within the last Window.
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
	w := &readWindow{span: c.window()}
	tick := time.NewTicker(readEvery)
	defer tick.Stop()
	var lastErr error
	for {
		v, err := c.read(ctx, env)
		now := env.now()
		switch {
		case err == nil:
			w.add(now, v)
			lastErr = nil
		case ctx.Err() == nil:
			w.start(now)
			lastErr = err
		}
		ok, seen, missing, unwanted := c.verdict(w, now)
		if ok && ctx.Err() == nil {
			return nil
		}
		got := keys(seen)
		switch {
		case len(seen) == 0 && lastErr != nil:
			mm.set(M("StateSQLError", "Pod", "-", "Error", oneLine(lastErr.Error())), sqlHint(env, c.SQLTarget, lastErr))
		case len(unwanted) > 0:
			mm.set(M("StateValuesUnwanted", "Seen", strings.Join(got, ", "), "Unwanted", strings.Join(unwanted, ", "), "Window", w.span.String()), M("HintValuesUnwanted", "Target", targetName(c.SQLTarget)))
		case len(missing) > 0:
			mm.set(M("StateValuesMissing", "Seen", strings.Join(got, ", "), "Missing", strings.Join(missing, ", "), "Window", w.span.String()), M("HintValuesMissing", "Target", targetName(c.SQLTarget)))
		default:
			mm.set(M("StateValuesHolding", "Seen", strings.Join(got, ", "), "Exclude", strings.Join(c.Exclude, ", "), "Window", w.span.String()), Msg{})
		}
		select {
		case <-ctx.Done():
			return mm.failure(ctx, ctx.Err())
		case <-tick.C:
		}
	}
}

// verdict judges the reads of the last window at now: ok when every
// included value is among them, no excluded one is, something answered
// (unless nothing is to be included), and — with values to exclude — the
// reads span a whole window.
func (c *ValuesSeen) verdict(w *readWindow, now time.Time) (ok bool, seen map[string]int, missing, unwanted []string) {
	seen = w.seen(now)
	missing, unwanted = c.compare(seen)
	ok = len(missing) == 0 && len(unwanted) == 0 && (len(seen) > 0 || len(c.Include) == 0) &&
		(len(c.Exclude) == 0 || w.covers(now))
	return ok, seen, missing, unwanted
}

// readWindow keeps the reads of the last span.
type readWindow struct {
	span  time.Duration
	first time.Time // the first read (or attempt)
	reads []timedRead
}

type timedRead struct {
	at    time.Time
	value string
}

// start marks when reading began (the first attempt, even a failed one).
func (w *readWindow) start(at time.Time) {
	if w.first.IsZero() {
		w.first = at
	}
}

func (w *readWindow) add(at time.Time, v string) {
	w.start(at)
	w.reads = append(w.reads, timedRead{at, v})
}

// seen counts the values read within the span before now and forgets
// older reads.
func (w *readWindow) seen(now time.Time) map[string]int {
	cut := now.Add(-w.span)
	i := 0
	for i < len(w.reads) && !w.reads[i].at.After(cut) {
		i++
	}
	w.reads = w.reads[i:]
	out := map[string]int{}
	for _, r := range w.reads {
		out[r.value]++
	}
	return out
}

// covers reports whether reading has gone on for a whole span by now.
func (w *readWindow) covers(now time.Time) bool {
	return !w.first.IsZero() && now.Sub(w.first) >= w.span
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

// KubectlWait implements KubectlWaiter: the mysql client in a loop, one
// read after the other, keeping when each value last answered, until the
// last Window satisfies the rule — the same sliding window, in bash.
func (c *ValuesSeen) KubectlWait(ctx context.Context, env *Env, timeout time.Duration) []string {
	q, err := env.mysqlQuery(ctx, c.SQLTarget, c.Query)
	if err != nil {
		return nil
	}
	w := c.window().Milliseconds()
	var b strings.Builder
	fmt.Fprintf(&b, "ms() { echo $(( $(date +%%s%%N) / 1000000 )); }; t0=$(ms); end=$((t0+%d)); ", timeout.Milliseconds())
	vars := func(prefix string, vals []string) {
		for i := range vals {
			fmt.Fprintf(&b, "%s%d=-1; ", prefix, i)
		}
	}
	vars("in", c.Include)
	vars("ex", c.Exclude)
	fmt.Fprintf(&b, "while :; do v=$(%s 2>/dev/null); now=$(ms); ok=1; ", q)
	for i, v := range c.Include {
		fmt.Fprintf(&b, "[ \"$v\" = %s ] && in%d=$now; [ $in%d -ge 0 ] && [ $((now-in%d)) -lt %d ] || ok=0; ", ShellQuote(v), i, i, i, w)
	}
	for i, v := range c.Exclude {
		fmt.Fprintf(&b, "[ \"$v\" = %s ] && ex%d=$now; [ $ex%d -ge 0 ] && [ $((now-ex%d)) -lt %d ] && ok=0; ", ShellQuote(v), i, i, i, w)
	}
	if len(c.Exclude) > 0 {
		fmt.Fprintf(&b, "[ $((now-t0)) -ge %d ] || ok=0; ", w)
	}
	b.WriteString("[ $ok = 1 ] && break; [ $now -lt $end ] || exit 1; done")
	return []string{b.String()}
}
