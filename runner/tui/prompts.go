package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/kubetutor/kubetutor/runner/engine"
	"github.com/kubetutor/kubetutor/runner/flow"
	"github.com/kubetutor/kubetutor/runner/render"
	"github.com/kubetutor/kubetutor/runner/step"
)

// modal reports whether the lesson asks something, so Esc and q answer
// it instead of leaving.
func (m *lessonModel) modal() bool {
	switch m.flow.Mode {
	case flow.ResumePrompt, flow.ConfirmReset, flow.ConfirmQuit:
		return true
	}
	return m.choosing
}

// promptKey answers the prompt on screen; ok is false when none is.
func (m *lessonModel) promptKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := &m.c.keys
	if m.choosing {
		switch {
		case key.Matches(msg, k.Up):
			m.choice = max(m.flow.Current+1, m.choice-1)
		case key.Matches(msg, k.Down):
			m.choice = min(len(m.l.Spec.Steps)-1, m.choice+1)
		case key.Matches(msg, k.Run), key.Matches(msg, k.Yes):
			m.choosing = false
			if p := m.sectionOf(m.choice); p > 0 {
				m.gotoPage(p)
			}
			return tea.Batch(m.renderCmd(), m.next(flow.SkipTo{Index: m.choice})), true
		case key.Matches(msg, k.Back), key.Matches(msg, k.No), key.Matches(msg, k.Skip):
			m.choosing = false
		}
		return nil, true
	}
	switch m.flow.Mode {
	case flow.ResumePrompt, flow.ConfirmReset, flow.ConfirmQuit:
		switch {
		case key.Matches(msg, k.Yes), key.Matches(msg, k.Run):
			return m.next(flow.Answer{Yes: true}), true
		case key.Matches(msg, k.No), key.Matches(msg, k.Back):
			return m.next(flow.Answer{Yes: false}), true
		}
		return nil, false
	}
	return nil, false
}

// openChooser opens the list of steps to skip to.
func (m *lessonModel) openChooser() tea.Cmd {
	if m.flow.Mode != flow.Idle || m.flow.Current+1 >= len(m.l.Spec.Steps) {
		return nil
	}
	m.choosing, m.choice = true, m.flow.Current+1
	return nil
}

// chooserView lists the steps; the chosen one is the skip target.
func (m *lessonModel) chooserView(w, h int) string {
	st, tr := m.c.styles, m.c.tr
	lines := []string{" " + st.Title.Render(tr.T("TUISkipTitle", nil)), " " + st.Dim.Render(ansi.Truncate(tr.T("TUISkipHelp", nil), w-2, "…")), ""}
	start := 0
	room := h - len(lines)
	if m.choice >= room {
		start = m.choice - room + 1
	}
	for i := start; i < len(m.l.Spec.Steps) && len(lines) < h; i++ {
		mark, style := m.stepMark(i)
		cur := "  "
		if i == m.choice {
			cur, style = "▸ ", st.Selected
		} else if i > m.choice {
			style = st.StepLocked
		}
		lines = append(lines, style.Render(ansi.Truncate(fmt.Sprintf(" %s%s %2d %s", cur, mark, i+1, m.stepTitle(i)), w-1, "…")))
	}
	return strings.Join(lines, "\n")
}

// summaryView is the end of the lesson: every step with its time.
func (m *lessonModel) summaryView(w, h int) string {
	st, tr := m.c.styles, m.c.tr
	var total time.Duration
	lines := []string{" " + st.Title.Render(tr.T("TUISummaryTitle", nil)), ""}
	for i := range m.l.Spec.Steps {
		mark, style := m.stepMark(i)
		d := m.durations[i]
		total += d
		t := "   –"
		if d > 0 {
			t = fmt.Sprintf("%6s", engine.FormatDuration(d))
		}
		title := ansi.Truncate(m.stepTitle(i), max(10, w-16), "…")
		lines = append(lines, style.Render(fmt.Sprintf(" %s %2d ", mark, i+1))+padRight(title, max(10, w-16))+st.Dim.Render(t))
	}
	lines = append(lines, "", " "+tr.T("TUISummaryTotal", map[string]any{"Time": engine.FormatDuration(total)}), " "+st.Dim.Render(ansi.Truncate(tr.T("TUISummaryHelp", nil), w-2, "…")))
	if len(lines) > h {
		// Keep the title and the total; drop steps from the top.
		lines = append(lines[:2], lines[len(lines)-(h-2):]...)
	}
	return strings.Join(lines, "\n")
}

// liveView is the area under the text: the step panel, then the panes
// (side by side from 120 columns, else one at a time; Tab switches).
func (m *lessonModel) liveView(w, h int) string {
	st := m.c.styles
	panel := m.stepPanel(w)
	if i := m.flow.Current; m.hands.watching(i) && m.flow.Steps[i] != flow.Failed && !m.hidePanes && h >= 8 {
		// Hands-on: the panel's last lines matter less than three lines of
		// the live panes (what the learner's command changes).
		panel = panel[:min(len(panel), h-4)]
	}
	if len(panel) > h {
		panel = panel[:h]
	}
	rest := h - len(panel) - 1
	out := []string{st.Rule.Render(strings.Repeat("─", w))}
	out = append(out, panel...)
	if rest >= 3 && !m.hidePanes {
		out = append(out, m.panes(w, rest))
	}
	return fitBox(strings.Join(out, "\n"), w, h)
}

// panes draws the live panes in w×h.
func (m *lessonModel) panes(w, h int) string {
	type pane struct {
		name string
		draw func(w, h int) string
		w    int
	}
	all := []pane{{name: m.c.tr.T("TUITabPods", nil), draw: m.podsPane, w: m.podsWidth() + 1}}
	if t, _ := readTarget(m.l); t != nil {
		all = append(all, pane{name: m.c.tr.T("TUITabRead", nil), draw: m.readPane, w: 28})
	}
	all = append(all, pane{name: m.c.tr.T("TUITabEvents", nil), draw: m.eventsPane})
	if w >= 120 {
		var cols []string
		left := w
		for i, p := range all {
			pw := p.w
			if i == len(all)-1 || pw == 0 {
				pw = left
			}
			pw = min(pw, left)
			if pw < 10 {
				break
			}
			cols = append(cols, p.draw(pw-1, h))
			left -= pw
			if i < len(all)-1 {
				cols = append(cols, strings.TrimRight(strings.Repeat("│\n", h), "\n"))
			}
		}
		return lipgloss.JoinHorizontal(lipgloss.Top, cols...)
	}
	cur := m.pane % len(all)
	var tabs []string
	for i, p := range all {
		if i == cur {
			tabs = append(tabs, m.c.styles.Selected.Render("["+p.name+"]"))
		} else {
			tabs = append(tabs, m.c.styles.Dim.Render(" "+p.name+" "))
		}
	}
	head := strings.Join(tabs, " ") + m.c.styles.Dim.Render("  Tab ⇄")
	// The tab names the pane: drop the pane's own title line.
	body := strings.SplitN(all[cur].draw(w, h), "\n", 2)
	if len(body) < 2 {
		return head
	}
	return head + "\n" + body[1]
}

// stepPanel says what the current step does or did: what it will do (before
// Enter), what it waits for and the latest observation (while it runs),
// the diagnosis (after a failure), or the prompt of the moment.
func (m *lessonModel) stepPanel(w int) []string {
	st, tr := m.c.styles, m.c.tr
	total := len(m.l.Spec.Steps)
	fit := func(s string) string { return ansi.Truncate(s, w, "…") }
	wrap := func(s string, style lipgloss.Style) []string {
		var out []string
		for _, l := range strings.Split(render.Wrap(s, max(20, w-4)), "\n") {
			out = append(out, style.Render(fit("   "+l)))
		}
		return out
	}
	head := func(mark string, i int, style lipgloss.Style, extra string) string {
		s := fmt.Sprintf(" %s %s", mark, tr.T("TUIStepHead", map[string]any{"N": i + 1, "Total": total, "Title": m.stepTitle(i)}))
		if extra != "" {
			s += " · " + extra
		}
		return style.Render(fit(s))
	}
	now := m.c.now()
	var out []string
	if m.changed != "" && m.flow.Mode != flow.ResumePrompt {
		out = append(out, wrap(m.changed, st.StatusWarn)...)
	}
	switch m.flow.Mode {
	case flow.ResumePrompt:
		i := m.flow.Resume
		ask := tr.T("TUIResumeAsk", map[string]any{"N": i + 1, "Total": total, "Title": m.stepTitle(i)})
		if i >= total {
			ask = tr.T("TUIResumeDone", nil)
		}
		out = append(out, st.Prompt.Render(fit(" ? "+ask)))
		if m.changed != "" {
			out = append(out, wrap(m.changed, st.StatusWarn)...)
		}
		out = append(out, wrap(tr.T("TUIResumeExplain", map[string]any{"Done": i}), st.Dim)...)
		out = append(out, st.Prompt.Render(fit("   "+tr.T("TUIResumeKeys", nil))))
		return out
	case flow.ConfirmReset:
		out = append(out, st.Prompt.Render(fit(" ? "+tr.T("TUIResetAsk", nil))))
		out = append(out, wrap(tr.T("TUIResetExplain", map[string]any{"Namespace": m.c.cluster.info.Namespace}), st.Dim)...)
		return append(out, st.Prompt.Render(fit("   "+tr.T("TUIYesNo", nil))))
	case flow.Resetting:
		return append(out, st.StepCurrent.Render(fit(" ⟳ "+tr.T("TUIResetting", nil))))
	case flow.ConfirmQuit:
		out = append(out, st.Prompt.Render(fit(" ? "+tr.T("TUIQuitAsk", map[string]any{"N": m.flow.Current + 1}))))
		out = append(out, wrap(tr.T("TUIQuitExplain", nil), st.Dim)...)
		out = append(out, st.Prompt.Render(fit("   "+tr.T("TUIYesNo", nil))))
		if m.running != nil {
			out = append(out, m.runLines(w)...)
		}
		return out
	case flow.Summary:
		done, _ := m.flow.Progress()
		return append(out, st.StepDone.Render(fit(" ✓ "+tr.T("TUIAllDone", map[string]any{"Done": done}))))
	}
	if m.running != nil {
		return append(out, m.runLines(w)...)
	}
	i := m.flow.Current
	if i >= total {
		return out
	}
	if m.flow.Steps[i] == flow.Failed {
		out = append(out, head("✗", i, st.StepFailed, tr.T("TUIRetry", nil)))
		if res, ok := m.results[i]; ok {
			what, f := failure(res)
			if f != nil {
				out = append(out, st.StepFailed.Render(fit("   ✗ "+what.Text(tr))))
				out = append(out, wrap(engine.FailureText(tr, f), st.Section)...)
			}
		}
		if m.hands.watching(i) { // watched again: it may be fixed by hand
			out = append(out, m.hands.lines(m.c, w, now)...)
		}
		return out
	}
	if lk := m.lockedOnPage(); lk > i {
		out = append(out, st.StepLocked.Render(fit(" · "+tr.T("TUILockedHere", map[string]any{"N": lk + 1, "Current": i + 1}))))
	}
	if m.hands.watching(i) {
		out = append(out, head("▶", i, st.StepCurrent, tr.T("TUIHandsOn", nil)))
		out = append(out, m.hands.lines(m.c, w, now)...)
		return append(out, st.Dim.Render(fit("   "+tr.T("TUIWillDo", map[string]any{"What": m.willDo(i)}))))
	}
	out = append(out, head("▶", i, st.StepCurrent, tr.T("TUIPressEnter", nil)))
	out = append(out, st.Section.Render(fit("   "+tr.T("TUIWillDo", map[string]any{"What": m.willDo(i)}))))
	s := m.l.Spec.Steps[i]
	var checks []string
	for _, c := range s.Checks {
		checks = append(checks, checkDesc(c).Text(tr))
	}
	out = append(out, st.Dim.Render(fit("   "+tr.T("TUIThenWaits", map[string]any{"What": strings.Join(checks, "; ")}))))
	return out
}

// willDo says what step i's action does, with the objects an apply
// touches and the node a drain will hit.
func (m *lessonModel) willDo(i int) string {
	tr := m.c.tr
	s := m.l.Spec.Steps[i]
	does := step.DescribeAction(s.Action).Text(tr)
	if p := m.previews[i]; len(p) > 0 {
		does += " → " + strings.Join(p, ", ")
	}
	if d, ok := s.Action.Body.(*step.Drain); ok && d.Pod != "" && !m.hands.watching(i) {
		// Once armed, the command names the node.
		if r, ok := m.podRows[d.Pod]; ok && r.node != "" {
			does += " → " + tr.T("TUINodeOf", map[string]any{"Node": r.node})
		}
	}
	return does
}

// runLines describe the running step: what it does or waits for, and the
// latest observation with how long it has been so.
func (m *lessonModel) runLines(w int) []string {
	st, tr := m.c.styles, m.c.tr
	r := m.running
	now := m.c.now()
	fit := func(s string) string { return ansi.Truncate(s, w, "…") }
	extra := shortSecs(now.Sub(r.started))
	if m.flow.Mode == flow.CatchingUp || r.catchUp {
		extra = tr.T("TUICatchingUp", map[string]any{"Target": m.flow.Target + 1}) + " · " + extra
	}
	out := []string{st.StepCurrent.Render(fit(" ⟳ " + tr.T("TUIStepHead", map[string]any{"N": r.index + 1, "Total": len(m.l.Spec.Steps), "Title": m.stepTitle(r.index)}) + " · " + extra))}
	if !r.doing.IsZero() {
		id := "TUIDoing"
		if r.awaiting {
			id = "TUIAwaiting"
		}
		out = append(out, st.Section.Render(fit("   "+tr.T(id, map[string]any{"What": r.doing.Text(tr)}))))
	}
	if !r.latest.IsZero() {
		out = append(out, st.StatusWarn.Render(fit("   "+tr.T("TUILatest", map[string]any{"What": oneLine(r.latest.Text(tr)), "For": shortSecs(now.Sub(r.since))}))))
	}
	return out
}

func shortSecs(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(d.Seconds()))
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}

// lockedOnPage is the first step of the page shown when it is still
// locked (after the current step), else -1.
func (m *lessonModel) lockedOnPage() int {
	if m.page == 0 || m.page > len(m.doc().Sections) {
		return -1
	}
	for _, ref := range m.doc().Sections[m.page-1].Steps {
		for i, s := range m.l.Spec.Steps {
			if s.ID == ref.ID && i < len(m.flow.Steps) && m.flow.Steps[i] == flow.Locked {
				return i
			}
		}
	}
	return -1
}
