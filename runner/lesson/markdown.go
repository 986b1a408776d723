package lesson

import (
	"regexp"
	"strings"
)

// Doc is one language's prose of a lesson (en.md, ja.md).
//
// The file is ordinary markdown. Its structure:
//
//	# Lesson title                              (exactly one level-1 heading)
//	Intro paragraphs (the first one is the summary in `kubetutor list`).
//	## Section title <!-- section: ID -->       (every level-2 heading)
//	### Step title <!-- step: ID -->            (level 3 or deeper)
//
// The HTML comments are invisible on a markdown viewer; they tie the prose
// to the language-neutral lesson.yaml. Both languages must have the same
// sections in the same order, and each step under the same section.
type Doc struct {
	// Lang is the language code taken from the file name ("en", "ja").
	Lang string
	// File is the path of the file, for messages.
	File string
	// Title is the level-1 heading.
	Title string
	// Summary is the first paragraph after the title.
	Summary string
	// Intro is the markdown between the title and the first section.
	Intro string
	// Sections are the level-2 sections in file order.
	Sections []Section
}

// Section is a level-2 section of a Doc.
type Section struct {
	// ID is the stable section ID from `<!-- section: ID -->`.
	ID string
	// Title is the heading text without the marker.
	Title string
	// Line is the heading's line number (1-based).
	Line int
	// Markdown is the whole section, heading included, markers removed.
	Markdown string
	// Steps are the step headings inside the section, in order.
	Steps []StepRef
}

// StepRef is a step heading inside a section.
type StepRef struct {
	// ID refers to a step of lesson.yaml.
	ID string
	// Title is the heading text without the marker.
	Title string
	// Line is the heading's line number (1-based).
	Line int
	// Markdown is the step's heading and prose, up to the next heading of
	// the same or a higher level; markers removed.
	Markdown string
}

var (
	headingRE = regexp.MustCompile(`^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$`)
	markerRE  = regexp.MustCompile(`<!--\s*([A-Za-z]+)\s*:?\s*(\S*?)\s*-->`)
	fenceRE   = regexp.MustCompile("^[ ]{0,3}(`{3,}|~{3,})")
)

// mdProblem is a problem found while parsing markdown, before localisation.
type mdProblem struct {
	line int
	id   string
	args map[string]any
}

// ParseDoc parses one language's markdown. It never fails: structural
// problems are returned for the linter, and the Doc holds what could be read.
func ParseDoc(file, lang string, src []byte) (*Doc, []Problem) {
	d := &Doc{Lang: lang, File: file}
	var probs []Problem
	add := func(line int, id string, args map[string]any) {
		probs = append(probs, Problem{File: file, Line: line, ID: id, Args: args})
	}
	lines := strings.Split(strings.ReplaceAll(string(src), "\r\n", "\n"), "\n")

	var (
		fence     string // the open fence's marker, "" when outside a code block
		sec       *Section
		secLines  []string
		intro     []string
		stepOpen  = -1 // index in sec.Steps of the step collecting lines
		stepLevel int
		stepLines []string
		titles    int
	)
	closeStep := func() {
		if sec != nil && stepOpen >= 0 {
			sec.Steps[stepOpen].Markdown = strings.TrimSpace(strings.Join(stepLines, "\n"))
		}
		stepOpen, stepLines = -1, nil
	}
	closeSection := func() {
		closeStep()
		if sec != nil {
			sec.Markdown = strings.TrimSpace(strings.Join(secLines, "\n"))
			d.Sections = append(d.Sections, *sec)
		}
		sec, secLines = nil, nil
	}

	for i, raw := range lines {
		n := i + 1
		inFence, fenceLine := fence != "", false
		if m := fenceRE.FindStringSubmatch(raw); m != nil {
			t := strings.TrimSpace(raw)
			switch {
			case fence == "":
				fence, fenceLine = m[1], true
			case strings.HasPrefix(t, fence) && strings.Trim(t, fence[:1]) == "":
				fence, fenceLine = "", true
			}
		}
		line := raw
		var level int
		var text string
		var kind, id string
		if !inFence && !fenceLine {
			if m := headingRE.FindStringSubmatch(raw); m != nil {
				level = len(m[1])
				text = m[2]
				if mm := markerRE.FindStringSubmatch(text); mm != nil {
					kind, id = strings.ToLower(mm[1]), mm[2]
					text = strings.TrimSpace(markerRE.ReplaceAllString(text, ""))
					line = m[1] + " " + text
					if id == "" || !idRE.MatchString(id) {
						add(n, "LintBadMarker", map[string]any{"Marker": mm[0]})
						kind = "bad"
					}
				}
			} else if mm := markerRE.FindStringSubmatch(raw); mm != nil {
				if k := strings.ToLower(mm[1]); k == "step" || k == "section" {
					add(n, "LintMarkerNotHeading", map[string]any{"Marker": mm[0]})
				}
			}
		}

		if level > 0 && stepOpen >= 0 && level <= stepLevel {
			closeStep()
		}
		switch {
		case level == 1:
			titles++
			if titles == 1 {
				d.Title = text
			} else {
				add(n, "LintSecondTitle", nil)
			}
			if kind != "" && kind != "bad" {
				add(n, "LintMarkerWrongLevel", map[string]any{"Kind": kind, "Level": level})
			}
			continue
		case level == 2:
			closeSection()
			sec = &Section{Title: text, Line: n}
			switch kind {
			case "section":
				sec.ID = id
			case "":
				add(n, "LintSectionNoMarker", map[string]any{"Title": text})
			case "bad":
			default:
				add(n, "LintMarkerWrongLevel", map[string]any{"Kind": kind, "Level": level})
			}
		case level >= 3 && kind == "step":
			if sec == nil {
				add(n, "LintStepOutsideSection", map[string]any{"Step": id})
				break
			}
			sec.Steps = append(sec.Steps, StepRef{ID: id, Title: text, Line: n})
			stepOpen, stepLevel = len(sec.Steps)-1, level
		case level >= 3 && kind == "section":
			add(n, "LintMarkerWrongLevel", map[string]any{"Kind": kind, "Level": level})
		case kind != "" && kind != "bad" && kind != "step" && kind != "section":
			add(n, "LintUnknownMarker", map[string]any{"Kind": kind})
		}

		if sec == nil {
			if titles > 0 {
				intro = append(intro, line)
			}
			continue
		}
		secLines = append(secLines, line)
		if stepOpen >= 0 {
			stepLines = append(stepLines, line)
		}
	}
	closeSection()
	if fence != "" {
		add(len(lines), "LintUnclosedFence", nil)
	}
	if titles == 0 {
		add(1, "LintNoTitle", nil)
	}
	d.Intro = strings.TrimSpace(strings.Join(intro, "\n"))
	d.Summary = firstParagraph(d.Intro)
	return d, probs
}

// firstParagraph returns the first block of non-empty lines, joined by
// spaces (or without spaces between CJK lines).
func firstParagraph(md string) string {
	var parts []string
	for _, l := range strings.Split(md, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			if len(parts) > 0 {
				break
			}
			continue
		}
		parts = append(parts, l)
	}
	var b strings.Builder
	for i, p := range parts {
		if i > 0 && !endsCJK(parts[i-1]) {
			b.WriteByte(' ')
		}
		b.WriteString(p)
	}
	return b.String()
}

func endsCJK(s string) bool {
	r := []rune(s)
	return len(r) > 0 && r[len(r)-1] >= 0x2E80
}

// StepLocation finds the section and the heading of a step in a Doc.
func (d *Doc) StepLocation(id string) (section int, step int, ok bool) {
	for i, s := range d.Sections {
		for j, st := range s.Steps {
			if st.ID == id {
				return i, j, true
			}
		}
	}
	return 0, 0, false
}
