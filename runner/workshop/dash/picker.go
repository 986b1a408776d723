package dash

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// picker chooses a step of the lesson (for a push or the checkpoint).
type picker struct {
	c     *common
	title string
	// items are step numbers; 0 is "none" when offered.
	items  []int
	cursor int
}

// newPicker offers steps 1…n (and "none" first when none is set), with
// at (a step number, 0 for none) selected.
func newPicker(c *common, title string, n, at int, none bool) *picker {
	p := &picker{c: c, title: title}
	if none {
		p.items = append(p.items, 0)
	}
	for i := 1; i <= n; i++ {
		p.items = append(p.items, i)
	}
	for i, v := range p.items {
		if v == at {
			p.cursor = i
		}
	}
	return p
}

// chosen is the step selected (0: none).
func (p *picker) chosen() int {
	if len(p.items) == 0 {
		return 0
	}
	return p.items[p.cursor]
}

func (p *picker) update(msg tea.KeyPressMsg) {
	k := &p.c.keys
	switch {
	case key.Matches(msg, k.Up):
		p.cursor--
	case key.Matches(msg, k.Down):
		p.cursor++
	case key.Matches(msg, k.Top), key.Matches(msg, k.PageUp):
		p.cursor = 0
	case key.Matches(msg, k.Bottom), key.Matches(msg, k.PageDown):
		p.cursor = len(p.items) - 1
	}
	p.cursor = min(max(p.cursor, 0), max(len(p.items)-1, 0))
}

// View is the picker in a box, showing the items around the cursor that
// fit the screen.
func (p *picker) View() string {
	c := p.c
	fit := max(3, c.height-8)
	from := min(max(p.cursor-fit/2, 0), max(len(p.items)-fit, 0))
	to := min(from+fit, len(p.items))
	lines := []string{c.styles.Title.Render(p.title), ""}
	for i := from; i < to; i++ {
		text := c.t("WSPickNone", nil)
		if n := p.items[i]; n > 0 {
			text = fmt.Sprintf("%2d %s", n, c.stepName(n, "").Title)
		}
		if i == p.cursor {
			lines = append(lines, c.styles.Selected.Render("▸ "+text))
		} else {
			lines = append(lines, "  "+text)
		}
	}
	if len(p.items) == 0 {
		lines = append(lines, c.styles.Dim.Render(c.t("WSPickEmpty", nil)))
	}
	return c.styles.Box.MaxWidth(c.width).Render(lipgloss.NewStyle().MaxWidth(c.width - 4).Render(strings.Join(lines, "\n")))
}
