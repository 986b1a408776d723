package render

import (
	"fmt"
	"strings"

	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

// Translator translates message IDs (l10n.Translator satisfies it).
type Translator interface {
	T(id string, data map[string]any) string
}

// StepPlan is markdown describing what a step does and checks, for the
// text under its heading: a quoted list, one item for the action and one
// per check, in each kind's own words (step.Kind.Describe). glamour drops
// hard line breaks, hence a list.
func StepPlan(tr Translator, s lesson.Step) string {
	var b strings.Builder
	fmt.Fprintf(&b, "> - **%s** %s", tr.T("StepDoes", nil), step.DescribeAction(s.Action).Text(tr))
	for _, c := range s.Checks {
		fmt.Fprintf(&b, "\n> - **%s** %s", tr.T("StepChecks", nil), step.Describe(c).Text(tr))
	}
	return b.String()
}

// StepHeading formats "Step 3/15: title" in the translator's language.
func StepHeading(tr Translator, n, total int, title string) string {
	return tr.T("StepHeading", map[string]any{"N": n, "Total": total, "Title": title})
}

// Decor returns the StepDecor of the tutor: numbered headings and, when
// plan is true, what each step does and checks under its heading.
func Decor(tr Translator, plan bool) StepDecor {
	return func(n, total int, s lesson.Step, title string) (string, string) {
		body := ""
		if plan {
			body = StepPlan(tr, s)
		}
		return StepHeading(tr, n, total, title), body
	}
}
