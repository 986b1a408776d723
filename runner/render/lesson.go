package render

import (
	"regexp"
	"strings"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// StepLabel formats a step heading from its number (1-based), the number of
// steps of the lesson and the heading's text, e.g. "Step 3/15: Apply the
// ConfigMap". The renderer puts "▶ " in front.
type StepLabel func(n, total int, title string) string

// StepMarker starts every step heading, so steps stand out in the text.
const StepMarker = "▶ "

var headingLineRE = regexp.MustCompile(`^(#{3,6})[ \t]+(.*?)[ \t]*$`)

// SectionMarkdown returns the markdown of section i of doc with its step
// headings rewritten by label (nil keeps the headings).
func SectionMarkdown(l *lesson.Lesson, doc *lesson.Doc, i int, label StepLabel) string {
	if i < 0 || i >= len(doc.Sections) {
		return ""
	}
	sec := doc.Sections[i]
	if label == nil || len(sec.Steps) == 0 {
		return sec.Markdown
	}
	lines := strings.Split(sec.Markdown, "\n")
	next := 0
	fence := ""
	for k, line := range lines {
		if m := fenceRE.FindStringSubmatch(line); m != nil {
			switch {
			case fence == "":
				fence = m[2]
			case strings.HasPrefix(strings.TrimSpace(line), fence):
				fence = ""
			}
			continue
		}
		if fence != "" || next >= len(sec.Steps) {
			continue
		}
		m := headingLineRE.FindStringSubmatch(line)
		if m == nil || m[2] != sec.Steps[next].Title {
			continue
		}
		n, total := StepNumber(l, sec.Steps[next].ID)
		lines[k] = m[1] + " " + StepMarker + label(n, total, m[2])
		next++
	}
	return strings.Join(lines, "\n")
}

// StepNumber returns the 1-based position of step id in the lesson and the
// number of steps (0 when the step is unknown).
func StepNumber(l *lesson.Lesson, id string) (n, total int) {
	for i, s := range l.Spec.Steps {
		if s.ID == id {
			return i + 1, len(l.Spec.Steps)
		}
	}
	return 0, len(l.Spec.Steps)
}

// LessonMarkdown returns the whole lesson in lang as one document: title,
// introduction and every section, step headings rewritten by label.
func LessonMarkdown(l *lesson.Lesson, lang string, label StepLabel) string {
	doc := l.Doc(lang)
	parts := []string{"# " + doc.Title}
	if doc.Intro != "" {
		parts = append(parts, doc.Intro)
	}
	for i := range doc.Sections {
		parts = append(parts, SectionMarkdown(l, doc, i, label))
	}
	return strings.Join(parts, "\n\n") + "\n"
}
