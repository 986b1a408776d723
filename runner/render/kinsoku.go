package render

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Japanese line-breaking rules (kinsoku shori, JIS X 4051 in spirit).
//
// glamour wraps CJK text by display width only, so a line can start with 。
// or end with 「. The renderer therefore lets glamour lay the document out
// without wrapping, and wraps every prose line itself with wrapCells, which
// treats every gap between two CJK graphemes as a break opportunity unless
// one of these rules forbids it.
const (
	// NoLineStart may not begin a line: closing brackets and quotes,
	// punctuation, iteration marks, the prolonged sound mark, small kana.
	NoLineStart = "、。，．,.)]}）」』】〕〉》〙〗｝］’”»・：；:;？！?!ゝゞヽヾ々〻ーぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ〜～%％"
	// NoLineEnd may not end a line: opening brackets and quotes.
	NoLineEnd = "([{（「『【〔〈《〘〖｛［‘“«"
)

func inSet(g, set string) bool {
	r, n := utf8.DecodeRuneInString(g)
	return n > 0 && n == len(g) && strings.ContainsRune(set, r)
}

// noStart reports whether grapheme g may not start a line.
func noStart(g string) bool { return inSet(g, NoLineStart) }

// noEnd reports whether grapheme g may not end a line.
func noEnd(g string) bool { return inSet(g, NoLineEnd) }

// cjk reports whether a grapheme belongs to a script written without spaces
// between words (a line may break on either side of it).
func cjk(c cell) bool {
	if c.w == 2 {
		return true
	}
	r, _ := utf8.DecodeRuneInString(c.g)
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) ||
		(r >= 0x3000 && r <= 0x303f) || (r >= 0xff00 && r <= 0xffef)
}

func asciiPunct(c cell) bool {
	return len(c.g) == 1 && c.g[0] > ' ' && c.g[0] < 0x7f && !unicode.IsLetter(rune(c.g[0])) && !unicode.IsDigit(rune(c.g[0]))
}

// canBreakBefore reports whether a line may break between cells[i-1] and
// cells[i].
func canBreakBefore(cells []cell, i int) bool {
	prev, cur := cells[i-1], cells[i]
	switch {
	case cur.space():
		// The spaces vanish at the break: what follows them starts the line.
		k := i
		for k < len(cells) && cells[k].space() {
			k++
		}
		return !noEnd(prev.g) && (k == len(cells) || !noStart(cells[k].g))
	case prev.space():
		// A break after a space: the space disappears, so what follows
		// starts the line and what precedes (before the space) ends it.
		return !noStart(cur.g) && !(i >= 2 && noEnd(cells[i-2].g))
	case noStart(cur.g) || noEnd(prev.g):
		return false
	case prev.g == "-" && i >= 2 && !cells[i-2].space() && !asciiPunct(cells[i-2]) && !asciiPunct(cur):
		return true // after a hyphen inside a word, like glamour
	case asciiPunct(prev) || asciiPunct(cur):
		// ASCII punctuation sticks to its neighbours: markers like ** or
		// a path's slash must not end up alone.
		return false
	case cjk(prev) || cjk(cur):
		return true
	}
	return false
}

// wrapCells wraps one logical line to width. prefix is repeated in front
// of the first line; cont in front of every following one (a hanging indent
// under list bullets and block quotes). Every line it returns is at most
// width cells wide, provided prefix and cont are narrower than width.
func wrapCells(prefix, cont, text []cell, width int) [][]cell {
	var out [][]cell
	text = trimRight(text)
	start := 0
	first := true
	for {
		pre := cont
		if first {
			pre = prefix
		}
		if !first {
			for start < len(text) && text[start].space() {
				start++
			}
			if start >= len(text) {
				break
			}
		}
		avail := width - cellsWidth(pre)
		if avail < 1 {
			avail = 1
		}
		w, i, lastBreak := 0, start, -1
		for i < len(text) {
			if i > start && canBreakBefore(text, i) {
				lastBreak = i
			}
			if w+text[i].w > avail {
				break
			}
			w += text[i].w
			i++
		}
		end := i
		if i < len(text) {
			switch {
			case lastBreak > start:
				end = lastBreak
			case i == start:
				end = start + 1 // a grapheme wider than the line
			}
		}
		line := append(append([]cell{}, pre...), text[start:end]...)
		out = append(out, trimRight(line))
		start = end
		first = false
		if start >= len(text) {
			break
		}
	}
	if len(out) == 0 {
		out = append(out, trimRight(append([]cell{}, prefix...)))
	}
	return out
}

// hardWrapCells cuts a line into pieces of at most width cells without
// looking for break opportunities (code blocks keep their text as it is);
// continuation pieces get the same indentation as the first.
func hardWrapCells(indent int, text []cell, width int) [][]cell {
	text = trimRight(text)
	if cellsWidth(text) <= width {
		return [][]cell{text}
	}
	if width-indent < 8 {
		indent = 0
	}
	pad := make([]cell, indent)
	for i := range pad {
		pad[i] = cell{g: " ", w: 1}
	}
	var out [][]cell
	var line []cell
	w := 0
	for _, c := range text {
		if w+c.w > width && w > indent {
			out = append(out, line)
			line = append([]cell{}, pad...)
			w = indent
		}
		line = append(line, c)
		w += c.w
	}
	return append(out, trimRight(line))
}

// Wrap wraps text (which may hold ANSI styles) to width display cells with
// the Japanese line-breaking rules, keeping a hanging indent under a
// leading bullet or number. Existing line breaks are kept.
func Wrap(text string, width int) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		prefix, cont, body := splitPrefix(parseCells(l), width)
		for _, wl := range wrapCells(prefix, cont, body, width) {
			out = append(out, renderCells(wl))
		}
	}
	return strings.Join(out, "\n")
}
