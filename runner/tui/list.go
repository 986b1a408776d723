package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/render"
	"github.com/kubetutor/kubetutor/runner/ui"
)

// listModel is the lesson list.
type listModel struct {
	c       *common
	lessons []*lesson.Lesson
	cursor  int
	w, h    int
}

func newListModel(c *common, lessons []*lesson.Lesson) listModel {
	return listModel{c: c, lessons: lessons}
}

func (m *listModel) SetSize(w, h int) { m.w, m.h = w, h }

func (m *listModel) update(msg tea.KeyPressMsg) {
	k := &m.c.keys
	switch {
	case key.Matches(msg, k.Up):
		if m.cursor > 0 {
			m.cursor--
		}
	case key.Matches(msg, k.Down):
		if m.cursor < len(m.lessons)-1 {
			m.cursor++
		}
	}
}

// View is the list without the help bar (height h-1).
func (m *listModel) View() string {
	st, tr := m.c.styles, m.c.tr
	var b strings.Builder
	b.WriteString(" " + st.Title.Render(tr.T("TUIListTitle", nil)) + "\n\n")
	if len(m.lessons) == 0 {
		b.WriteString(" " + tr.T("TUIListEmpty", nil) + "\n")
	}
	for i, l := range m.lessons {
		doc := l.Doc(m.c.lang)
		steps := st.Dim.Render("· " + tr.T("TUIListSteps", map[string]any{"Count": len(l.Spec.Steps)}) + " · " + l.ID)
		if i == m.cursor {
			b.WriteString(" " + st.Selected.Render("▸ "+doc.Title) + "  " + steps + "\n")
			if doc.Summary != "" {
				for _, line := range strings.Split(render.Wrap(doc.Summary, max(20, m.w-6)), "\n") {
					b.WriteString("    " + line + "\n")
				}
			}
			b.WriteString("\n")
			continue
		}
		b.WriteString("   " + doc.Title + "  " + steps + "\n")
	}
	status := clusterLine(m.c)
	return ui.PadLines(strings.TrimRight(b.String(), "\n"), m.h-2) + "\n" + status
}
