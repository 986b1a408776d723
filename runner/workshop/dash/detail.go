package dash

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/kubetutor/kubetutor/runner/workshop"
)

// detailView is one learner in depth: the step timeline, the last events,
// the pods; it scrolls when longer than the screen.
type detailView struct {
	c *common
	// name is the learner's real name; pos their place in the snapshot.
	name string
	pos  int
	d    workshop.Detail
	// verified are the steps a deep check found done.
	verified              map[string]bool
	offset, width, height int
}

// set shows d, with the Inside steps that deep (the learner's last deep
// check, if any) found done marked done.
func (v *detailView) set(d, deep workshop.Detail, pos int) {
	v.name, v.pos = d.Learner.Name, pos
	v.verified = map[string]bool{}
	ok := map[string]bool{}
	for _, s := range deep.Steps {
		if s.Inside && s.Done {
			ok[s.ID] = true
		}
	}
	steps := make([]workshop.StepSeen, len(d.Steps))
	for i, s := range d.Steps {
		if s.Inside && !s.Done && ok[s.ID] {
			s.Done = true
			v.verified[s.ID] = true
		}
		steps[i] = s
	}
	d.Steps = steps
	v.d = d
	v.scroll(0)
}

// SetSize sets the detail's size.
func (v *detailView) SetSize(w, h int) {
	v.width, v.height = w, h
	v.scroll(0)
}

func (v *detailView) scroll(n int) {
	v.offset = min(max(v.offset+n, 0), max(len(v.lines())-v.height, 0))
}

func (v *detailView) update(msg tea.KeyPressMsg) {
	k := &v.c.keys
	switch {
	case key.Matches(msg, k.Up):
		v.scroll(-1)
	case key.Matches(msg, k.Down):
		v.scroll(1)
	case key.Matches(msg, k.PageUp):
		v.scroll(-v.height)
	case key.Matches(msg, k.PageDown):
		v.scroll(v.height)
	case key.Matches(msg, k.Top):
		v.scroll(-len(v.lines()))
	case key.Matches(msg, k.Bottom):
		v.scroll(len(v.lines()))
	}
}

// View is the title line, a blank line and the scrolled lines.
func (v *detailView) View() string {
	lines := v.lines()
	end := min(v.offset+v.height, len(lines))
	return v.title() + "\n\n" + strings.Join(lines[v.offset:end], "\n")
}

// shown is the detail as shown: anonymised when names are hidden.
func (v *detailView) shown() workshop.Detail {
	if v.c.hide && v.pos >= 0 {
		return workshop.AnonymiseDetail(v.d, workshop.Pseudonym(v.pos))
	}
	return v.d
}

// title says who, where, at which step, in which state, for how long.
func (v *detailView) title() string {
	c := v.c
	l := v.shown().Learner
	lk := c.look(l, 0)
	parts := []string{c.styles.Title.Render(c.label(l.Name, v.pos)), c.lookStyle(lk.glyph).Render(lk.glyph + " " + lk.label)}
	if l.StepIndex > 0 {
		st := c.stepName(l.StepIndex, l.Step)
		parts = append(parts, c.t("WSDetailStep", map[string]any{"N": st.N, "Total": len(c.steps), "Title": st.Title}),
			c.t("WSDetailOnStep", map[string]any{"Age": c.since(l.Since)}))
	}
	if l.Namespace != "" {
		parts = append(parts, l.Namespace)
	}
	return strings.Join(parts, " · ")
}

// lines are the timeline, the events and the pods.
func (v *detailView) lines() []string {
	c := v.c
	d := v.shown()
	steps := d.Steps
	if len(steps) == 0 {
		// Nothing known yet: list the lesson's steps, none done.
		for _, s := range c.steps {
			steps = append(steps, workshop.StepSeen{ID: s.ID})
		}
	}
	tw := 0
	for i, s := range steps {
		tw = max(tw, lipgloss.Width(c.stepName(i+1, s.ID).Title))
	}
	tw = min(tw, max(12, v.width/2))
	out := []string{c.styles.Heading.Render(c.t("WSDetailSteps", nil))}
	for i, s := range steps {
		title := ansi.Truncate(c.stepName(i+1, s.ID).Title, tw, "…")
		glyph, note := "·", ""
		style := c.styles.Dim
		switch {
		case s.Done && s.Pushed:
			glyph, note, style = "⇢", c.t("WSPushedNote", nil), c.styles.Reached
		case s.Done && v.verified[s.ID]:
			glyph, note, style = "✓", c.t("WSVerifiedNote", nil), c.styles.Reached
		case s.Done:
			glyph, style = "✓", c.styles.Reached
		case s.Inside:
			glyph, note, style = "?", c.t("WSNeedsDeepCheck", nil), c.styles.Stuck
		}
		line := fmt.Sprintf("  %s %2d %s%s  %-8s", glyph, i+1, title, strings.Repeat(" ", tw-lipgloss.Width(title)), c.clock(s.At))
		if note != "" {
			line += "  " + note
		}
		out = append(out, style.Render(strings.TrimRight(line, " ")))
	}
	out = append(out, "", c.styles.Heading.Render(c.t("WSDetailEvents", nil)))
	out = append(out, v.lineList(d.Events, true)...)
	out = append(out, "", c.styles.Heading.Render(c.t("WSDetailPods", nil)))
	out = append(out, v.lineList(d.Pods, false)...)
	return out
}

// lineList shows events (with their time) or pods; warnings marked ⚠.
func (v *detailView) lineList(ls []workshop.Line, withTime bool) []string {
	c := v.c
	if len(ls) == 0 {
		return []string{"  " + c.styles.Dim.Render(c.t("WSNone", nil))}
	}
	var out []string
	for _, l := range ls {
		mark := "  "
		if l.Warn {
			mark = "⚠ "
		}
		text := l.Text
		if withTime {
			text = c.clock(l.At) + "  " + text
		}
		line := "  " + mark + text
		if l.Warn {
			line = c.styles.Stuck.Render(line)
		}
		out = append(out, line)
	}
	return out
}
