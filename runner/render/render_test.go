package render

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"unicode"

	"charm.land/glamour/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

var widths = []int{40, 60, 80, 120}

// doc is one markdown document the wrapping tests render.
type doc struct {
	name  string
	md    string
	whole bool // a whole lesson (its sections are documents too)
}

// docs returns every section (and the introduction) of every embedded
// lesson in every language, the whole lessons, and the long fixture.
func docs(t *testing.T) []doc {
	t.Helper()
	all, probs, err := lesson.LoadAll(lessons.FS, "lessons", step.Kinds())
	if err != nil || len(probs) > 0 {
		t.Fatalf("load lessons: %v %v", err, probs)
	}
	label := func(n, total int, s lesson.Step, title string) (string, string) {
		return fmt.Sprintf("ステップ %d/%d: %s", n, total, title), "> 操作: " + s.Action.Kind
	}
	var out []doc
	for _, l := range all {
		for _, lang := range lesson.Langs {
			d := l.Doc(lang)
			out = append(out, doc{name: l.ID + "/" + lang + "/intro", md: "# " + d.Title + "\n\n" + d.Intro})
			for i, s := range d.Sections {
				out = append(out, doc{name: l.ID + "/" + lang + "/" + s.ID, md: SectionMarkdown(l, d, i, label)})
			}
			out = append(out, doc{name: l.ID + "/" + lang, md: LessonMarkdown(l, lang, label), whole: true})
		}
	}
	for _, f := range []string{"testdata/long.ja.md"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, doc{name: f, md: string(b)})
	}
	return out
}

// TestLessons renders every document at every width in the plain and a
// colour style and checks each result:
//   - width: no line is wider than the width in display cells;
//   - nothing lost: every non-space character of the source (markdown
//     syntax aside) appears in the output, in order;
//   - kinsoku: no prose line starts with closing punctuation, a prolonged
//     sound mark or small kana, and none ends with an opening bracket.
//     Code blocks keep their lines as written and are not checked.
func TestLessons(t *testing.T) {
	all := docs(t)
	for _, style := range []Style{NoTTY, Dark} {
		for _, w := range widths {
			r, err := New(w, style)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range all {
				if style != NoTTY && d.whole {
					continue // the sections cover it; keeps the test fast
				}
				lines, prose, err := r.renderLines(d.md)
				if err != nil {
					t.Fatalf("%s: %v", d.name, err)
				}
				t.Run(fmt.Sprintf("%s/%s/%d", d.name, style, w), func(t *testing.T) {
					checkWidth(t, lines, w)
					checkNothingLost(t, d.md, lines)
					checkKinsoku(t, lines, prose)
				})
			}
		}
	}
}

func checkWidth(t *testing.T, lines []string, width int) {
	t.Helper()
	for i, l := range lines {
		if w := ansi.StringWidth(ansi.Strip(l)); w > width {
			t.Errorf("line %d is %d cells wide (> %d): %q", i+1, w, width, ansi.Strip(l))
		}
	}
}

var (
	commentRE   = regexp.MustCompile(`<!--.*?-->`)
	fenceLineRE = regexp.MustCompile("(?m)^ *(```|~~~).*$")
	// Markdown syntax and the decorations glamour adds or drops.
	syntaxChars = "#*_`>|-[]()!~:"
)

// nonSpace returns the runes of s that are neither spaces nor markdown
// syntax.
func nonSpace(s string) []rune {
	var out []rune
	for _, r := range s {
		if unicode.IsSpace(r) || strings.ContainsRune(syntaxChars, r) {
			continue
		}
		out = append(out, r)
	}
	return out
}

func checkNothingLost(t *testing.T, md string, lines []string) {
	t.Helper()
	want := nonSpace(fenceLineRE.ReplaceAllString(commentRE.ReplaceAllString(md, ""), ""))
	got := nonSpace(ansi.Strip(strings.Join(lines, "\n")))
	j := 0
	for _, r := range got {
		if j < len(want) && r == want[j] {
			j++
		}
	}
	if j < len(want) {
		ctx := string(want[max(0, j-20):j])
		t.Errorf("lost %q after …%s (%d of %d characters found in order)", string(want[j]), ctx, j, len(want))
	}
}

func checkKinsoku(t *testing.T, lines []string, prose []bool) {
	t.Helper()
	for i, l := range lines {
		if !prose[i] {
			continue
		}
		text := []rune(strings.TrimLeft(ansi.Strip(l), " │"))
		if len(text) == 0 {
			continue
		}
		first, last := text[0], text[len(text)-1]
		if strings.ContainsRune(NoLineStart, first) {
			t.Errorf("line %d starts with %q: %q", i+1, first, ansi.Strip(l))
		}
		if strings.ContainsRune(NoLineEnd, last) {
			t.Errorf("line %d ends with %q: %q", i+1, last, ansi.Strip(l))
		}
	}
}

// TestGlamourAloneBreaksKinsoku documents why the renderer wraps lines
// itself: glamour v2.0.1 alone starts lines with closing punctuation or a
// prolonged sound mark in the fixture. If glamour learns kinsoku, this test
// says so in its log.
func TestGlamourAloneBreaksKinsoku(t *testing.T) {
	src, err := os.ReadFile("testdata/long.ja.md")
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	for _, w := range widths {
		g, err := glamour.NewTermRenderer(glamour.WithStandardStyle("notty"), glamour.WithWordWrap(w))
		if err != nil {
			t.Fatal(err)
		}
		prose, _ := prepare(string(src))
		out, err := g.Render(placeholderLineRE.ReplaceAllString(prose, ""))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(ansi.Strip(out), "\n") {
			text := []rune(strings.TrimLeft(l, " │"))
			if len(text) > 0 && strings.ContainsRune(NoLineStart, text[0]) {
				bad++
			}
		}
	}
	t.Logf("glamour alone: %d lines start with a forbidden character", bad)
}

var placeholderLineRE = regexp.MustCompile(`(?m)^ *KTUTORBLOCK\d+X$`)

func TestWrapCells(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		width int
		want  []string
	}{
		{"period pushes a character down", "あいうえ。", 8, []string{"あいう", "え。"}},
		{"closing bracket stays with text", "あいう」かき", 6, []string{"あい", "う」か", "き"}},
		{"opening bracket goes down", "あいう「え」", 8, []string{"あいう", "「え」"}},
		{"prolonged sound mark", "あいサーバー", 6, []string{"あい", "サー", "バー"}},
		{"no line starts with a period after a space", "ab …x", 3, []string{"ab", "…x"}},
		{"ascii words break at spaces", "hello world foo", 11, []string{"hello world", "foo"}},
		{"ascii word not split after cjk", "あいうStatefulSet", 10, []string{"あいう", "StatefulSe", "t"}},
		{"mixed", "Pod は、再起動します。", 10, []string{"Pod は、再", "起動しま", "す。"}},
		{"small kana", "あいうっか", 6, []string{"あい", "うっか"}},
		{"fits", "あいう", 6, []string{"あいう"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, l := range wrapCells(nil, nil, parseCells(tt.in), tt.width) {
				got = append(got, renderCells(l))
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("wrap(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
			}
		})
	}
}

func TestHangingIndent(t *testing.T) {
	r, err := New(30, NoTTY)
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.Render("- 動的な PersistentVolume のプロビジョナーと、既定の StorageClass が必要です。\n")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out, "\n")
	bullet := strings.Index(lines[0], "• ")
	if len(lines) < 2 || bullet < 0 || strings.TrimSpace(lines[0][:bullet]) != "" {
		t.Fatalf("no bullet on the first line:\n%s", out)
	}
	text := strings.Repeat(" ", ansi.StringWidth(lines[0][:bullet])+2) // under the text after "• "
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, text) || strings.HasPrefix(l, text+" ") {
			t.Errorf("continuation not indented under the bullet's text:\n%s", out)
		}
	}
}

func TestStylesLoad(t *testing.T) {
	for _, s := range []Style{Dark, Light, NoColor, NoTTY} {
		r, err := New(80, s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		out, err := r.Render("# T\n\nText `code` **bold**.\n")
		if err != nil || !strings.Contains(ansi.Strip(out), "code") {
			t.Errorf("%s: %q %v", s, out, err)
		}
		if s == NoTTY && out != ansi.Strip(out) {
			t.Errorf("notty output has escape sequences: %q", out)
		}
	}
	if _, err := New(80, "sepia"); err == nil {
		t.Error("an unknown style was accepted")
	}
}

func TestPickStyle(t *testing.T) {
	for _, tc := range []struct {
		name      string
		tty, dark bool
		env       map[string]string
		want      Style
	}{
		{"terminal, dark", true, true, nil, Dark},
		{"terminal, light", true, false, nil, Light},
		{"not a terminal", false, true, nil, NoTTY},
		{"NO_COLOR on a terminal keeps formatting", true, true, map[string]string{"NO_COLOR": "1"}, NoColor},
		{"NO_COLOR on a light terminal", true, false, map[string]string{"NO_COLOR": "1"}, NoColor},
		{"NO_COLOR, not a terminal", false, true, map[string]string{"NO_COLOR": "1"}, NoTTY},
		{"empty NO_COLOR is unset", true, true, map[string]string{"NO_COLOR": ""}, Dark},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PickStyle(tc.tty, tc.dark, func(k string) string { return tc.env[k] }); got != tc.want {
				t.Errorf("PickStyle = %s, want %s", got, tc.want)
			}
		})
	}
}

// sgrAttrs returns the SGR parameters in effect in a cell's style, with
// extended colours (38;5;n, 48;2;r;g;b …) reported as "38", "48" or "58".
func sgrAttrs(sgr string) map[string]bool {
	attrs := map[string]bool{}
	for _, seq := range strings.Split(sgr, "\x1b[") {
		ps := strings.Split(strings.TrimSuffix(seq, "m"), ";")
		for i := 0; i < len(ps); i++ {
			switch p := ps[i]; p {
			case "", "0":
				clear(attrs)
			case "38", "48", "58":
				attrs[p] = true
				if i+1 < len(ps) && ps[i+1] == "5" {
					i += 2
				} else if i+1 < len(ps) && ps[i+1] == "2" {
					i += 4
				}
			default:
				attrs[p] = true
			}
		}
	}
	return attrs
}

// isColour reports whether an SGR parameter sets a colour (foreground,
// background or underline colour).
func isColour(p string) bool {
	n := 0
	if _, err := fmt.Sscan(p, &n); err != nil {
		return false
	}
	return (n >= 30 && n <= 38) || (n >= 40 && n <= 48) || n == 58 || (n >= 90 && n <= 97) || (n >= 100 && n <= 107)
}

// TestNoColourStyles: NO_COLOR means no colour, not no formatting
// (no-color.org). NoColor keeps bold, italic and underline and has no
// colour; NoTTY has no escape sequences and marks the title with a rule.
// Neither shows markdown's markers (#, **, *, backticks).
func TestNoColourStyles(t *testing.T) {
	md := "# タイトル\n\n導入。\n\n## MySQL をデプロイする\n\n**操作：** ConfigMap を適用します。*強調*と `kubectl get pods` です。\n\n### ▶ ステップ 1/15：ConfigMap\n"
	for _, tc := range []struct {
		style Style
		// attrs: text → SGR attributes its first cell must have.
		attrs map[string][]string
		// want: substrings of the text without escape sequences.
		want []string
	}{
		{NoColor, map[string][]string{
			"タイトル": {"1", "4"}, "■ MySQL": {"1"}, "操作：": {"1"}, "強調": {"3"}, "▶ ステップ": {"1"},
		}, []string{"\n ■ MySQL をデプロイする\n", " 操作： ConfigMap を適用します。強調と kubectl get pods です。"}},
		{NoTTY, nil, []string{
			" タイトル\n ════════\n\n 導入。", "\n ■ MySQL をデプロイする\n",
			" 操作： ConfigMap を適用します。強調と kubectl get pods です。", "\n ▶ ステップ 1/15：ConfigMap",
		}},
	} {
		t.Run(string(tc.style), func(t *testing.T) {
			r, err := New(80, tc.style)
			if err != nil {
				t.Fatal(err)
			}
			out, err := r.Render(md)
			if err != nil {
				t.Fatal(err)
			}
			plain := ansi.Strip(out)
			if tc.style == NoTTY && out != plain {
				t.Errorf("escape sequences in plain text: %q", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(plain, w) {
					t.Errorf("output lacks %q:\n%s", w, plain)
				}
			}
			for _, marker := range []string{"#", "**", "*強調*", "`"} {
				if strings.Contains(plain, marker) {
					t.Errorf("markdown marker %q in the output:\n%s", marker, plain)
				}
			}
			var cells []cell
			for _, l := range strings.Split(out, "\n") {
				cells = append(cells, parseCells(l)...)
			}
			for i, c := range cells {
				for p := range sgrAttrs(c.sgr) {
					if isColour(p) {
						t.Fatalf("%q has a colour (SGR %s): %q", c.g, p, c.sgr)
					}
				}
				for text, want := range tc.attrs {
					if !strings.HasPrefix(cellsText(cells[i:]), text) {
						continue
					}
					got := sgrAttrs(c.sgr)
					for _, a := range want {
						if !got[a] {
							t.Errorf("%q lacks SGR %s (has %q)", text, a, c.sgr)
						}
					}
				}
			}
		})
	}
}

func cellsText(cells []cell) string {
	var b strings.Builder
	for _, c := range cells {
		b.WriteString(c.g)
	}
	return b.String()
}

// TestNoMarkersInLessons renders every embedded lesson without colours: no
// prose line shows a heading's # or strong text's ** (code blocks keep
// their # comments).
func TestNoMarkersInLessons(t *testing.T) {
	for _, style := range []Style{NoColor, NoTTY} {
		r, err := New(80, style)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range docs(t) {
			if !d.whole {
				continue
			}
			lines, prose, err := r.renderLines(d.md)
			if err != nil {
				t.Fatal(err)
			}
			for i, l := range lines {
				p := strings.TrimSpace(ansi.Strip(l))
				if prose[i] && (strings.HasPrefix(p, "#") || strings.Contains(p, "**")) {
					t.Errorf("%s/%s line %d shows a markdown marker: %q", d.name, style, i+1, p)
				}
			}
		}
	}
}

// TestConcurrentRender: the TUI renders pages from concurrent commands with
// one Renderer; glamour's renderer is not safe for that, Render serialises.
func TestConcurrentRender(t *testing.T) {
	var all []doc
	for _, d := range docs(t) {
		if !d.whole {
			all = append(all, d)
		}
	}
	r, err := New(60, Dark)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]string, len(all))
	for i, d := range all {
		if want[i], err = r.Render(d.md); err != nil {
			t.Fatal(err)
		}
	}
	got := make([]string, len(all))
	var wg sync.WaitGroup
	for i, d := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], _ = r.Render(d.md)
		}()
	}
	wg.Wait()
	for i := range all {
		if ansi.Strip(got[i]) != ansi.Strip(want[i]) { // hyperlinks get random ids
			t.Errorf("%s: concurrent render differs from a sequential one", all[i].name)
		}
	}
}
