package dash

import (
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/kubetutor/kubetutor/runner/workshop"
)

// learnerTable is the table of learners: one row each, failing and stuck
// first, then by step ascending. The selection follows the learner when
// rows move.
type learnerTable struct {
	c    *common
	rows []tableRow
	// cursor is the selected row; offset the first row shown.
	cursor, offset, width, height int
}

// tableRow is a learner as shown (anonymised when names are hidden) and
// the real name, which the actions need.
type tableRow struct {
	name  string
	pos   int
	shown workshop.Learner
}

// set shows snapshot s, keeping the selected learner selected.
func (t *learnerTable) set(s workshop.Snapshot) {
	sel, hadSel := t.selected()
	shown := s
	if t.c.hide {
		shown = workshop.Anonymise(s)
	}
	t.rows = t.rows[:0]
	for i, l := range shown.Learners {
		t.rows = append(t.rows, tableRow{name: s.Learners[i].Name, pos: i, shown: l})
	}
	slices.SortStableFunc(t.rows, func(a, b tableRow) int { return workshop.Compare(a.shown, b.shown) })
	if hadSel {
		for i, r := range t.rows {
			if r.name == sel.Name {
				t.cursor = i
			}
		}
	}
	t.move(0)
}

// selected is the selected learner (real name).
func (t *learnerTable) selected() (workshop.Learner, bool) {
	if t.cursor < 0 || t.cursor >= len(t.rows) {
		return workshop.Learner{}, false
	}
	r := t.rows[t.cursor]
	l := r.shown
	l.Name = r.name
	return l, true
}

// SetSize sets the table's size, header included.
func (t *learnerTable) SetSize(w, h int) {
	t.width, t.height = w, h
	t.move(0)
}

// visible is how many rows fit under the header.
func (t *learnerTable) visible() int { return max(1, t.height-1) }

// move moves the selection by n rows and keeps it on screen.
func (t *learnerTable) move(n int) {
	t.cursor = min(max(t.cursor+n, 0), max(len(t.rows)-1, 0))
	v := t.visible()
	switch {
	case t.cursor < t.offset:
		t.offset = t.cursor
	case t.cursor >= t.offset+v:
		t.offset = t.cursor - v + 1
	}
	t.offset = min(t.offset, max(len(t.rows)-v, 0))
}

func (t *learnerTable) update(msg tea.KeyPressMsg) {
	k := &t.c.keys
	switch {
	case key.Matches(msg, k.Up):
		t.move(-1)
	case key.Matches(msg, k.Down):
		t.move(1)
	case key.Matches(msg, k.PageUp):
		t.move(-t.visible())
	case key.Matches(msg, k.PageDown):
		t.move(t.visible())
	case key.Matches(msg, k.Top):
		t.move(-len(t.rows))
	case key.Matches(msg, k.Bottom):
		t.move(len(t.rows))
	}
}

// columns are the widths of learner, step, time on step, state and last
// warning, for the table's width.
func (t *learnerTable) columns() [5]int {
	c := t.c
	learner := lipgloss.Width(c.t("WSColLearner", nil))
	state := lipgloss.Width(c.t("WSColState", nil))
	for _, r := range t.rows {
		learner = max(learner, lipgloss.Width(c.label(r.shown.Name, r.pos)))
	}
	for _, id := range []string{"WSStateReached", "WSStateDone", "WSStateFailing", "WSStateStuck", "WSStateNotStarted", "WSStateWorking"} {
		state = max(state, 2+lipgloss.Width(c.t(id, nil)))
	}
	learner = min(learner, 16)
	onStep := lipgloss.Width(c.t("WSColOnStep", nil))
	for _, r := range t.rows {
		onStep = max(onStep, lipgloss.Width(c.since(r.shown.Since)))
	}
	// Two cells of selection mark, two between columns.
	rest := t.width - 2 - learner - onStep - state - 8
	step := max(12, min(rest*55/100, t.stepWidth()))
	return [5]int{learner, step, onStep, state, max(8, rest-step)}
}

// View is the header and the visible rows.
func (t *learnerTable) View(checkpoint int) string {
	c := t.c
	if len(t.rows) == 0 {
		return c.styles.Dim.Render(c.t("WSNoLearners", nil))
	}
	w := t.columns()
	head := []string{c.t("WSColLearner", nil), c.t("WSColStep", nil), c.t("WSColOnStep", nil), c.t("WSColState", nil), c.t("WSColWarning", nil)}
	lines := []string{c.styles.Heading.Render(cells("  ", head, w))}
	end := min(t.offset+t.visible(), len(t.rows))
	for i := t.offset; i < end; i++ {
		r := t.rows[i]
		l := r.shown
		lk := c.look(l, checkpoint)
		step := "—"
		if l.StepIndex > 0 {
			st := c.stepName(l.StepIndex, l.Step)
			step = strconv.Itoa(st.N) + " " + st.Title
		}
		warn := ""
		if l.LastWarning != "" {
			warn = l.LastWarning
			if !l.LastWarningAt.IsZero() {
				ago := c.t("WSAgo", map[string]any{"Age": c.since(l.LastWarningAt)})
				warn = ansi.Truncate(warn, max(1, w[4]-lipgloss.Width(ago)-1), "…") + " " + ago
			}
		}
		vals := []string{c.label(l.Name, r.pos), step, c.since(l.Since), lk.glyph + " " + lk.label, warn}
		mark := "  "
		if i == t.cursor {
			mark = "▸ "
		}
		line := cells(mark, vals, w)
		switch {
		case i == t.cursor:
			line = c.styles.Selected.Render(line)
		case lk.glyph != glyphWorking:
			line = c.lookStyle(lk.glyph).Render(line)
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// position says which rows show when not all fit ("" when all do).
func (t *learnerTable) position() string {
	if len(t.rows) <= t.visible() {
		return ""
	}
	end := min(t.offset+t.visible(), len(t.rows))
	return t.c.t("WSRows", map[string]any{"From": t.offset + 1, "To": end, "Count": len(t.rows)})
}

// cells lays out values in columns of widths w (cut with … when too long,
// padded by display width: Japanese is double-width) after a mark.
func cells(mark string, values []string, w [5]int) string {
	var b strings.Builder
	b.WriteString(mark)
	for i, v := range values {
		v = ansi.Truncate(v, w[i], "…")
		b.WriteString(v)
		if i < len(values)-1 {
			b.WriteString(strings.Repeat(" ", w[i]-lipgloss.Width(v)+2))
		}
	}
	return strings.TrimRight(b.String(), " ")
}

// stepWidth is the width the widest step cell needs.
func (t *learnerTable) stepWidth() int {
	w := 0
	for _, r := range t.rows {
		st := t.c.stepName(r.shown.StepIndex, r.shown.Step)
		w = max(w, lipgloss.Width(strconv.Itoa(st.N)+" "+st.Title))
	}
	return w
}
