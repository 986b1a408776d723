package engine

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kubetutor/kubetutor/runner/step"
)

// Text is an Observer that prints a run as it happens, kind-style:
// ✓ / ✗ / – / ! per preflight item, action and check, with durations, the
// failure (last mismatch, hint, diagnoses) under a ✗, and a summary.
type Text struct {
	W  io.Writer
	Tr step.Translator
	// Progress prints every new mismatch and recognised signature while
	// waiting (indented with "…").
	Progress bool
	// Titles maps step IDs to their headings in the user's language.
	Titles map[string]string
	// Watch prints, for `run --watch`, the commands that do each step by
	// hand as the step becomes current, and "reached" with the step's time
	// once the cluster is in its state.
	Watch bool
}

// FormatDuration writes a duration the way reports show it: 850ms, 12.3s,
// 2m5s.
func FormatDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}

func mark(s Status) string {
	switch s {
	case Passed:
		return "✓"
	case Failed:
		return "✗"
	case Warning:
		return "!"
	}
	return "–"
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = prefix + lines[i]
	}
	return strings.Join(lines, "\n")
}

// Observe implements Observer.
func (t *Text) Observe(e Event) {
	tr := t.Tr
	w := t.W
	switch e.Kind {
	case PreflightStarted:
		fmt.Fprintln(w, tr.T("TextPreflight", nil))
	case PreflightDone:
		it := e.Preflight
		fmt.Fprintf(w, " %s %s: %s (%s)\n", mark(it.Status), it.Name.Text(tr), it.Msg.Text(tr), FormatDuration(it.Duration))
		if !it.Hint.IsZero() {
			fmt.Fprintln(w, indent(tr.T("HintPrefix", nil)+" "+it.Hint.Text(tr), "     "))
		}
	case StepStarted:
		fmt.Fprintf(w, "%s\n", tr.T("TextStep", map[string]any{"N": e.StepIndex + 1, "Of": e.Steps, "ID": e.Step, "Title": t.Titles[e.Step]}))
	case StepArmed:
		if !t.Watch || e.ByHand == nil {
			return
		}
		for _, l := range e.ByHand.Lines {
			fmt.Fprintf(w, "   $ %s\n", l)
		}
		if !e.ByHand.Note.IsZero() {
			fmt.Fprintln(w, indent(e.ByHand.Note.Text(tr), "     "))
		}
		if !e.Msg.IsZero() {
			fmt.Fprintln(w, indent(e.Msg.Text(tr), "     "))
		}
		fmt.Fprintf(w, "   ⋯ %s\n", tr.T("TextWatching", nil))
	case ActionStarted:
		fmt.Fprintf(w, " • %s\n", e.Msg.Text(tr))
	case ActionDone:
		a := e.Action
		if a.Failure != nil {
			fmt.Fprintf(w, " ✗ %s (%s)\n", a.Desc.Text(tr), FormatDuration(a.Duration))
			fmt.Fprintln(w, indent(FailureText(tr, a.Failure), "     "))
		} else if !a.Outcome.Msg.IsZero() {
			fmt.Fprintf(w, " ✓ %s (%s)\n", a.Outcome.Msg.Text(tr), FormatDuration(a.Duration))
		}
		if out := strings.TrimSpace(a.Outcome.Output); out != "" {
			fmt.Fprintln(w, indent(out, "     │ "))
		}
	case Progress:
		if t.Progress || strings.HasPrefix(e.Msg.ID, "Diag") {
			fmt.Fprintf(w, "   … %s\n", indent(e.Msg.Text(tr), "     ")[5:])
		}
	case CheckDone:
		c := e.CheckResult
		fmt.Fprintf(w, " %s %s (%s)\n", mark(c.Status), CheckName(tr, *c), FormatDuration(c.Duration))
		if c.Failure != nil {
			fmt.Fprintln(w, indent(FailureText(tr, c.Failure), "     "))
		}
	case StepDone:
		s := e.StepResult
		if t.Watch && s.Status == Passed {
			fmt.Fprintf(w, " ✓ %s\n", tr.T("TextReached", map[string]any{"N": s.Index + 1, "Duration": FormatDuration(s.Duration)}))
		}
		switch s.Status {
		case Unavailable, Skipped:
			if e.StepResult.Reason.IsZero() {
				return
			}
			if s.Status == Skipped && s.Reason.ID != "ReasonPreflightFailed" {
				fmt.Fprintf(w, " – %s: %s\n", s.ID, tr.T("StatusSkipped", map[string]any{"Reason": s.Reason.Text(tr)}))
				return
			}
			if s.Status == Unavailable {
				fmt.Fprintf(w, " – %s: %s\n", s.ID, tr.T("StatusUnavailable", map[string]any{"Reason": s.Reason.Text(tr)}))
			}
		}
	case AftermathDone:
		a := e.Aftermath
		fmt.Fprintln(w, tr.T("TextAftermath", map[string]any{"Why": a.Why.Text(tr)}))
		fmt.Fprintf(w, " ✓ %s\n", tr.T("AftermathUncordoned", map[string]any{"Nodes": strings.Join(a.Uncordoned, ", "), "Count": len(a.Uncordoned)}))
		if a.CleanupSkipped {
			fmt.Fprintf(w, " – %s\n", tr.T("AftermathCleanupSkipped", nil))
		} else {
			fmt.Fprintf(w, " ✓ %s\n", tr.T("AftermathDeleted", map[string]any{"Count": len(a.Deleted), "Objects": strings.Join(a.Deleted, ", ")}))
		}
		for _, f := range a.Errors {
			fmt.Fprintf(w, " ✗ %s\n", indent(FailureText(tr, f), "     ")[5:])
		}
		if len(a.StillCordoned) > 0 {
			fmt.Fprintf(w, " ✗ %s\n", tr.T("AftermathStillCordoned", map[string]any{"Nodes": strings.Join(a.StillCordoned, " ")}))
		}
	case RunDone:
		r := e.Result
		var passed, failed, other int
		for _, s := range r.Steps {
			switch s.Status {
			case Passed:
				passed++
			case Failed:
				failed++
			default:
				other++
			}
		}
		id := "TextPassed"
		if !r.Passed {
			id = "TextFailed"
		}
		if r.Interrupted {
			id = "TextInterrupted"
		}
		fmt.Fprintln(w, tr.T(id, map[string]any{"Lesson": r.Lesson, "Passed": passed, "Failed": failed, "Other": other, "Duration": FormatDuration(r.Duration)}))
	}
}
