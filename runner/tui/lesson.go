package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/kubetutor/kubetutor/runner/flow"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/render"
)

// renderKey identifies one rendered page.
type renderKey struct {
	lesson, lang string
	page, width  int
	style        render.Style
}

// lessonModel is the lesson view: sidebar, viewport, status line.
type lessonModel struct {
	c      *common
	l      *lesson.Lesson
	runner StepRunner
	flow   flow.State
	page   int // 0 is the introduction, then the sections
	vp     viewport.Model
	shown  renderKey // what the viewport holds
	// scrollFrac, when >= 0, is the scroll position to restore (as a
	// fraction) once the page is rendered again (language switch, resize).
	scrollFrac float64
	notice     string
	w, h       int
	sideW      int
	ctx        context.Context
	cancel     context.CancelFunc
}

func newLessonModel(c *common, l *lesson.Lesson, runner StepRunner) *lessonModel {
	vp := viewport.New()
	vp.MouseWheelEnabled = true
	vp.KeyMap.Left.SetEnabled(false)
	vp.KeyMap.Right.SetEnabled(false)
	ctx, cancel := context.WithCancel(context.Background())
	m := &lessonModel{c: c, l: l, runner: runner, vp: vp, scrollFrac: -1, ctx: ctx, cancel: cancel}
	m.flow, _ = flow.Next(flow.State{}, flow.Opened{Steps: len(l.Spec.Steps)})
	return m
}

// open (re)starts the step flow: live only with a runner and a cluster.
func (m *lessonModel) open() tea.Cmd {
	live := m.runner != nil && m.c.cluster.info.Reachable
	if live && m.flow.Mode != flow.Reading {
		return nil
	}
	m.flow, _ = flow.Next(m.flow, flow.Opened{Steps: len(m.l.Spec.Steps), Live: live})
	return nil
}

// close cancels whatever the lesson runs.
func (m *lessonModel) close() { m.cancel() }

func (m *lessonModel) doc() *lesson.Doc { return m.l.Doc(m.c.lang) }

// pages are the introduction, then every section.
func (m *lessonModel) pages() int { return 1 + len(m.doc().Sections) }

func (m *lessonModel) pageTitle(i int) string {
	if i == 0 {
		return m.c.tr.T("TUIIntro", nil)
	}
	return m.doc().Sections[i-1].Title
}

// SetSize lays the view out: sidebar, a one-column border, the viewport;
// below them a status line (and a notice line when there is one).
func (m *lessonModel) SetSize(w, h int) {
	if w != m.w || h != m.h {
		m.keepScroll()
	}
	m.w, m.h = w, h
	switch {
	case w >= 110:
		m.sideW = 34
	case w >= 90:
		m.sideW = 30
	case w >= 70:
		m.sideW = 26
	default:
		m.sideW = 0
	}
	m.layout()
}

func (m *lessonModel) layout() {
	vw := m.w - m.sideW
	if m.sideW > 0 {
		vw-- // border
	}
	vh := m.h - 3 // title, status, help bar
	if m.notice != "" {
		vh--
	}
	m.vp.SetWidth(max(vw, 1))
	m.vp.SetHeight(max(vh, 1))
}

// textWidth is the width the page is rendered at.
func (m *lessonModel) textWidth() int { return max(m.vp.Width(), 20) }

func (m *lessonModel) key() renderKey {
	return renderKey{lesson: m.l.ID, lang: m.c.lang, page: m.page, width: m.textWidth(), style: m.c.style()}
}

// keepScroll remembers the scroll position as a fraction, to restore after
// the page is rendered again.
func (m *lessonModel) keepScroll() {
	if m.scrollFrac < 0 && m.vp.TotalLineCount() > 0 {
		m.scrollFrac = m.vp.ScrollPercent()
	}
}

// markdown returns page i's markdown in the current language.
func (m *lessonModel) markdown(i int) string {
	doc := m.doc()
	if i == 0 {
		return "# " + doc.Title + "\n\n" + doc.Intro
	}
	return render.SectionMarkdown(m.l, doc, i-1, render.Decor(m.c.tr, true))
}

// renderCmd renders the current page in a command unless it is cached.
func (m *lessonModel) renderCmd() tea.Cmd {
	k := m.key()
	if m.w <= 0 {
		return nil // no size yet: the WindowSizeMsg renders
	}
	if text, ok := m.c.rendered[k]; ok {
		m.show(k, text)
		return nil
	}
	md := m.markdown(m.page)
	rc := m.c.renderers
	return func() tea.Msg {
		r, err := rc.get(k.width, k.style)
		if err != nil {
			return renderedMsg{key: k, err: err}
		}
		text, err := r.Render(md)
		return renderedMsg{key: k, text: text, err: err}
	}
}

func (m *lessonModel) show(k renderKey, text string) {
	if k != m.key() {
		return // the user moved on meanwhile
	}
	m.shown = k
	m.vp.SetContent(text)
	if m.scrollFrac >= 0 {
		maxOff := m.vp.TotalLineCount() - m.vp.Height()
		m.vp.SetYOffset(roundFrac(m.scrollFrac, maxOff))
		m.scrollFrac = -1
	}
}

func (m *lessonModel) gotoPage(i int) tea.Cmd {
	if i < 0 || i >= m.pages() || i == m.page {
		return nil
	}
	m.page = i
	m.scrollFrac = -1
	m.vp.SetContent("")
	m.vp.GotoTop()
	return m.renderCmd()
}

func (m *lessonModel) setNotice(s string) {
	m.notice = s
	m.layout()
}

func (m *lessonModel) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case renderedMsg:
		if msg.err != nil {
			m.setNotice(msg.err.Error())
			return nil
		}
		m.c.rendered[msg.key] = msg.text
		m.show(msg.key, msg.text)
		return nil
	case stepDoneMsg:
		n := msg.index + 1
		if msg.err != nil {
			m.flow, _ = flow.Next(m.flow, flow.StepFailed{Index: msg.index})
			m.setNotice(m.c.tr.T("TUIStepFailed", map[string]any{"N": n, "Err": msg.err.Error()}))
			return nil
		}
		m.flow, _ = flow.Next(m.flow, flow.StepPassed{Index: msg.index})
		m.setNotice(m.c.tr.T("TUIStepPassed", map[string]any{"N": n}))
		return nil
	case tea.MouseWheelMsg:
		var cmd tea.Cmd
		m.vp, cmd = m.vp.Update(msg)
		return cmd
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	}
	return nil
}

func (m *lessonModel) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.c.keys
	if m.notice != "" {
		m.setNotice("")
	}
	switch {
	case key.Matches(msg, k.NextSection):
		return m.gotoPage(m.page + 1)
	case key.Matches(msg, k.PrevSection):
		return m.gotoPage(m.page - 1)
	case key.Matches(msg, k.Run):
		return m.run()
	case key.Matches(msg, k.Top):
		m.vp.GotoTop()
	case key.Matches(msg, k.Bottom):
		m.vp.GotoBottom()
	case key.Matches(msg, k.Up):
		m.vp.ScrollUp(1)
	case key.Matches(msg, k.Down):
		m.vp.ScrollDown(1)
	case key.Matches(msg, k.PageUp):
		m.vp.PageUp()
	case key.Matches(msg, k.PageDown):
		m.vp.PageDown()
	}
	return nil
}

// run starts the current step, or says plainly why it cannot.
func (m *lessonModel) run() tea.Cmd {
	tr := m.c.tr
	if m.runner == nil || m.flow.Mode == flow.Reading {
		m.setNotice(tr.T("TUINotAvailable", nil))
		return nil
	}
	next, effects := flow.Next(m.flow, flow.Run{})
	m.flow = next
	for _, e := range effects {
		if rs, ok := e.(flow.RunStep); ok {
			m.setNotice(tr.T("TUIStepRunning", map[string]any{"N": rs.Index + 1}))
			runner, l, ctx, i := m.runner, m.l, m.ctx, rs.Index
			return func() tea.Msg { return stepDoneMsg{index: i, err: runner.RunStep(ctx, l, i)} }
		}
	}
	return nil
}

// View is the lesson view without the help bar (height h-1).
func (m *lessonModel) View() string {
	st, tr := m.c.styles, m.c.tr
	title := " " + st.Title.Render(m.doc().Title)
	right := st.Dim.Render(tr.T("TUISection", map[string]any{"N": m.page + 1, "Total": m.pages()})) + " "
	title = joinEnds(title, right, m.w)

	body := m.vp.View()
	if m.shown != m.key() && m.vp.TotalLineCount() == 0 {
		body = padLines(" "+st.Dim.Render(tr.T("TUIRendering", nil)), m.vp.Height())
	}
	if m.sideW > 0 {
		side := st.Sidebar.Height(m.vp.Height()).Width(m.sideW + 1).Render(m.sidebar(m.vp.Height()))
		body = lipgloss.JoinHorizontal(lipgloss.Top, side, body)
	}
	lines := []string{title, body}
	if m.notice != "" {
		lines = append(lines, st.Notice.Render(ansi.Truncate(" "+m.notice, m.w, "…")))
	}
	lines = append(lines, m.statusLine())
	return strings.Join(lines, "\n")
}

// statusLine: cluster (or reading mode) on the left, progress on the right.
func (m *lessonModel) statusLine() string {
	done, total := m.flow.Progress()
	right := m.c.styles.Status.Render(m.c.tr.T("TUIProgress", map[string]any{"Done": done, "Total": total})) + " "
	left := clusterLine(m.c)
	return joinEnds(ansi.Truncate(left, max(0, m.w-lipgloss.Width(right)-1), "…"), right, m.w)
}

// clusterLine says which cluster the steps would use, or why none.
func clusterLine(c *common) string {
	tr, st := c.tr, c.styles
	info := c.cluster.info
	switch {
	case c.cluster.probing:
		return " " + st.Status.Render(tr.T("TUIProbing", nil))
	case info.Reachable:
		return " " + st.Status.Render(tr.T("TUICluster", map[string]any{"Context": info.Context, "Namespace": info.Namespace}))
	case errors.Is(info.Err, ErrNoKubeconfig):
		return " " + st.StatusWarn.Render(tr.T("TUIReadingNoConfig", nil))
	case info.Err != nil && info.Context == "":
		return " " + st.StatusWarn.Render(tr.T("TUIReadingUnreachable", map[string]any{"Context": "?", "Err": info.Err.Error()}))
	case info.Err != nil:
		return " " + st.StatusWarn.Render(tr.T("TUIReadingUnreachable", map[string]any{"Context": info.Context, "Err": info.Err.Error()}))
	}
	return " " + st.StatusWarn.Render(tr.T("TUIReading", nil))
}

// sidebar lists the pages and, under each section, its steps with their
// status; it scrolls to keep the current page in view.
func (m *lessonModel) sidebar(height int) string {
	st := m.c.styles
	w := m.sideW
	var lines []string
	cur := 0
	fit := func(s string) string { return ansi.Truncate(s, w-1, "…") }
	for i := 0; i < m.pages(); i++ {
		label := fit(" " + m.pageTitle(i))
		if i == m.page {
			cur = len(lines)
			lines = append(lines, st.SectionCurrent.Render(fit("▸"+m.pageTitle(i))))
		} else {
			lines = append(lines, st.Section.Render(label))
		}
		if i == 0 {
			continue
		}
		for _, ref := range m.doc().Sections[i-1].Steps {
			n, _ := render.StepNumber(m.l, ref.ID)
			if n == 0 {
				continue
			}
			mark, style := m.stepMark(n - 1)
			lines = append(lines, style.Render(fit(fmt.Sprintf("  %s %d %s", mark, n, ref.Title))))
		}
	}
	// Scroll: keep the current page's line in the upper third.
	start := 0
	if len(lines) > height {
		start = min(max(0, cur-height/3), len(lines)-height)
	}
	end := min(len(lines), start+height)
	return strings.Join(lines[start:end], "\n")
}

// stepMark is the sidebar marker of step i: ✓ done, ▶ current, ⟳ running,
// ✗ failed, · locked.
func (m *lessonModel) stepMark(i int) (string, lipgloss.Style) {
	st := m.c.styles
	if i >= len(m.flow.Steps) {
		return "·", st.StepLocked
	}
	switch s := m.flow.Steps[i]; {
	case s.Done():
		return "✓", st.StepDone
	case s == flow.Running:
		return "⟳", st.StepCurrent
	case s == flow.Failed:
		return "✗", st.StepFailed
	case i == m.flow.Current && m.flow.Mode != flow.Summary:
		return "▶", st.StepCurrent
	}
	return "·", st.StepLocked
}

// joinEnds puts left and right on one line of width w.
func joinEnds(left, right string, w int) string {
	gap := w - lipgloss.Width(left) - lipgloss.Width(right)
	if gap < 1 {
		return ansi.Truncate(left, max(0, w-lipgloss.Width(right)-1), "…") + " " + right
	}
	return left + strings.Repeat(" ", gap) + right
}
