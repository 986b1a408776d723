package dash

import (
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
	st := workshop.Shown(l, checkpoint)
	return look{workshop.Glyphs[st], c.t(stateMsg[st], nil)}
}

// stateMsg is the message of each shown state.
var stateMsg = map[string]string{
	workshop.Reached: "WSStateReached", workshop.StateDone: "WSStateDone", workshop.StateWorking: "WSStateWorking",
	workshop.StateStuck: "WSStateStuck", workshop.StateFailing: "WSStateFailing", workshop.StateNotStarted: "WSStateNotStarted",
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

// age formats a duration as both views do.
func (c *common) age(d time.Duration) string { return workshop.Age(d, c.t) }

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
