package chaos

import (
	"fmt"
	"strings"
	"time"
)

// stepName names step i of steps: "10/15 drain-node".
func stepName(steps []string, i int) string {
	switch {
	case i < 0:
		return "before the first step"
	case i >= len(steps):
		return "every step done"
	}
	return fmt.Sprintf("%d/%d %s", i+1, len(steps), steps[i])
}

func (r *Report) step(i int) string { return stepName(r.Steps, i) }

// opening says how a start began.
func (r *Report) opening(rd Round) string {
	var s string
	switch {
	case rd.Resumed < 0:
		s = "killed before it showed a step"
	case rd.Prompted && rd.Resumed >= len(r.Steps):
		s = "offered the summary (every step done)"
	case rd.Prompted:
		s = "offered to resume at " + r.step(rd.Resumed)
	case rd.Mode == TUI:
		s = "began at " + r.step(rd.Resumed)
	default:
		s = "resumed at " + r.step(rd.Resumed)
	}
	if len(rd.Uncordoned) > 0 {
		s += "; uncordoned " + strings.Join(rd.Uncordoned, ", ") + " and said so"
	}
	return s
}

// moment says what triggered a kill: its random moment into a step, the
// drain's cordon, or the drain passed without one.
func (r *Report) moment(rd Round) string {
	switch rd.Trigger {
	case triggerRandom:
		if rd.Kill != nil {
			return fmt.Sprintf("random: %.1f s into step %d or later", rd.Kill.After.Seconds(), rd.Kill.Step+1)
		}
	case triggerCut:
		if rd.Kill != nil {
			return fmt.Sprintf("random: %.1f s into step %d or later, cut to %.1f s into the last step", rd.Kill.After.Seconds(), rd.Kill.Step+1, rd.Kill.After.Seconds()/10)
		}
	case triggerDrain:
		return "drain: its cordon seen"
	}
	return rd.Trigger
}

// Table is the report as a markdown table: one row per kill (its mode,
// when after its start, what triggered it, the step that ran, and how the
// next start began), then the start that finished.
func (r *Report) Table() string {
	var b strings.Builder
	b.WriteString("| kill | mode | after | moment | step at the kill (read from) | the restart |\n")
	b.WriteString("|---:|---|---:|---|---|---|\n")
	k := 0
	for i, rd := range r.Rounds {
		if !rd.Killed {
			continue
		}
		k++
		next := "—"
		if i+1 < len(r.Rounds) {
			nx := r.Rounds[i+1]
			next = string(nx.Mode) + ": " + r.opening(nx)
		}
		fmt.Fprintf(&b, "| %d | %s | %.1f s | %s | %s (%s) | %s |\n", k, rd.Mode, rd.At.Seconds(), r.moment(rd), r.step(rd.Step), rd.From, next)
	}
	if n := len(r.Rounds); n > 0 && !r.Rounds[n-1].Killed {
		rd := r.Rounds[n-1]
		end := "did not finish"
		if rd.Finished {
			end = "finished"
			if rd.Mode == TUI {
				end += ": the summary"
			} else {
				end += ": exit 0, report passed"
			}
		}
		fmt.Fprintf(&b, "| – | %s | %.1f s | — | %s | |\n", rd.Mode, rd.Took.Seconds(), end)
	}
	return b.String()
}

// Figures sums the run up in a few lines.
func (r *Report) Figures() string {
	drains := 0
	for _, rd := range r.Rounds {
		if rd.Killed && rd.Trigger == triggerDrain {
			drains++
		}
	}
	yes := func(ok bool) string {
		if ok {
			return "yes"
		}
		return "NO"
	}
	lines := []string{
		fmt.Sprintf("kills: %d of %d planned (%d during the drain), %d starts, seed %d", r.Kills(), r.Plan.Kills(), drains, len(r.Rounds), r.Plan.Seed),
		fmt.Sprintf("finished: %s; whole run %s (namespace %s)", yes(r.Finished), r.Duration.Round(time.Second), r.Namespace),
		fmt.Sprintf("most nodes cordoned by the lesson at once: %d; progress file read after %d kill(s)", r.MostCordoned, r.ProgressReads),
		fmt.Sprintf("problems: %d", len(r.Problems)),
	}
	for _, p := range r.Problems {
		lines = append(lines, "  ✗ "+p)
	}
	return strings.Join(lines, "\n") + "\n"
}
