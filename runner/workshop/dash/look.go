package dash

import (
	"fmt"
	"time"

	"charm.land/lipgloss/v2"

	"github.com/kubetutor/kubetutor/runner/workshop"
)

// The state glyphs, in the header's order.
const (
	glyphReached    = "✓" // done, or at or past the checkpoint
	glyphWorking    = "▶"
	glyphStuck      = "⚠"
	glyphFailing    = "✗"
	glyphNotStarted = "○"
)

var glyphOrder = []string{glyphReached, glyphWorking, glyphStuck, glyphFailing, glyphNotStarted}

// look is how a learner's state is shown.
type look struct {
	glyph, label string
}

// look is a learner's state as shown: ✓ when done or at or past the
// checkpoint (1-based, 0 for none), else their state's glyph.
func (c *common) look(l workshop.Learner, checkpoint int) look {
	switch {
	case checkpoint > 0 && l.StepIndex >= checkpoint:
		return look{glyphReached, c.t("WSStateReached", nil)}
	case l.State == workshop.StateDone:
		return look{glyphReached, c.t("WSStateDone", nil)}
	case l.State == workshop.StateFailing:
		return look{glyphFailing, c.t("WSStateFailing", nil)}
	case l.State == workshop.StateStuck:
		return look{glyphStuck, c.t("WSStateStuck", nil)}
	case l.State == workshop.StateNotStarted:
		return look{glyphNotStarted, c.t("WSStateNotStarted", nil)}
	}
	return look{glyphWorking, c.t("WSStateWorking", nil)}
}

func (c *common) lookStyle(glyph string) lipgloss.Style {
	switch glyph {
	case glyphReached:
		return c.styles.Reached
	case glyphStuck:
		return c.styles.Stuck
	case glyphFailing:
		return c.styles.Failing
	case glyphNotStarted:
		return c.styles.NotStarted
	}
	return c.styles.Working
}

// age formats a duration the way the views show time on a step: 40s,
// 6m12s, 1h15m, 2d03h (in Japanese 40秒, 6分12秒, …).
func (c *common) age(d time.Duration) string {
	d = max(d, 0)
	s, m, h := int(d.Seconds()), int(d.Minutes()), int(d.Hours())
	two := func(n int) string { return fmt.Sprintf("%02d", n) }
	switch {
	case d < time.Minute:
		return c.t("WSAgeSec", map[string]any{"S": s})
	case d < time.Hour:
		return c.t("WSAgeMin", map[string]any{"M": m, "S": two(s % 60)})
	case d < 24*time.Hour:
		return c.t("WSAgeHour", map[string]any{"H": h, "M": two(m % 60)})
	}
	return c.t("WSAgeDay", map[string]any{"D": h / 24, "H": two(h % 24)})
}

// since is the age of t, or "—" when t is zero.
func (c *common) since(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return c.age(c.now().Sub(t))
}

// clock is t as a time of day in the clock's location.
func (c *common) clock(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(c.now().Location()).Format("15:04:05")
}
