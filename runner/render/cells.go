package render

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// cell is one grapheme of a rendered line with the styling active where it
// was written. Lines are re-serialised from cells, so a grapheme can move to
// another line and keep its colour.
type cell struct {
	g    string // the grapheme cluster
	w    int    // its width in terminal cells
	sgr  string // the SGR sequences in effect ("" for the default style)
	link string // the OSC 8 hyperlink sequence in effect, or ""
}

func (c cell) space() bool { return c.g == " " || c.g == "\t" }

// hasBackground reports whether the cell's style paints a background (a
// padding space with a background is visible and must be kept).
func (c cell) hasBackground() bool {
	return hasBackground(c.sgr)
}

// hasBackground finds a background parameter (40–48, 100–107) in a list
// of SGR sequences, skipping the arguments of extended colours.
func hasBackground(sgr string) bool {
	bg := false
	for _, seq := range strings.Split(sgr, "\x1b[") {
		ps := strings.Split(strings.TrimSuffix(seq, "m"), ";")
		for i := 0; i < len(ps); i++ {
			switch p := ps[i]; {
			case p == "0" || p == "":
				bg = false
			case p == "38" || p == "48" || p == "58":
				if p == "48" {
					bg = true
				}
				if i+1 < len(ps) && ps[i+1] == "5" {
					i += 2
				} else if i+1 < len(ps) && ps[i+1] == "2" {
					i += 4
				}
			case p == "49":
				bg = false
			case len(p) == 2 && p[0] == '4' && p[1] >= '0' && p[1] <= '7',
				len(p) == 3 && p[:2] == "10" && p[2] >= '0' && p[2] <= '7':
				bg = true
			}
		}
	}
	return bg
}

// parseCells splits one line (no newline) into cells. Escape sequences other
// than SGR and OSC 8 are dropped: glamour emits none in its output.
func parseCells(s string) []cell {
	var (
		out  []cell
		sgr  string
		link string
	)
	for len(s) > 0 {
		if s[0] == ansi.ESC {
			n := seqLen(s)
			seq := s[:n]
			s = s[n:]
			switch {
			case strings.HasPrefix(seq, "\x1b[") && strings.HasSuffix(seq, "m"):
				params := seq[2 : len(seq)-1]
				if params == "" || params == "0" {
					sgr = ""
				} else if strings.HasPrefix(params, "0;") {
					sgr = seq
				} else {
					sgr += seq
				}
			case strings.HasPrefix(seq, "\x1b]8;"):
				body := strings.TrimSuffix(strings.TrimSuffix(seq[4:], "\x07"), "\x1b\\")
				if _, url, _ := strings.Cut(body, ";"); url == "" {
					link = ""
				} else {
					link = seq
				}
			}
			continue
		}
		g, w := ansi.FirstGraphemeCluster(s, ansi.GraphemeWidth)
		if g == "" {
			break
		}
		s = s[len(g):]
		if g == "\t" {
			g, w = " ", 1
		}
		out = append(out, cell{g: g, w: w, sgr: sgr, link: link})
	}
	return out
}

// seqLen returns the length of the escape sequence at the start of s.
func seqLen(s string) int {
	if len(s) < 2 {
		return len(s)
	}
	switch s[1] {
	case '[': // CSI: parameters, then a final byte 0x40–0x7E
		for i := 2; i < len(s); i++ {
			if s[i] >= 0x40 && s[i] <= 0x7e {
				return i + 1
			}
		}
		return len(s)
	case ']', 'P', '_', '^', 'X': // string sequences end with BEL or ST
		for i := 2; i < len(s); i++ {
			if s[i] == 0x07 {
				return i + 1
			}
			if s[i] == ansi.ESC && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
		}
		return len(s)
	default:
		return 2
	}
}

// renderCells writes cells back as a styled string, switching style and
// hyperlink only where they change, and resetting both at the end.
func renderCells(cells []cell) string {
	var b strings.Builder
	var sgr, link string
	for _, c := range cells {
		if c.link != link {
			if link != "" {
				b.WriteString(ansi.ResetHyperlink())
			}
			b.WriteString(c.link)
			link = c.link
		}
		if c.sgr != sgr {
			if sgr != "" {
				b.WriteString(ansi.ResetStyle)
			}
			b.WriteString(c.sgr)
			sgr = c.sgr
		}
		b.WriteString(c.g)
	}
	if link != "" {
		b.WriteString(ansi.ResetHyperlink())
	}
	if sgr != "" {
		b.WriteString(ansi.ResetStyle)
	}
	return b.String()
}

func cellsWidth(cells []cell) int {
	w := 0
	for _, c := range cells {
		w += c.w
	}
	return w
}

// trimRight drops trailing spaces that paint nothing (glamour pads every
// line to the full width).
func trimRight(cells []cell) []cell {
	for len(cells) > 0 {
		c := cells[len(cells)-1]
		if !c.space() || c.hasBackground() {
			break
		}
		cells = cells[:len(cells)-1]
	}
	return cells
}
