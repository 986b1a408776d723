package render

import (
	"regexp"
	"strings"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// StepDecor decorates a step heading: it gets the step's number (1-based),
// the number of steps, the step and the heading's text, and returns the new
// heading text (e.g. "Step 3/15: Apply the ConfigMap"; "▶ " is put in
// front) and markdown to insert below the heading ("" for none).
type StepDecor func(n, total int, s lesson.Step, title string) (heading, body string)

// StepMarker starts every step heading, so steps stand out in the text.
const StepMarker = "▶ "

var headingLineRE = regexp.MustCompile(`^(#{3,6})[ \t]+(.*?)[ \t]*$`)

// SectionMarkdown returns the markdown of section i of doc with its step
// headings decorated by decor (nil keeps the headings).
func SectionMarkdown(l *lesson.Lesson, doc *lesson.Doc, i int, decor StepDecor) string {
	if i < 0 || i >= len(doc.Sections) {
		return ""
	}
	sec := doc.Sections[i]
	if decor == nil || len(sec.Steps) == 0 {
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
		st, _ := l.Step(sec.Steps[next].ID)
		heading, body := decor(n, total, st, m[2])
		lines[k] = m[1] + " " + StepMarker + heading
		if body != "" {
			lines[k] += "\n\n" + body + "\n"
		}
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
// introduction and every section, step headings decorated by decor.
func LessonMarkdown(l *lesson.Lesson, lang string, decor StepDecor) string {
	doc := l.Doc(lang)
	parts := []string{"# " + doc.Title}
	if doc.Intro != "" {
		parts = append(parts, doc.Intro)
	}
	for i := range doc.Sections {
		parts = append(parts, SectionMarkdown(l, doc, i, decor))
	}
	return strings.Join(parts, "\n\n") + "\n"
}
