package workshop

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// What the two views (the terminal dashboard, runner/workshop/dash, and the
// web page, runner/workshop/web) show the same way: the order of the rows,
// the pseudonyms of --hide-names, the steps' numbers and titles.

// Ordered returns a copy of learners in the order the views list them
// (Compare); learners that compare equal keep their order (the snapshot's,
// by namespace).
func Ordered(learners []Learner) []Learner {
	out := slices.Clone(learners)
	slices.SortStableFunc(out, Compare)
	return out
}

// Compare orders rows for the views: failing first, then stuck (they need
// the instructor), then by step ascending (the furthest behind on top).
func Compare(a, b Learner) int {
	if d := urgency(a.State) - urgency(b.State); d != 0 {
		return d
	}
	return a.StepIndex - b.StepIndex
}

func urgency(state string) int {
	switch state {
	case StateFailing:
		return 0
	case StateStuck:
		return 1
	}
	return 2
}

// Pseudonym is the name of the i-th learner of a snapshot (0-based) when
// names are hidden: "07". The views render it as "learner 07".
func Pseudonym(i int) string { return fmt.Sprintf("%02d", i+1) }

// Anonymise returns s for a projector: each name replaced by its
// Pseudonym, namespaces dropped, and both removed from the warnings.
func Anonymise(s Snapshot) Snapshot {
	out := s
	out.Learners = make([]Learner, len(s.Learners))
	for i, l := range s.Learners {
		out.Learners[i] = AnonymiseLearner(l, i)
	}
	return out
}

// AnonymiseLearner is Anonymise for the i-th learner of a snapshot.
func AnonymiseLearner(l Learner, i int) Learner {
	a := l
	a.Name, a.Namespace = Pseudonym(i), ""
	a.LastWarning = scrub(l.LastWarning, l)
	return a
}

// AnonymiseDetail is Anonymise for one learner's detail; pseudonym is the
// learner's Pseudonym.
func AnonymiseDetail(d Detail, pseudonym string) Detail {
	who := d.Learner
	out := d
	out.Learner.Name, out.Learner.Namespace = pseudonym, ""
	out.Learner.LastWarning = scrub(who.LastWarning, who)
	out.Events = scrubLines(d.Events, who)
	out.Pods = scrubLines(d.Pods, who)
	return out
}

func scrubLines(lines []Line, l Learner) []Line {
	out := make([]Line, len(lines))
	for i, ln := range lines {
		ln.Text = scrub(ln.Text, l)
		out[i] = ln
	}
	return out
}

// scrub removes a learner's namespace and name from text. A name of digits
// only ("07") is left alone: it names nobody, and replacing it would mangle
// numbers.
func scrub(text string, l Learner) string {
	if l.Namespace != "" {
		text = strings.ReplaceAll(text, l.Namespace, "…")
	}
	if len(l.Name) >= 3 && strings.Trim(l.Name, "0123456789") != "" {
		text = strings.ReplaceAll(text, l.Name, "…")
	}
	return text
}

// StepName is a step as the views name it.
type StepName struct {
	// ID is the step's ID in lesson.yaml.
	ID string `json:"id"`
	// N is its 1-based position (a Learner's StepIndex).
	N int `json:"n"`
	// Title is its heading in the lesson's prose in the chosen language
	// (the ID when the prose has none).
	Title string `json:"title"`
}

// StepNames lists l's steps in order with their titles in lang; nil when l
// is nil.
func StepNames(l *lesson.Lesson, lang string) []StepName {
	if l == nil {
		return nil
	}
	titles := map[string]string{}
	for _, sec := range l.Doc(lang).Sections {
		for _, st := range sec.Steps {
			titles[st.ID] = st.Title
		}
	}
	out := make([]StepName, len(l.Spec.Steps))
	for i, s := range l.Spec.Steps {
		t := titles[s.ID]
		if t == "" {
			t = s.ID
		}
		out[i] = StepName{ID: s.ID, N: i + 1, Title: t}
	}
	return out
}

// Reached is the state the views show for a learner at or past the
// checkpoint.
const Reached = "reached"

// Glyphs of the states, as both views show them.
var Glyphs = map[string]string{
	Reached: "✓", StateDone: "✓", StateWorking: "▶", StateStuck: "⚠", StateFailing: "✗", StateNotStarted: "○",
}

// Shown is the state the views show for l: Reached when at or past the
// checkpoint (a 1-based step; 0 for none), else l.State (StateWorking when
// unknown).
func Shown(l Learner, checkpoint int) string {
	switch {
	case checkpoint > 0 && l.StepIndex >= checkpoint:
		return Reached
	case Glyphs[l.State] == "":
		return StateWorking
	}
	return l.State
}

// Age formats a duration the way the views show time on a step, with the
// messages WSAgeSec, WSAgeMin, WSAgeHour and WSAgeDay of t: 40s, 6m12s,
// 1h15m, 2d03h (in Japanese 40秒, 6分12秒, …).
func Age(d time.Duration, t func(id string, data map[string]any) string) string {
	d = max(d, 0)
	s, m, h := int(d.Seconds()), int(d.Minutes()), int(d.Hours())
	two := func(n int) string { return fmt.Sprintf("%02d", n) }
	switch {
	case d < time.Minute:
		return t("WSAgeSec", map[string]any{"S": s})
	case d < time.Hour:
		return t("WSAgeMin", map[string]any{"M": m, "S": two(s % 60)})
	case d < 24*time.Hour:
		return t("WSAgeHour", map[string]any{"H": h, "M": two(m % 60)})
	}
	return t("WSAgeDay", map[string]any{"D": h / 24, "H": two(h % 24)})
}
