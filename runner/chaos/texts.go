package chaos

import (
	"fmt"
	"maps"
	"strings"

	"github.com/kubetutor/kubetutor/runner/l10n"
)

// hole stands for a template value the harness cannot know (a step's
// title, a target step) while a message is translated; fragment keeps the
// longest piece of the translation without it.
const hole = "\x00"

// Texts are the words the harness looks for on the TUI's screen and in
// run's output. Each is translated from its message ID with the real
// catalogue, so the harness follows wording changes instead of
// hard-coding English.
type Texts struct {
	tr    *l10n.Translator
	steps []string // the lesson's step IDs, in order
}

// NewTexts returns the texts of a lesson whose steps are ids, in the
// translator's language.
func NewTexts(tr *l10n.Translator, ids []string) *Texts {
	return &Texts{tr: tr, steps: ids}
}

// fragment translates id with data and returns the piece of it that holds
// data[key] and no value set to hole (all of it when no value is a hole);
// with key "", the longest piece without a hole.
func (t *Texts) fragment(id string, data map[string]any, key string) string {
	const mark = "\x01"
	d := maps.Clone(data)
	if key != "" {
		d[key] = mark
	}
	pieces := strings.Split(t.tr.T(id, d), hole)
	best := ""
	for _, p := range pieces {
		if key != "" && strings.Contains(p, mark) {
			return strings.ReplaceAll(p, mark, fmt.Sprint(data[key]))
		}
		if len(strings.TrimSpace(p)) > len(strings.TrimSpace(best)) {
			best = p
		}
	}
	return best
}

// stepHead is the TUI's heading of step i in its step panel, without the
// title (which the panel may cut short).
func (t *Texts) stepHead(i int) string {
	return t.fragment("TUIStepHead", map[string]any{"N": i + 1, "Total": len(t.steps), "Title": hole}, "N")
}

// resumeAsk is the TUI's question whether to resume at step i.
func (t *Texts) resumeAsk(i int) string {
	return t.fragment("TUIResumeAsk", map[string]any{"N": i + 1, "Total": len(t.steps), "Title": hole}, "N")
}

// runStep is the line run's text output prints when step i starts (the
// JSON report's progress on stderr carries no titles, so it names the ID).
func (t *Texts) runStep(i int) string {
	return t.tr.T("TextStep", map[string]any{"N": i + 1, "Of": len(t.steps), "ID": t.steps[i], "Title": ""})
}

// tuiUncordoned is the TUI's notice that it uncordoned nodes an earlier
// run of the lesson left cordoned.
func (t *Texts) tuiUncordoned(nodes []string) string {
	return t.tr.T("TUIUncordonedLeft", map[string]any{"Nodes": strings.Join(nodes, ", ")})
}

// runUncordoned is run's preflight item saying the same.
func (t *Texts) runUncordoned(nodes []string, mark string) string {
	return t.tr.T("PreflightCordonsRepaired", map[string]any{"Nodes": strings.Join(nodes, ", "), "Mark": mark})
}

// Screen is what one capture of the TUI shows, as far as the harness
// cares.
type Screen struct {
	// Resume is the step the resume prompt offers (len(steps): every step
	// is done), or -1 without a prompt.
	Resume int
	// Step is the step the step panel shows (-1: none), Idle whether the
	// panel offers Enter to run it, Failed whether it failed, and
	// CatchingUp whether it runs to catch up to a later step.
	Step       int
	Idle       bool
	Failed     bool
	CatchingUp bool
	// Armed: a step waiting in hands-on mode shows what arming it found
	// (its commands, or why there are none) above what it expects; always
	// true for a step waiting without hands-on mode.
	Armed bool
	// Summary: the lesson is complete.
	Summary bool
}

// Read reads a screen: the prompt, the summary, and the step panel — the
// lowest line that names a step, under the rule that ends the lesson's
// text (whose headings name steps too).
func (t *Texts) Read(screen string) Screen {
	s := Screen{Resume: -1, Step: -1}
	n := len(t.steps)
	for i := n - 1; i >= 0; i-- {
		if strings.Contains(screen, t.resumeAsk(i)) {
			s.Resume = i
			break
		}
	}
	if strings.Contains(screen, t.tr.T("TUIResumeDone", nil)) {
		s.Resume = n
	}
	if strings.Contains(screen, t.tr.T("TUISummaryTitle", nil)) || strings.Contains(screen, t.tr.T("TUIAllDone", map[string]any{"Done": n})) {
		s.Summary = true
	}
	lines := strings.Split(screen, "\n")
	// The step panel is under the rule that ends the lesson's text; the
	// text may show the same headings.
	top := 0
	for l := len(lines) - 1; l >= 0; l-- {
		if t := strings.TrimSpace(lines[l]); t != "" && strings.Trim(t, "─") == "" {
			top = l + 1
			break
		}
	}
	for l := len(lines) - 1; l >= top && s.Step < 0; l-- {
		for i := n - 1; i >= 0; i-- {
			if strings.Contains(lines[l], t.stepHead(i)) {
				s.Step = i
				// Enter runs it; in hands-on mode the step's checks are
				// armed meanwhile, and typing the command would do too.
				handsOn := strings.Contains(lines[l], t.tr.T("TUIHandsOn", nil))
				s.Idle = handsOn || strings.Contains(lines[l], t.tr.T("TUIPressEnter", nil))
				s.Armed = s.Idle && (!handsOn || t.armed(lines[l+1:]))
				s.Failed = strings.Contains(lines[l], t.fragment("TUIRetry", nil, ""))
				s.CatchingUp = strings.Contains(lines[l], t.fragment("TUICatchingUp", map[string]any{"Target": hole}, ""))
				break
			}
		}
	}
	return s
}

// armed reports whether the hands-on panel under a step's heading shows
// anything before its "Expected:" line: the step's commands, a note or
// why there are none, which appear once the step is armed (its state
// "before" recorded). A panel without that line is taken as armed.
func (t *Texts) armed(panel []string) bool {
	expected := t.fragment("TUIExpected", map[string]any{"What": hole, "N": 1, "Of": 1}, "")
	for i, l := range panel {
		if strings.Contains(l, expected) {
			return i > 0
		}
	}
	return true
}

// RunStep returns the step whose start line is line (run's text output),
// or -1.
func (t *Texts) RunStep(line string) int {
	line = strings.TrimSpace(line)
	for i := range t.steps {
		if line == t.runStep(i) {
			return i
		}
	}
	return -1
}
