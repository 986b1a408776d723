// Package render turns lesson markdown into text for the terminal: glamour
// lays the document out and styles it, and the package wraps the lines
// itself so that Japanese follows line-breaking rules (kinsoku) and no line
// is wider than the width, measured in display cells.
//
// How: glamour renders the markdown without wrapping (a very large word
// wrap), so every paragraph, list item, heading and quote comes out as one
// line. Each such line is then wrapped by wrapCells, with a hanging indent
// under bullets and quote bars. Fenced code blocks and tables are cut out
// before glamour sees the document and rendered on their own: code keeps
// its lines (a line wider than the width is cut at the width, never
// re-flowed), tables are laid out by glamour at the real width.
package render

import (
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"charm.land/glamour/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/kubetutor/kubetutor/assets"
)

// Style is the colour scheme of the output.
type Style string

const (
	// Dark is for terminals with a dark background.
	Dark Style = "dark"
	// Light is for terminals with a light background.
	Light Style = "light"
	// NoColor is for a terminal without colours (NO_COLOR is set): the
	// layout of Dark with bold, italic and underline but no colour. No
	// colour is not no formatting (https://no-color.org): headings and
	// strong text are bold, never shown as markdown's # and ** markers.
	NoColor Style = "nocolor"
	// NoTTY is plain text for output that is not a terminal: no escape
	// sequences at all. Headings stand out by their layout instead (the
	// title is underlined with ═, sections start with ■ as in Dark), and
	// markdown's markers are dropped like in the other styles.
	NoTTY Style = "notty"
)

// PickStyle chooses the style: NoTTY when the output is not a terminal,
// NoColor when NO_COLOR is set (https://no-color.org), else Dark or Light.
func PickStyle(isTTY, darkBackground bool, getenv func(string) string) Style {
	switch {
	case !isTTY:
		return NoTTY
	case getenv != nil && getenv("NO_COLOR") != "":
		return NoColor
	case darkBackground:
		return Dark
	}
	return Light
}

// Renderer renders markdown at one width in one style. Build it once per
// width and style; it is safe for concurrent use.
type Renderer struct {
	width int
	style Style
	json  []byte // the glamour style

	render sync.Mutex // one Render at a time: glamour keeps state while rendering
	mu     sync.Mutex
	terms  map[int]*glamour.TermRenderer // by word-wrap width
}

// New returns a renderer for width cells (at least 20) in style.
// glamour's renderers are not safe for concurrent use: Render holds a lock.
func New(width int, style Style) (*Renderer, error) {
	if width < 20 {
		width = 20
	}
	r := &Renderer{width: width, style: style, terms: map[int]*glamour.TermRenderer{}}
	var err error
	switch style {
	case Dark, Light:
		r.json, err = fs.ReadFile(assets.FS, string(style)+".json")
	case NoColor, NoTTY:
		r.json, err = colourless(style)
	default:
		return nil, fmt.Errorf("unknown style %q", style)
	}
	if err != nil {
		return nil, fmt.Errorf("style %s: %w", style, err)
	}
	if _, err := r.term(width); err != nil {
		return nil, err
	}
	return r, nil
}

// Width is the width the renderer wraps to.
func (r *Renderer) Width() int { return r.width }

// Style is the renderer's style.
func (r *Renderer) Style() Style { return r.style }

func (r *Renderer) term(wrap int) (*glamour.TermRenderer, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t, ok := r.terms[wrap]; ok {
		return t, nil
	}
	t, err := glamour.NewTermRenderer(glamour.WithWordWrap(wrap), glamour.WithStylesFromJSONBytes(r.json))
	if err != nil {
		return nil, fmt.Errorf("glamour: %w", err)
	}
	r.terms[wrap] = t
	return t, nil
}

// blockKind is a part of the document rendered apart from the prose.
type blockKind int

const (
	codeBlock blockKind = iota
	tableBlock
)

type block struct {
	kind blockKind
	md   string
}

// placeholder stands in the prose for the i-th cut-out block. It is a plain
// word glamour renders as a one-line paragraph.
func placeholder(i int) string { return fmt.Sprintf("KTUTORBLOCK%dX", i) }

var placeholderRE = regexp.MustCompile(`^( *)KTUTORBLOCK(\d+)X$`)

// Render renders markdown. The result has no trailing newline, no trailing
// spaces on any line, and no line wider than Width cells.
func (r *Renderer) Render(md string) (string, error) {
	r.render.Lock()
	defer r.render.Unlock()
	lines, _, err := r.renderLines(md)
	if err != nil {
		return "", err
	}
	res := strings.Join(lines, "\n")
	if r.style == NoTTY {
		// glamour writes hyperlinks (OSC 8) even in its notty style.
		res = ansi.Strip(res)
	}
	return res, nil
}

// renderLines renders md into lines; prose[i] tells whether line i was
// wrapped as prose (not a code block or a table).
func (r *Renderer) renderLines(md string) (lines []string, prose []bool, err error) {
	src, blocks := prepare(md)
	t, err := r.term(bigWidth(src))
	if err != nil {
		return nil, nil, err
	}
	out, err := t.Render(src)
	if err != nil {
		return nil, nil, fmt.Errorf("render markdown: %w", err)
	}
	blank := true // drop leading blank lines
	addBlank := func() {
		if !blank {
			lines = append(lines, "")
			prose = append(prose, false)
			blank = true
		}
	}
	for _, l := range strings.Split(out, "\n") {
		plain := strings.TrimRight(ansi.Strip(l), " ")
		if strings.TrimSpace(plain) == "" {
			addBlank()
			continue
		}
		if t := strings.TrimSpace(plain); blank && (t == "|" || t == "│") {
			continue // glamour opens a quoted list with an empty quote line
		}
		if m := placeholderRE.FindStringSubmatch(plain); m != nil {
			var i int
			fmt.Sscan(m[2], &i)
			bl, err := r.renderBlock(blocks[i], len(m[1]))
			if err != nil {
				return nil, nil, err
			}
			lines = append(lines, bl...)
			prose = append(prose, make([]bool, len(bl))...)
			blank = false
			continue
		}
		cells, title := cutTitleMarker(parseCells(trimPadding(l)))
		prefix, cont, text := splitPrefix(cells, r.width)
		rule := 0
		for _, wl := range wrapCells(prefix, cont, text, r.width) {
			lines = append(lines, renderCells(wl))
			prose = append(prose, true)
			rule = max(rule, cellsWidth(trimRight(wl))-cellsWidth(prefix))
		}
		if title {
			lines = append(lines, strings.Repeat(" ", cellsWidth(prefix))+strings.Repeat("═", rule))
			prose = append(prose, false)
		}
		blank = false
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines, prose = lines[:len(lines)-1], prose[:len(prose)-1]
	}
	return lines, prose, nil
}

// cutTitleMarker removes titleMarker from the start of a line's text (after
// its indentation) and reports whether it was there.
func cutTitleMarker(cells []cell) ([]cell, bool) {
	i := 0
	for i < len(cells) && cells[i].space() {
		i++
	}
	j := i
	for _, r := range titleMarker {
		if j >= len(cells) || cells[j].g != string(r) {
			return cells, false
		}
		j++
	}
	return append(cells[:i:i], cells[j:]...), true
}

// trimPadding cuts the spaces glamour pads every line with (each one
// wrapped in its own style sequences) before the line is split into cells:
// at the unwrapped width they are most of the bytes.
func trimPadding(l string) string {
	end := len(l)
	for end > 0 {
		switch {
		case l[end-1] == ' ':
			end--
		case l[end-1] == 'm':
			i := strings.LastIndex(l[:end], "\x1b[")
			if i < 0 || strings.ContainsAny(l[i+2:end-1], "\x1b ") || hasBackground(l[i:end]) {
				return l[:end]
			}
			end = i
		default:
			return l[:end]
		}
	}
	return l[:end]
}

// renderBlock renders a cut-out block indented by indent cells.
func (r *Renderer) renderBlock(b block, indent int) ([]string, error) {
	extra := 2 // glamour's code block margin
	if b.kind == tableBlock {
		extra = 0
		lines, err := r.blockLines(b.md, max(20, r.width-indent), indent, extra)
		if err != nil {
			return nil, err
		}
		rows := 0
		for _, l := range lines {
			if strings.TrimSpace(ansi.Strip(l)) != "" {
				rows++
			}
		}
		if rows > strings.Count(strings.TrimSpace(b.md), "\n")+1 ||
			strings.Count(ansi.Strip(strings.Join(lines, "")), "…") > strings.Count(b.md, "…") {
			// glamour had to break or cut cells short: the table is too
			// wide for the width, so list its rows instead.
			return r.tableAsList(b.md, indent)
		}
		return lines, nil
	}
	return r.blockLines(b.md, bigWidth(b.md), indent, extra)
}

// tableAsList renders a table too wide for the width as a list: the header
// row, then one item per row, "first cell — header: cell — …".
func (r *Renderer) tableAsList(md string, indent int) ([]string, error) {
	var rows [][]string
	for _, l := range strings.Split(md, "\n") {
		if tableRE.MatchString(l) {
			continue
		}
		l = strings.TrimSpace(l)
		l = strings.TrimSuffix(strings.TrimPrefix(l, "|"), "|")
		var row []string
		for _, c := range strings.Split(l, "|") {
			row = append(row, strings.TrimSpace(c))
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	var b strings.Builder
	b.WriteString(strings.Join(rows[0], " — ") + "\n\n")
	for _, row := range rows[1:] {
		b.WriteString("- " + row[0])
		for i := 1; i < len(row); i++ {
			h := ""
			if i < len(rows[0]) && rows[0][i] != "" {
				h = rows[0][i] + ": "
			}
			b.WriteString(" — " + h + row[i])
		}
		b.WriteString("\n")
	}
	sub := &Renderer{width: max(20, r.width-indent), style: r.style, json: r.json, terms: map[int]*glamour.TermRenderer{}}
	out, err := sub.Render(b.String())
	if err != nil {
		return nil, err
	}
	lines := strings.Split(out, "\n")
	common := -1
	for _, l := range lines {
		if p := ansi.Strip(l); strings.TrimSpace(p) != "" {
			n := len(p) - len(strings.TrimLeft(p, " "))
			if common < 0 || n < common {
				common = n
			}
		}
	}
	// The list was rendered with its own document margin, as wide as the
	// width left after the indent: swap the margin for the indent.
	for i, l := range lines {
		if strings.TrimSpace(ansi.Strip(l)) != "" {
			lines[i] = strings.Repeat(" ", indent) + ansi.Cut(l, max(common, 0), ansi.StringWidth(l))
		}
	}
	return lines, nil
}

// blockLines renders md on its own wrapped at wrap, removes the document
// margin, indents it by indent+extra cells and cuts lines wider than the
// width.
func (r *Renderer) blockLines(md string, wrap, indent, extra int) ([]string, error) {
	t, err := r.term(wrap)
	if err != nil {
		return nil, err
	}
	out, err := t.Render(md)
	if err != nil {
		return nil, fmt.Errorf("render markdown: %w", err)
	}
	raw := strings.Split(strings.TrimRight(out, "\n "), "\n")
	var rows [][]cell
	common := -1
	for _, l := range raw {
		c := trimRight(parseCells(trimPadding(l)))
		if len(rows) == 0 && len(c) == 0 {
			continue // leading blank lines
		}
		rows = append(rows, c)
		if len(c) == 0 {
			continue
		}
		n := 0
		for n < len(c) && c[n].space() && !c[n].hasBackground() {
			n++
		}
		if common < 0 || n < common {
			common = n
		}
	}
	for len(rows) > 0 && len(rows[len(rows)-1]) == 0 {
		rows = rows[:len(rows)-1]
	}
	if common < 0 {
		common = 0
	}
	indent += extra
	if indent > r.width/2 {
		indent = r.width / 2
	}
	pad := make([]cell, indent)
	for i := range pad {
		pad[i] = cell{g: " ", w: 1}
	}
	var lines []string
	for _, row := range rows {
		if len(row) == 0 {
			lines = append(lines, "")
			continue
		}
		row = append(append([]cell{}, pad...), row[common:]...)
		for _, wl := range hardWrapCells(indent, row, r.width) {
			lines = append(lines, renderCells(wl))
		}
	}
	return lines, nil
}

// splitPrefix splits a rendered line into its leading indentation and
// markers (spaces, quote bars, a bullet, an item number, a heading's #s),
// the prefix for its continuation lines (markers blanked, quote bars kept),
// and the text to wrap. A prefix too wide for the width is not hung.
func splitPrefix(cells []cell, width int) (prefix, cont, text []cell) {
	j := 0
	spaces := func() {
		for j < len(cells) && cells[j].space() && !cells[j].hasBackground() {
			j++
		}
	}
	spaces()
	for j+1 < len(cells) && (cells[j].g == "│" || cells[j].g == "┃" || cells[j].g == "|") && cells[j+1].space() {
		j += 2
		spaces()
	}
	quote := j
	// A marker followed by a space: • ◦ ▪ - * + , 12. , [ ] [✓] , ##
	k := j
	switch {
	case k < len(cells) && strings.Contains("•◦▪▸‣■▶-*+", cells[k].g):
		k++
	case k < len(cells) && isDigit(cells[k].g):
		for k < len(cells) && isDigit(cells[k].g) {
			k++
		}
		if k < len(cells) && (cells[k].g == "." || cells[k].g == ")") {
			k++
		} else {
			k = j
		}
	case k+2 < len(cells) && cells[k].g == "[" && cells[k+2].g == "]":
		k += 3
	case k < len(cells) && cells[k].g == "#":
		for k < len(cells) && cells[k].g == "#" {
			k++
		}
	}
	if k > j && k < len(cells) && cells[k].space() {
		j = k + 1
	}
	prefix, text = cells[:j], cells[j:]
	if cellsWidth(prefix) > width/2 {
		return nil, nil, cells
	}
	cont = make([]cell, len(prefix))
	for i, c := range prefix {
		if i >= quote || !(c.g == "│" || c.g == "┃" || c.g == "|") {
			c = cell{g: strings.Repeat(" ", c.w), w: c.w}
			if c.w == 0 {
				c = cell{}
			}
		}
		cont[i] = c
	}
	return prefix, cont, text
}

func isDigit(g string) bool { return len(g) == 1 && g[0] >= '0' && g[0] <= '9' }

// bigWidth is a word-wrap width glamour will not reach in md (prepared: one
// line per paragraph or item): twice the runes of its longest line, rounded
// up to a power of two so renderers are shared between documents.
func bigWidth(md string) int {
	longest := 0
	for _, l := range strings.Split(md, "\n") {
		longest = max(longest, 2*utf8.RuneCountInString(l))
	}
	w := 256
	for w < longest+64 {
		w *= 2
	}
	return w
}

var (
	fenceRE = regexp.MustCompile("^( *)(`{3,}|~{3,})")
	tableRE = regexp.MustCompile(`^ *\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$`)
)

// prepare cuts fenced code blocks and tables out of md (leaving a
// placeholder paragraph at their indentation) and joins lines of a
// paragraph that break between two CJK characters: markdown turns such a
// line break into a space, which Japanese does not have.
func prepare(md string) (string, []block) {
	src := strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n")
	var out []string
	var blocks []block
	cut := func(indent int, body []string, kind blockKind) {
		if len(out) > 0 && strings.TrimSpace(out[len(out)-1]) != "" {
			out = append(out, "")
		}
		out = append(out, strings.Repeat(" ", indent)+placeholder(len(blocks)), "")
		blocks = append(blocks, block{kind: kind, md: strings.Join(body, "\n")})
	}
	for i := 0; i < len(src); i++ {
		l := src[i]
		if m := fenceRE.FindStringSubmatch(l); m != nil {
			indent, fence := len(m[1]), m[2]
			body := []string{unindent(l, indent)}
			j := i + 1
			for ; j < len(src); j++ {
				body = append(body, unindent(src[j], indent))
				t := strings.TrimSpace(src[j])
				if strings.HasPrefix(t, fence) && strings.Trim(t, fence[:1]) == "" {
					break
				}
			}
			if j == len(src) {
				body = append(body, fence)
			}
			cut(indent, body, codeBlock)
			i = j
			continue
		}
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "|") && i+1 < len(src) && tableRE.MatchString(src[i+1]) {
			indent := len(l) - len(strings.TrimLeft(l, " "))
			j := i
			var body []string
			for ; j < len(src) && strings.HasPrefix(strings.TrimSpace(src[j]), "|"); j++ {
				body = append(body, unindent(src[j], indent))
			}
			cut(indent, body, tableBlock)
			i = j - 1
			continue
		}
		if n := len(out); n > 0 && joinable(out[n-1], l) {
			out[n-1] = joinLines(out[n-1], l)
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n"), blocks
}

func unindent(l string, n int) string {
	for i := 0; i < n && strings.HasPrefix(l, " "); i++ {
		l = l[1:]
	}
	return l
}

// blockStartRE matches a line that starts a markdown block of its own, so it
// cannot continue the paragraph above it.
var ruleRE = regexp.MustCompile(`^[-=*_ ]+$`)

var blockStartRE = regexp.MustCompile(`^ *([-*+] |\d+[.)] |#|>|\||<|` + "```" + `|~~~|[-=*_ ]+$)`)

// joinable reports whether next continues the paragraph (or list item, or
// quote) of prev after a soft line break. glamour turns a soft break into a
// space in paragraphs, which Japanese does not have, and keeps it as a line
// break in list items; joining such lines first lets the wrapper decide
// where lines end.
func joinable(prev, next string) bool {
	p := strings.TrimRight(prev, " ")
	n := strings.TrimSpace(next)
	if p == "" || n == "" || strings.HasSuffix(prev, "  ") || strings.HasSuffix(p, "\\") {
		return false
	}
	pt := strings.TrimSpace(p)
	if strings.HasPrefix(pt, "#") || strings.HasPrefix(pt, "|") || placeholderRE.MatchString(p) ||
		strings.HasPrefix(pt, "<") || ruleRE.MatchString(pt) {
		return false
	}
	if strings.HasPrefix(n, ">") {
		// A quote line continues only a quote.
		return strings.HasPrefix(pt, ">") && !blockStartRE.MatchString(strings.TrimLeft(n, "> "))
	}
	return !blockStartRE.MatchString(next)
}

// joinLines joins next to prev with a space, or without one between two
// CJK characters.
func joinLines(prev, next string) string {
	p := strings.TrimRight(prev, " ")
	n := strings.TrimSpace(next)
	if strings.HasPrefix(n, ">") {
		n = strings.TrimLeft(n, "> ")
	}
	last, _ := utf8.DecodeLastRuneInString(p)
	first, _ := utf8.DecodeRuneInString(n)
	if wideRune(last) && wideRune(first) {
		return p + n
	}
	return p + " " + n
}

func wideRune(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) ||
		(r >= 0x3000 && r <= 0x303f) || (r >= 0xff00 && r <= 0xffef)
}
