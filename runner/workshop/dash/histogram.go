package dash

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/kubetutor/kubetutor/runner/workshop"
)

// bars are the eight heights of a histogram bar.
var bars = []rune(" ▁▂▃▄▅▆▇█")

// histogram draws how many learners have reached each step, in three
// lines: the counts, the bars, the step numbers (○: not started; ▸ marks
// the checkpoint). Each step takes three cells; when the steps do not fit
// in width, neighbouring steps share a bar.
func histogram(c *common, s workshop.Snapshot, checkpoint, width int) string {
	n := c.stepCount(s)
	labels := []string{c.t("WSHistLearners", nil), "", c.t("WSHistSteps", nil)}
	lw := 0
	for _, l := range labels {
		lw = max(lw, lipgloss.Width(l))
	}
	fit := max(1, (width-lw-1)/3)
	group := (n + fit) / fit // steps per bar, ⌈(n+1)/fit⌉
	counts := make([]int, n/group+1)
	for _, l := range s.Learners {
		counts[min(max(l.StepIndex, 0), n)/group]++
	}
	top := 1
	for _, k := range counts {
		top = max(top, k)
	}
	var lines [3]strings.Builder
	for i, l := range labels {
		lines[i].WriteString(l + strings.Repeat(" ", lw-lipgloss.Width(l)+1))
	}
	for b, k := range counts {
		first, last := b*group, min(b*group+group-1, n)
		style := c.styles.Bar
		mark := " "
		if checkpoint > 0 && first <= checkpoint && checkpoint <= last {
			style, mark = c.styles.BarCheckpoint, "▸"
		}
		num := fmt.Sprint(first)
		if first == 0 {
			num = glyphNotStarted
		}
		cnt, bar := "", "  "
		if k > 0 {
			cnt = fmt.Sprint(k)
			h := (k*8 + top - 1) / top // ⌈k/top × 8⌉: any learner shows
			bar = strings.Repeat(string(bars[h]), 2)
		}
		lines[0].WriteString(fmt.Sprintf("%3s", cnt))
		lines[1].WriteString(" " + style.Render(bar))
		lines[2].WriteString(mark + style.Render(fmt.Sprintf("%2s", num)))
	}
	return lines[0].String() + "\n" + lines[1].String() + "\n" + lines[2].String()
}
