package tui

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/kubetutor/kubetutor/runner/flow"
	"github.com/kubetutor/kubetutor/runner/l10n"
	"github.com/kubetutor/kubetutor/runner/render"
	"github.com/kubetutor/kubetutor/runner/ui"
)

// probeTimeout bounds the cluster probe: reading must never wait on it.
const probeTimeout = 2 * time.Second

// state is what the root model shows.
type state int

const (
	stateList state = iota
	stateLesson
)

// common is shared by the root model and its sub-models.
type common struct {
	width, height int
	lang          string
	cat           *l10n.Catalog
	tr            *l10n.Translator
	keys          keyMap
	styles        Styles
	dark          bool
	noColor       bool
	cluster       clusterState
	renderers     *rendererCache
	now           func() time.Time
	progress      ProgressStore
	// rendered caches rendered pages; written only in Update.
	rendered map[renderKey]string
}

func (c *common) setLang(lang string) {
	c.lang = l10n.Normalize(lang)
	c.tr = c.cat.Translator(c.lang)
	c.keys = newKeyMap(c.tr)
}

// style is the glamour style for the lesson text.
func (c *common) style() render.Style {
	switch {
	case c.noColor:
		return render.NoColor
	case c.dark:
		return render.Dark
	}
	return render.Light
}

type clusterState struct {
	probing bool
	info    ClusterInfo
}

// rendererCache builds one render.Renderer per width and style; render
// commands run concurrently, hence the lock.
type rendererCache struct {
	mu sync.Mutex
	m  map[string]*render.Renderer
}

func (rc *rendererCache) get(width int, style render.Style) (*render.Renderer, error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	k := fmt.Sprintf("%d/%s", width, style)
	if r, ok := rc.m[k]; ok {
		return r, nil
	}
	r, err := render.New(width, style)
	if err != nil {
		return nil, err
	}
	rc.m[k] = r
	return r, nil
}

// Messages.
type (
	clusterMsg  ClusterInfo
	renderedMsg struct {
		key  renderKey
		text string
		err  error
	}
)

// Model is the root model.
type Model struct {
	c        *common
	opts     Options
	state    state
	list     listModel
	lesson   *lessonModel
	help     help.Model
	showHelp bool
	ctx      context.Context
	cancel   context.CancelFunc
}

// New builds the root model (Run uses it; tests drive it directly).
func New(opts Options) *Model {
	c := &common{
		width: opts.Width, height: opts.Height,
		cat: opts.Catalog, dark: true, noColor: opts.NoColor,
		renderers: &rendererCache{m: map[string]*render.Renderer{}},
		rendered:  map[renderKey]string{},
		now:       opts.Now, progress: opts.Progress,
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.setLang(opts.Lang)
	c.styles = newStyles(c.dark)
	c.cluster.probing = opts.Probe != nil
	ctx, cancel := context.WithCancel(context.Background())
	m := &Model{c: c, opts: opts, help: help.New(), ctx: ctx, cancel: cancel}
	m.list = newListModel(c, opts.Lessons)
	for i, l := range opts.Lessons {
		if l.ID == opts.Start {
			m.list.cursor = i
			m.lesson = newLessonModel(c, l, opts.Runner)
			m.state = stateLesson
		}
	}
	m.setSize(c.width, c.height)
	return m
}

// Init probes the cluster and asks the terminal for its background colour.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tea.RequestBackgroundColor}
	if m.opts.Probe != nil {
		probe := m.opts.Probe
		ctx := m.ctx
		cmds = append(cmds, func() tea.Msg {
			ctx, cancel := context.WithTimeout(ctx, probeTimeout)
			defer cancel()
			return clusterMsg(probe(ctx))
		})
	}
	if m.lesson != nil {
		cmds = append(cmds, m.lesson.open(), m.lesson.renderCmd())
	}
	return tea.Batch(cmds...)
}

func (m *Model) setSize(w, h int) {
	m.c.width, m.c.height = w, h
	m.help.SetWidth(w)
	m.list.SetSize(w, h)
	if m.lesson != nil {
		m.lesson.SetSize(w, h)
	}
}

// Update handles a message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.setSize(msg.Width, msg.Height)
		if m.lesson != nil {
			return m, m.lesson.renderCmd()
		}
		return m, nil
	case tea.BackgroundColorMsg:
		if dark := msg.IsDark(); dark != m.c.dark {
			m.c.dark = dark
			m.c.styles = newStyles(dark)
			if m.lesson != nil {
				m.lesson.keepScroll()
				return m, m.lesson.renderCmd()
			}
		}
		return m, nil
	case clusterMsg:
		m.c.cluster = clusterState{info: ClusterInfo(msg)}
		if m.lesson != nil {
			return m, m.lesson.open()
		}
		return m, nil
	case tea.KeyPressMsg:
		return m, m.handleKey(msg)
	case terminateMsg:
		if m.lesson != nil && m.lesson.live() {
			return m, m.lesson.update(msg)
		}
		m.cancel()
		return m, tea.Quit
	}
	if m.lesson != nil {
		return m, m.lesson.update(msg)
	}
	return m, nil
}

func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.c.keys
	switch {
	case msg.String() == "ctrl+c" || (key.Matches(msg, k.Quit) && !m.showHelp):
		if m.lesson != nil && m.lesson.live() {
			// The lesson decides: quit at once when idle, ask while a
			// step runs; either way progress is saved.
			if m.lesson.choosing {
				m.lesson.choosing = false
			}
			cmd := m.lesson.next(flow.AskQuit{})
			if m.lesson.flow.Mode == flow.ConfirmQuit {
				m.state = stateLesson
			}
			return cmd
		}
		m.cancel()
		return tea.Quit
	case key.Matches(msg, k.Help):
		m.showHelp = !m.showHelp
		return nil
	case m.showHelp && (key.Matches(msg, k.Back) || key.Matches(msg, k.Quit)):
		m.showHelp = false
		return nil
	case m.showHelp:
		return nil
	case key.Matches(msg, k.Lang):
		lang := "ja"
		if m.c.lang == "ja" {
			lang = "en"
		}
		m.c.setLang(lang)
		if m.lesson != nil {
			m.lesson.keepScroll()
			m.lesson.notice = ""
			return m.lesson.renderCmd()
		}
		return nil
	}
	switch m.state {
	case stateList:
		if key.Matches(msg, k.Open) && len(m.opts.Lessons) > 0 {
			l := m.opts.Lessons[m.list.cursor]
			if m.lesson == nil || m.lesson.l != l {
				if m.lesson != nil {
					m.lesson.close()
				}
				m.lesson = newLessonModel(m.c, l, m.opts.Runner)
				m.lesson.SetSize(m.c.width, m.c.height)
			}
			m.state = stateLesson
			return tea.Batch(m.lesson.open(), m.lesson.renderCmd(), m.lesson.startLive())
		}
		m.list.update(msg)
		return nil
	case stateLesson:
		if key.Matches(msg, k.Back) && !m.lesson.modal() && (m.lesson.flow.Mode != flow.Summary || m.lesson.summaryClosed) {
			m.lesson.stopLive() // a running step goes on; the panes stop
			m.state = stateList
			return nil
		}
		return m.lesson.update(msg)
	}
	return nil
}

// View draws the screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "kubetutor"
	return v
}

// Render is the screen as a string (View's content; tests compare it).
func (m *Model) Render() string {
	w, h := m.c.width, m.c.height
	if w <= 0 || h <= 0 {
		return ""
	}
	var body string
	var km help.KeyMap
	switch m.state {
	case stateLesson:
		body, km = m.lesson.View(), lessonKeys{k: &m.c.keys, live: m.lesson.live()}
	default:
		body, km = m.list.View(), listKeys{&m.c.keys}
	}
	if m.showHelp {
		body = m.helpOverlay(km, h-1)
	}
	bar := m.help.ShortHelpView(km.ShortHelp())
	return fitScreen(body+"\n"+bar, w, h)
}

func (m *Model) helpOverlay(km help.KeyMap, height int) string {
	hm := help.New()
	hm.ShowAll = true
	hm.FullSeparator = "    "
	tr := m.c.tr
	content := m.c.styles.Title.Render(tr.T("TUIHelpTitle", nil)) + "\n\n" +
		hm.FullHelpView(km.FullHelp()) + "\n\n" +
		render.Wrap(tr.T("TUILegend", nil), max(20, m.c.width-8)) + "\n" +
		m.c.styles.Dim.Render(tr.T("TUILanguage", nil)+" · "+tr.T("TUIHelpClose", nil))
	box := m.c.styles.HelpBox.MaxWidth(m.c.width).Render(content)
	return lipgloss.Place(m.c.width, height, lipgloss.Center, lipgloss.Center, box)
}

// fitScreen makes s exactly h lines of at most w cells.
func fitScreen(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		// Keep the bottom line (the help bar), drop from the body's end.
		lines = append(lines[:h-1], lines[len(lines)-1])
	}
	for len(lines) < h {
		lines = append(lines[:len(lines)-1], "", lines[len(lines)-1])
	}
	return ui.FitWidth(lines, w)
}

func roundFrac(f float64, n int) int {
	if n <= 0 || math.IsNaN(f) {
		return 0
	}
	return int(math.Round(f * float64(n)))
}
