package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubetutor/kubetutor/runner/engine"
	"github.com/kubetutor/kubetutor/runner/flow"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/render"
	"github.com/kubetutor/kubetutor/runner/ui"
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

	// Live mode: the watched step, the running step, outcomes, times,
	// previews.
	hands      handsOn
	running    *runView
	runID      int
	stepCancel context.CancelFunc
	results    map[int]engine.StepResult
	durations  map[int]time.Duration
	previews   map[int][]string
	// firstSeen is when each step was first recorded done (the record
	// runner/evidence reads back); epoch is when the learner last started
	// over.
	firstSeen map[string]time.Time
	epoch     time.Time
	changed   string // what judging the cluster found changed
	opening   bool   // progress is being loaded and judged
	locked    string // why steps stay locked: another kubetutor holds the lesson
	quitting  bool
	// Skip chooser and summary.
	choosing      bool
	choice        int
	summaryClosed bool
	// Live panes: streams and what they last said.
	streams    *streams
	liveGen    int
	liveCancel context.CancelFunc
	podRows    map[string]podRow
	podOrder   []string
	events     []*corev1.Event
	reads      []readMsg
	logs       []string
	logPod     string
	target     string
	pane       int // which pane shows when they do not fit side by side
	hidePanes  bool
	liveH      int
}

func newLessonModel(c *common, l *lesson.Lesson, runner StepRunner) *lessonModel {
	vp := viewport.New()
	vp.MouseWheelEnabled = true
	vp.KeyMap.Left.SetEnabled(false)
	vp.KeyMap.Right.SetEnabled(false)
	ctx, cancel := context.WithCancel(context.Background())
	m := &lessonModel{c: c, l: l, runner: runner, vp: vp, scrollFrac: -1, ctx: ctx, cancel: cancel,
		results: map[int]engine.StepResult{}, durations: map[int]time.Duration{}, previews: map[int][]string{}, firstSeen: map[string]time.Time{},
		podRows: map[string]podRow{}, hands: newHandsOn()}
	m.flow, _ = flow.Next(flow.State{}, flow.Opened{Steps: len(l.Spec.Steps)})
	return m
}

// open starts the step flow once a runner and a cluster are there: it
// loads stored progress first (then opened offers to resume).
func (m *lessonModel) open() tea.Cmd {
	live := m.runner != nil && m.c.cluster.info.Reachable
	if !live || m.flow.Mode != flow.Reading || m.opening {
		return nil
	}
	m.opening = true
	return m.loadProgress()
}

// close cancels whatever the lesson runs: the step, the live streams.
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
	m.liveH = 0
	if m.live() {
		switch {
		case m.h >= 36:
			m.liveH = 15
		case m.h >= 20:
			m.liveH = 9
		case m.h >= 14:
			m.liveH = 5
		}
		if m.hidePanes {
			m.liveH = min(m.liveH, 4)
		}
		vh -= m.liveH
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
	case progressLoadedMsg:
		cmd := m.opened(msg)
		if cmd == nil {
			m.opening = false
		}
		m.layout()
		return cmd
	case judgedMsg:
		m.opening = false
		cmd := m.judged(msg)
		m.layout()
		return cmd
	case previewsMsg:
		m.previews = msg
		return nil
	case watchEventMsg:
		return m.hands.event(msg, m.c.now())
	case watchDoneMsg:
		return m.watchDone(msg)
	case stepEventMsg:
		return m.stepEvent(msg, waitStepAgain(msg))
	case stepDoneMsg:
		return m.stepDone(msg)
	case resetDoneMsg:
		m.changed = ""
		m.summaryClosed = false
		if msg.a != nil {
			m.setNotice(m.c.tr.T("TUIResetDone", map[string]any{"Count": len(msg.a.Deleted), "Nodes": len(msg.a.Uncordoned)}))
		}
		return m.next(flow.ResetDone{})
	case uncordonedMsg:
		if msg.a != nil && len(msg.a.Uncordoned) > 0 {
			m.setNotice(m.c.tr.T("TUIUncordoned", map[string]any{"Nodes": strings.Join(msg.a.Uncordoned, ", ")}))
		}
		return nil
	case savedMsg:
		if msg.err != nil {
			m.setNotice(msg.err.Error())
		}
		return nil
	case progressErrMsg:
		m.setNotice(msg.err.Error())
		return nil
	case liveMsg:
		if msg.gen != m.liveGen {
			return nil
		}
		m.liveUpdate(msg.msg)
		if m.streams == nil {
			return nil // tests deliver live messages directly
		}
		return m.streams.wait()
	case liveClosedMsg:
		return nil
	case tickMsg:
		if m.streams == nil || m.ctx.Err() != nil || msg.gen != m.liveGen {
			return nil
		}
		return tick(m.liveGen)
	case terminateMsg:
		return m.next(flow.Terminate{})
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
	if cmd, ok := m.promptKey(msg); ok {
		return cmd
	}
	switch {
	case key.Matches(msg, k.Skip):
		return m.openChooser()
	case key.Matches(msg, k.Reset):
		if m.live() {
			return m.next(flow.AskReset{})
		}
	case key.Matches(msg, k.Pane):
		m.pane++
		return nil
	case key.Matches(msg, k.Panes):
		m.hidePanes = !m.hidePanes
		m.layout()
		return nil
	case key.Matches(msg, k.NextSection):
		m.summaryClosed = true
		return m.gotoPage(m.page + 1)
	case key.Matches(msg, k.PrevSection):
		m.summaryClosed = true
		return m.gotoPage(m.page - 1)
	case key.Matches(msg, k.Run):
		return m.run()
	case key.Matches(msg, k.Copy):
		return m.copyCommands()
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

// run starts (or retries) the current step, or says plainly why it
// cannot.
func (m *lessonModel) run() tea.Cmd {
	tr := m.c.tr
	if m.locked != "" {
		m.setNotice(m.locked)
		return nil
	}
	if m.runner == nil || m.flow.Mode == flow.Reading {
		m.setNotice(tr.T("TUINotAvailable", nil))
		return nil
	}
	if m.flow.Mode == flow.Summary {
		m.summaryClosed = !m.summaryClosed
		return nil
	}
	if m.flow.Mode != flow.Idle {
		return nil
	}
	// Show the page of the step that runs.
	var cmd tea.Cmd
	if p := m.sectionOf(m.flow.Current); p > 0 && p != m.page {
		cmd = m.gotoPage(p)
	}
	return tea.Batch(cmd, m.next(flow.Run{}))
}

// View is the lesson view without the help bar (height h-1).
func (m *lessonModel) View() string {
	st, tr := m.c.styles, m.c.tr
	title := " " + st.Title.Render(m.doc().Title)
	right := st.Dim.Render(tr.T("TUISection", map[string]any{"N": m.page + 1, "Total": m.pages()})) + " "
	title = joinEnds(title, right, m.w)

	body := m.vp.View()
	if m.shown != m.key() && m.vp.TotalLineCount() == 0 {
		body = ui.PadLines(" "+st.Dim.Render(tr.T("TUIRendering", nil)), m.vp.Height())
	}
	if m.flow.Mode == flow.Summary && !m.summaryClosed {
		body = ui.PadLines(m.summaryView(m.w, m.vp.Height()), m.vp.Height())
	} else if m.choosing {
		body = ui.PadLines(m.chooserView(m.w, m.vp.Height()), m.vp.Height())
	} else if m.sideW > 0 {
		side := st.Sidebar.Height(m.vp.Height()).Width(m.sideW + 1).Render(m.sidebar(m.vp.Height()))
		body = lipgloss.JoinHorizontal(lipgloss.Top, side, body)
	}
	lines := []string{title, body}
	if m.liveH > 0 {
		lines = append(lines, m.liveView(m.w, m.liveH))
	}
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
