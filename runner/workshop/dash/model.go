package dash

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/kubetutor/kubetutor/runner/l10n"
	"github.com/kubetutor/kubetutor/runner/ui"
	"github.com/kubetutor/kubetutor/runner/workshop"
)

// common is shared by the root model and its components.
type common struct {
	width, height int
	tr            *l10n.Translator
	keys          keyMap
	styles        Styles
	now           func() time.Time
	steps         []workshop.StepName
	lessonTitle   string
	hide          bool
}

func (c *common) t(id string, data map[string]any) string { return c.tr.T(id, data) }

// stepName is step n (1-based) as the views name it; the ID when the lesson
// is unknown.
func (c *common) stepName(n int, id string) workshop.StepName {
	if n >= 1 && n <= len(c.steps) {
		return c.steps[n-1]
	}
	return workshop.StepName{ID: id, N: n, Title: id}
}

// stepCount is the number of steps: the lesson's, or the furthest seen.
func (c *common) stepCount(s workshop.Snapshot) int {
	n := len(c.steps)
	for _, l := range s.Learners {
		n = max(n, l.StepIndex)
	}
	return n
}

// view is what the body of the screen shows.
type view int

const (
	viewTable view = iota
	viewDetail
)

// pickFor says what a picked step is for.
type pickFor int

const (
	pickCheckpoint pickFor = iota
	pickPush
)

// ask is a question on the status line, answered with y / a / n.
type ask struct {
	text string
	// yes runs on y; all, when set, on a.
	yes, all func() tea.Cmd
}

// Messages.
type (
	subscribedMsg struct {
		updates <-chan workshop.Snapshot
		snap    workshop.Snapshot
	}
	snapshotMsg    workshop.Snapshot
	updatesDoneMsg struct{}
	detailMsg      struct {
		name string
		d    workshop.Detail
		ok   bool
	}
	// actionMsg ends an action: its result line, and a deep check's detail.
	actionMsg struct {
		line   string
		failed bool
		deep   *workshop.Detail
	}
	tickMsg time.Time
)

// Model is the dashboard's root model.
type Model struct {
	c        *common
	ctx      context.Context
	cancel   context.CancelFunc
	src      workshop.Source
	act      workshop.Actions
	updates  <-chan workshop.Snapshot
	snap     workshop.Snapshot
	loaded   bool
	table    learnerTable
	detail   detailView
	view     view
	picker   *picker
	pickFor  pickFor
	ask      *ask
	help     help.Model
	showHelp bool
	// checkpoint is the 1-based step learners are measured against (0: none).
	checkpoint int
	// busy describes the action running ("" when none): one at a time.
	busy   string
	status string
	failed bool
	// notice says why a key did nothing (read-only, busy), until the next
	// key.
	notice string
	// deep keeps each learner's last deep check, shown over the Source's
	// detail (which cannot see inside pods).
	deep map[string]workshop.Detail
	// tick is how often the clock redraws (0 in tests: never).
	tick      time.Duration
	altScreen bool
}

// New builds the dashboard (Run uses it; tests drive it directly). ctx
// bounds the updates and the actions; act may be nil (read-only).
func New(ctx context.Context, cat *l10n.Catalog, src workshop.Source, act workshop.Actions, opts Options) *Model {
	c := &common{now: opts.Now, hide: opts.HideNames, styles: newStyles(true)}
	if c.now == nil {
		c.now = time.Now
	}
	c.tr = cat.Translator(opts.Lang)
	c.keys = newKeyMap(c.tr)
	c.steps = workshop.StepNames(opts.Lesson, c.tr.Lang())
	if opts.Lesson != nil {
		c.lessonTitle = opts.Lesson.Title(c.tr.Lang())
	}
	ctx, cancel := context.WithCancel(ctx)
	m := &Model{c: c, ctx: ctx, cancel: cancel, src: src, act: act, help: help.New(),
		deep: map[string]workshop.Detail{}, altScreen: opts.AltScreen}
	m.table = learnerTable{c: c}
	m.detail = detailView{c: c}
	return m
}

// Init subscribes to the updates, then reads the first snapshot, and
// starts the clock.
func (m *Model) Init() tea.Cmd {
	src, ctx := m.src, m.ctx
	cmds := []tea.Cmd{tea.RequestBackgroundColor, func() tea.Msg {
		// Subscribe first: a change between the two calls is not lost.
		ch := src.Updates(ctx)
		return subscribedMsg{updates: ch, snap: src.Snapshot()}
	}}
	if m.tick > 0 {
		cmds = append(cmds, m.tickCmd())
	}
	return tea.Batch(cmds...)
}

func (m *Model) tickCmd() tea.Cmd {
	return tea.Tick(m.tick, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// waitUpdate reads the next snapshot; Update re-arms it after each one.
func (m *Model) waitUpdate() tea.Cmd {
	ch := m.updates
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		s, ok := <-ch
		if !ok {
			return updatesDoneMsg{}
		}
		return snapshotMsg(s)
	}
}

// loadDetail reads a learner's detail.
func (m *Model) loadDetail(name string) tea.Cmd {
	src := m.src
	return func() tea.Msg {
		d, ok := src.Detail(name)
		return detailMsg{name: name, d: d, ok: ok}
	}
}

func (m *Model) setSize(w, h int) {
	m.c.width, m.c.height = w, h
	m.help.SetWidth(w)
	m.table.SetSize(w, max(1, h-8))
	m.detail.SetSize(w, max(1, h-4))
}

func (m *Model) setSnapshot(s workshop.Snapshot) tea.Cmd {
	m.snap, m.loaded = s, true
	m.table.set(s)
	if m.view == viewDetail {
		return m.loadDetail(m.detail.name)
	}
	return nil
}

// Update handles a message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.setSize(msg.Width, msg.Height)
	case tea.BackgroundColorMsg:
		m.c.styles = newStyles(msg.IsDark())
	case subscribedMsg:
		m.updates = msg.updates
		return m, tea.Batch(m.setSnapshot(msg.snap), m.waitUpdate())
	case snapshotMsg:
		return m, tea.Batch(m.setSnapshot(workshop.Snapshot(msg)), m.waitUpdate())
	case updatesDoneMsg:
		m.updates = nil
	case detailMsg:
		if m.view == viewDetail && msg.name == m.detail.name && msg.ok {
			m.detail.set(msg.d, m.deep[msg.name], m.position(msg.name))
		}
	case actionMsg:
		m.busy, m.status, m.failed = "", msg.line, msg.failed
		if msg.deep != nil {
			name := msg.deep.Learner.Name
			m.deep[name] = *msg.deep
			m.openDetail(name)
			return m, m.loadDetail(name)
		}
	case tickMsg:
		return m, m.tickCmd()
	case tea.KeyPressMsg:
		return m, m.handleKey(msg)
	}
	return m, nil
}

// position is a learner's index in the snapshot (its pseudonym's number).
func (m *Model) position(name string) int {
	for i, l := range m.snap.Learners {
		if l.Name == name {
			return i
		}
	}
	return -1
}

// label is how a learner is named on screen: "learner 07" when names are
// hidden.
func (c *common) label(name string, pos int) string {
	if c.hide && pos >= 0 {
		return c.t("WSLearnerN", map[string]any{"N": workshop.Pseudonym(pos)})
	}
	return name
}

func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.c.keys
	m.notice = ""
	if msg.String() == "ctrl+c" {
		return m.quit()
	}
	switch {
	case m.ask != nil:
		a := m.ask
		switch {
		case key.Matches(msg, k.Yes):
			m.ask = nil
			return a.yes()
		case a.all != nil && key.Matches(msg, k.All):
			m.ask = nil
			return a.all()
		case key.Matches(msg, k.No), key.Matches(msg, k.Quit):
			m.ask = nil
		}
		return nil
	case m.showHelp:
		if key.Matches(msg, k.Help, k.Back, k.Quit) {
			m.showHelp = false
		}
		return nil
	case m.picker != nil:
		switch {
		case key.Matches(msg, k.Back), key.Matches(msg, k.Quit):
			m.picker = nil
		case key.Matches(msg, k.Choose):
			n := m.picker.chosen()
			m.picker = nil
			return m.picked(n)
		default:
			m.picker.update(msg)
		}
		return nil
	}
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Help):
		m.showHelp = true
	case key.Matches(msg, k.Hide):
		m.c.hide = !m.c.hide
		m.table.set(m.snap)
		if m.view == viewDetail {
			return m.loadDetail(m.detail.name)
		}
	case key.Matches(msg, k.Checkpoint):
		m.pickFor = pickCheckpoint
		m.picker = newPicker(m.c, m.c.t("WSPickCheckpoint", nil), m.c.stepCount(m.snap), m.checkpoint, true)
	case key.Matches(msg, k.Push):
		if !m.canAct() {
			return nil
		}
		at := m.checkpoint
		if l, ok := m.selected(); ok && at == 0 {
			at = min(l.StepIndex+1, m.c.stepCount(m.snap))
		}
		m.pickFor = pickPush
		m.picker = newPicker(m.c, m.c.t("WSPickPush", nil), m.c.stepCount(m.snap), at, false)
	case key.Matches(msg, k.Reset):
		if l, ok := m.selected(); ok && m.canAct() {
			m.askReset(l.Name)
		}
	case key.Matches(msg, k.Deep):
		if l, ok := m.selected(); ok && m.canAct() {
			return m.deepCheck(l.Name)
		}
	case m.view == viewDetail:
		if key.Matches(msg, k.Back) {
			m.view = viewTable
			return nil
		}
		m.detail.update(msg)
	case key.Matches(msg, k.Detail):
		if l, ok := m.table.selected(); ok {
			m.openDetail(l.Name)
			return m.loadDetail(l.Name)
		}
	default:
		m.table.update(msg)
	}
	return nil
}

func (m *Model) openDetail(name string) {
	m.view = viewDetail
	if m.detail.name != name {
		pos := m.position(name)
		m.detail.set(workshop.Detail{Learner: m.learner(name)}, m.deep[name], pos)
	}
}

// learner is the row of name in the snapshot.
func (m *Model) learner(name string) workshop.Learner {
	if i := m.position(name); i >= 0 {
		return m.snap.Learners[i]
	}
	return workshop.Learner{Name: name}
}

// selected is the learner the keys act on: the detail's, or the table's.
func (m *Model) selected() (workshop.Learner, bool) {
	if m.view == viewDetail {
		return m.learner(m.detail.name), true
	}
	return m.table.selected()
}

// canAct says whether an action may start now, and why not on the status
// line.
func (m *Model) canAct() bool {
	switch {
	case m.act == nil:
		m.notice = m.c.t("WSReadOnly", nil)
		return false
	case m.busy != "":
		m.notice = m.c.t("WSBusy", map[string]any{"What": m.busy})
		return false
	}
	return true
}

func (m *Model) quit() tea.Cmd {
	if m.busy != "" && m.ask == nil {
		m.ask = &ask{text: m.c.t("WSConfirmQuit", map[string]any{"What": m.busy}), yes: m.quitNow}
		return nil
	}
	return m.quitNow()
}

func (m *Model) quitNow() tea.Cmd {
	m.cancel()
	return tea.Quit
}

// picked acts on the step chosen in the picker (0: none).
func (m *Model) picked(n int) tea.Cmd {
	switch m.pickFor {
	case pickCheckpoint:
		m.checkpoint = n
	case pickPush:
		if n == 0 {
			return nil
		}
		st := m.c.stepName(n, "")
		data := map[string]any{"N": st.N, "Title": st.Title, "Who": m.c.t("WSEveryone", nil)}
		m.ask = &ask{text: m.c.t("WSConfirmPushAll", data), yes: func() tea.Cmd { return m.push(st, "") }}
		if l, ok := m.selected(); ok {
			data["Who"] = m.c.label(l.Name, m.position(l.Name))
			m.ask = &ask{text: m.c.t("WSConfirmPush", data),
				yes: func() tea.Cmd { return m.push(st, l.Name) },
				all: func() tea.Cmd { return m.push(st, "") }}
		}
	}
	return nil
}

func (m *Model) askReset(name string) {
	who := m.c.label(name, m.position(name))
	m.ask = &ask{text: m.c.t("WSConfirmReset", map[string]any{"Who": who}), yes: func() tea.Cmd { return m.reset(name) }}
}

// push starts Actions.Push of one learner ("" for everyone) to st.
func (m *Model) push(st workshop.StepName, name string) tea.Cmd {
	var learners []string
	who := m.c.t("WSEveryone", nil)
	if name != "" {
		learners, who = []string{name}, m.c.label(name, m.position(name))
	}
	data := map[string]any{"Who": who, "N": st.N, "Title": st.Title}
	act, ctx, now, c := m.act, m.ctx, m.c.now, m.c
	return m.start(c.t("WSPushing", data), func() actionMsg {
		start := now()
		if err := act.Push(ctx, st.ID, learners); err != nil {
			data["Err"] = err.Error()
			return actionMsg{line: c.t("WSPushFailed", data), failed: true}
		}
		data["Took"] = c.age(now().Sub(start))
		return actionMsg{line: c.t("WSPushDone", data)}
	})
}

// reset starts Actions.Reset of a learner to the start.
func (m *Model) reset(name string) tea.Cmd {
	data := map[string]any{"Who": m.c.label(name, m.position(name))}
	act, ctx, now, c := m.act, m.ctx, m.c.now, m.c
	return m.start(c.t("WSResetting", data), func() actionMsg {
		start := now()
		if err := act.Reset(ctx, name, ""); err != nil {
			data["Err"] = err.Error()
			return actionMsg{line: c.t("WSResetFailed", data), failed: true}
		}
		data["Took"] = c.age(now().Sub(start))
		return actionMsg{line: c.t("WSResetDone", data)}
	})
}

// deepCheck starts Actions.DeepCheck of a learner; its detail opens when
// it ends.
func (m *Model) deepCheck(name string) tea.Cmd {
	data := map[string]any{"Who": m.c.label(name, m.position(name))}
	act, ctx, now, c := m.act, m.ctx, m.c.now, m.c
	return m.start(c.t("WSChecking", data), func() actionMsg {
		start := now()
		d, err := act.DeepCheck(ctx, name)
		if err != nil {
			data["Err"] = err.Error()
			return actionMsg{line: c.t("WSCheckFailed", data), failed: true}
		}
		d.Learner.Name = name
		inside, done := 0, 0
		for _, s := range d.Steps {
			if s.Inside {
				inside++
				if s.Done {
					done++
				}
			}
		}
		data["Took"], data["Inside"], data["Done"] = c.age(now().Sub(start)), inside, done
		return actionMsg{line: c.t("WSCheckDone", data), deep: &d}
	})
}

// start marks an action as running and returns the command that runs it.
func (m *Model) start(line string, run func() actionMsg) tea.Cmd {
	m.busy, m.status, m.failed = line, line, false
	return func() tea.Msg { return run() }
}

// View draws the screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = m.altScreen
	v.WindowTitle = "kubetutor workshop " + m.snap.Workshop
	return v
}

// Render is the screen as a string (View's content; tests compare it).
func (m *Model) Render() string {
	c := m.c
	w, h := c.width, c.height
	if w <= 0 || h <= 0 {
		return ""
	}
	var body string
	var km help.KeyMap = tableKeys{&c.keys}
	switch {
	case !m.loaded:
		body = c.styles.Dim.Render(c.t("WSLoading", nil))
	case m.view == viewDetail:
		body, km = m.detail.View(), detailKeys{&c.keys}
	default:
		body = strings.Join([]string{
			m.header(), m.checkpointLine(),
			histogram(c, m.snap, m.checkpoint, w),
			"", m.table.View(m.checkpoint),
		}, "\n")
	}
	body = ui.PadLines(body, h-2)
	switch {
	case m.showHelp:
		body = m.helpOverlay(km, h-2)
	case m.picker != nil:
		km = pickerKeys{&c.keys}
		body = lipgloss.Place(w, h-2, lipgloss.Center, lipgloss.Center, m.picker.View())
	}
	return fitScreen(body+"\n"+m.statusLine()+"\n"+m.help.ShortHelpView(km.ShortHelp()), w, h)
}

// header is the first line: what is watched, and how many learners are in
// each state (at the checkpoint counting as ✓).
func (m *Model) header() string {
	c := m.c
	title := c.lessonTitle
	if title == "" {
		title = m.snap.Lesson
	}
	left := c.styles.Title.Render(c.t("WSHeader", map[string]any{
		"Workshop": m.snap.Workshop, "Lesson": title, "Count": len(m.snap.Learners)}))
	counts := map[string]int{}
	for _, l := range m.snap.Learners {
		counts[c.look(l, m.checkpoint).glyph]++
	}
	var parts []string
	for _, g := range glyphOrder {
		parts = append(parts, c.lookStyle(g).Render(fmt.Sprintf("%d %s", counts[g], g)))
	}
	right := strings.Join(parts, "  ")
	room := c.width - lipgloss.Width(right) - 2
	if lipgloss.Width(left) > room {
		left = ansi.Truncate(left, max(0, room), "…")
	}
	return left + strings.Repeat(" ", max(2, c.width-lipgloss.Width(left)-lipgloss.Width(right))) + right
}

// checkpointLine says which step is the checkpoint and how many reached it.
func (m *Model) checkpointLine() string {
	c := m.c
	line := m.checkpointText()
	if rows := m.table.position(); rows != "" {
		line += strings.Repeat(" ", max(2, c.width-lipgloss.Width(line)-lipgloss.Width(rows))) + c.styles.Dim.Render(rows)
	}
	return line
}

func (m *Model) checkpointText() string {
	c := m.c
	if m.checkpoint == 0 {
		return c.styles.Dim.Render(c.t("WSNoCheckpoint", nil))
	}
	st := c.stepName(m.checkpoint, "")
	reached := 0
	for _, l := range m.snap.Learners {
		if l.StepIndex >= m.checkpoint {
			reached++
		}
	}
	return c.t("WSCheckpoint", map[string]any{"N": st.N, "Title": st.Title,
		"Reached": reached, "Count": len(m.snap.Learners)})
}

// statusLine is the question asked, or the running action, or its result.
func (m *Model) statusLine() string {
	s := m.c.styles
	switch {
	case m.ask != nil:
		return s.Prompt.Render(m.ask.text)
	case m.notice != "":
		return s.Prompt.Render(m.notice)
	case m.busy != "":
		return m.busy
	case m.failed:
		return s.StatusKO.Render(m.status)
	case m.status != "":
		return s.StatusOK.Render(m.status)
	case m.loaded && m.updates == nil && m.tick > 0:
		return s.Dim.Render(m.c.t("WSNoUpdates", nil))
	}
	return ""
}

func (m *Model) helpOverlay(km help.KeyMap, height int) string {
	c := m.c
	hm := help.New()
	hm.ShowAll = true
	hm.FullSeparator = "    "
	content := c.styles.Title.Render(c.t("WSHelpTitle", nil)) + "\n\n" +
		hm.FullHelpView(km.FullHelp()) + "\n\n" +
		lipgloss.NewStyle().Width(max(20, c.width-8)).Render(c.t("WSLegend", nil)) + "\n" +
		c.styles.Dim.Render(c.t("WSHelpClose", nil))
	box := c.styles.Box.MaxWidth(c.width).Render(content)
	return lipgloss.Place(c.width, height, lipgloss.Center, lipgloss.Center, box)
}

// fitScreen makes s exactly h lines of at most w cells.
func fitScreen(s string, w, h int) string {
	return ui.FitWidth(strings.Split(ui.PadLines(s, h), "\n"), w)
}
