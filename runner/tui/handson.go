package tui

import (
	"context"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/kubetutor/kubetutor/runner/engine"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

// handsOn is the current step's hands-on panel. From the moment a step is
// current it is watched (StepRunner.Watch, in a command): its checks run
// before anyone acts, so the step unlocks as soon as the cluster reaches
// its state, whoever brought it there. The panel shows the kubectl
// commands that do the step by hand and, live, what the awaited check
// expects and what it sees. It owns the watch's state; the lesson turns
// the watch's verdict (watchDoneMsg) into a flow event.
type handsOn struct {
	// index is the step watched (-1: none); id the watch's generation:
	// messages of an older watch are dropped.
	index, id int
	cancel    context.CancelFunc
	// byHand are the step's commands, once armed; problem says why there
	// are none.
	byHand  *step.ByHand
	problem step.Msg
	// checks describe the step's checks; cur is the one awaited, passed
	// how many passed.
	checks []step.Msg
	cur    int
	// seen is the awaited check's latest observation, since since.
	seen  step.Msg
	since time.Time
}

// Watch messages.
type (
	// watchEventMsg is one engine event of watch id.
	watchEventMsg struct {
		id    int
		ev    engine.Event
		again tea.Cmd
	}
	// watchDoneMsg is the verdict of watch id on step index.
	watchDoneMsg struct {
		id, index int
		res       engine.StepResult
		canceled  bool
	}
)

func newHandsOn() handsOn { return handsOn{index: -1} }

// start watches step i of l with runner; the events come through a
// channel drained by a re-armed wait command, the verdict as
// watchDoneMsg. A watch already running is stopped first.
func (h *handsOn) start(ctx context.Context, runner StepRunner, l *lesson.Lesson, i int, now time.Time) tea.Cmd {
	h.stop()
	h.id++
	h.index, h.byHand, h.problem, h.cur, h.seen, h.since = i, nil, step.Msg{}, 0, step.Msg{}, now
	h.checks = h.checks[:0]
	for _, c := range l.Spec.Steps[i].Checks {
		h.checks = append(h.checks, checkDesc(c))
	}
	ctx, cancel := context.WithCancel(ctx)
	h.cancel = cancel
	ch := make(chan engine.Event, 256)
	obs := engine.ObserverFunc(func(e engine.Event) {
		select {
		case ch <- e:
		case <-ctx.Done():
		}
	})
	id := h.id
	watch := func() tea.Msg {
		res := runner.Watch(ctx, l, i, obs)
		close(ch)
		return watchDoneMsg{id: id, index: i, res: res, canceled: ctx.Err() != nil}
	}
	return tea.Batch(watch, waitWatch(id, ch))
}

func waitWatch(id int, ch <-chan engine.Event) tea.Cmd {
	return func() tea.Msg {
		e, ok := <-ch
		if !ok {
			return nil
		}
		return watchEventMsg{id: id, ev: e, again: waitWatch(id, ch)}
	}
}

// stop cancels the watch; its remaining messages are dropped.
func (h *handsOn) stop() {
	if h.cancel != nil {
		h.cancel()
		h.cancel = nil
	}
	if h.index >= 0 {
		h.id++
	}
	h.index = -1
}

// watching reports whether step i is being watched.
func (h *handsOn) watching(i int) bool { return h.index == i && h.cancel != nil }

// event updates the panel from an event of the current watch and returns
// the command that waits for the next one.
func (h *handsOn) event(msg watchEventMsg, now time.Time) tea.Cmd {
	if msg.id != h.id {
		return nil // an older watch: stop draining it
	}
	switch e := msg.ev; e.Kind {
	case engine.StepArmed:
		h.byHand, h.problem = e.ByHand, e.Msg
	case engine.CheckStarted:
		if e.Check != h.cur || !h.seen.IsZero() {
			h.seen, h.since = step.Msg{}, now
		}
		h.cur = e.Check
		if e.Check >= 0 && e.Check < len(h.checks) && !e.Msg.IsZero() {
			h.checks[e.Check] = e.Msg
		}
	case engine.Progress:
		if e.Check >= 0 && !e.Msg.Equal(h.seen) {
			h.seen, h.since = e.Msg, now
		}
	}
	return msg.again
}

// verdict tells whether msg is the end of the current watch with a
// verdict (passed, or failed for good) rather than a stop; the watch is
// over then.
func (h *handsOn) verdict(msg watchDoneMsg) bool {
	if msg.id != h.id || msg.canceled || msg.index != h.index {
		return false
	}
	if msg.res.Status != engine.Passed && msg.res.Status != engine.Failed {
		return false
	}
	if h.cancel != nil {
		h.cancel()
	}
	h.cancel, h.index = nil, -1
	return true
}

// copyText is what the copy key puts on the clipboard: the commands, one
// per line.
func (h *handsOn) copyText() string {
	if h.byHand == nil {
		return ""
	}
	return strings.Join(h.byHand.Lines, "\n")
}

// lines are the panel's lines under the step's heading, most important
// first (the panel is cut to the room there is): the commands (long ones
// wrapped as shell continuation lines), what the awaited check expects,
// what it sees, the checks after it, and the note on the commands.
func (h *handsOn) lines(c *common, w int, now time.Time) []string {
	st, tr := c.styles, c.tr
	fit := func(s string) string { return ansi.Truncate(s, w, "…") }
	var out []string
	if h.byHand != nil {
		for _, l := range h.byHand.Lines {
			for _, part := range wrapCommand(l, w-6) {
				out = append(out, st.Command.Render(fit("   "+part)))
			}
		}
	}
	var note string
	switch {
	case h.byHand != nil && len(h.byHand.Lines) == 0 && !h.byHand.Note.IsZero():
		out = append(out, st.Dim.Render(fit("   "+h.byHand.Note.Text(tr))))
	case !h.problem.IsZero():
		out = append(out, st.StatusWarn.Render(fit("   "+tr.T("TUIByHandProblem", map[string]any{"Why": h.problem.Text(tr)}))))
	case h.byHand != nil && !h.byHand.Note.IsZero():
		note = h.byHand.Note.Text(tr)
	}
	if len(h.checks) > 0 {
		cur := min(max(h.cur, 0), len(h.checks)-1)
		out = append(out, st.Section.Render(fit("   "+tr.T("TUIExpected", map[string]any{"What": h.checks[cur].Text(tr), "N": cur + 1, "Of": len(h.checks)}))))
		if h.seen.IsZero() {
			out = append(out, st.Dim.Render(fit("   "+tr.T("TUISeenNothing", nil))))
		} else {
			out = append(out, st.StatusWarn.Render(fit("   "+tr.T("TUISeen", map[string]any{"What": oneLine(h.seen.Text(tr)), "For": shortSecs(now.Sub(h.since))}))))
		}
		if cur+1 < len(h.checks) {
			var rest []string
			for _, d := range h.checks[cur+1:] {
				rest = append(rest, d.Text(tr))
			}
			out = append(out, st.Dim.Render(fit("   "+tr.T("TUIThen", map[string]any{"What": strings.Join(rest, "; ")}))))
		}
	}
	if note != "" {
		out = append(out, st.Dim.Render(fit("   ↳ "+oneLine(note))))
	}
	return out
}

// checkDesc is a check as the panel names it: its name, else its
// description.
func checkDesc(c lesson.Check) step.Msg {
	if c.Name != "" {
		return step.M("TUIRaw", "Text", c.Name)
	}
	return step.Describe(c)
}

// wrapCommand breaks a shell command line into lines of at most w cells,
// between words (never inside a quoted one), each but the last ending with
// a continuation " \": pasted, they are the same command. The first line
// starts with "$ ", the others are indented.
func wrapCommand(line string, w int) []string {
	var out []string
	cur := "$"
	for _, word := range shellWords(line) {
		if cur != "$" && cur != "  " && lipgloss.Width(cur)+1+lipgloss.Width(word)+2 > w {
			out = append(out, cur+" \\")
			cur = "  "
		}
		cur += " " + word
	}
	return append(out, cur)
}

// shellWords splits a line as ShellJoin wrote it into its words, keeping
// each word's quoting.
func shellWords(line string) []string {
	var out []string
	var b strings.Builder
	var quote rune
	escaped := false
	for _, r := range line {
		switch {
		case escaped:
			escaped = false
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\\':
			escaped = true
		case r == '\'' || r == '"':
			quote = r
		case r == ' ':
			if b.Len() > 0 {
				out = append(out, b.String())
				b.Reset()
			}
			continue
		}
		b.WriteRune(r)
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}
