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
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "  • ") || !strings.HasPrefix(lines[1], "    ") {
		t.Errorf("continuation not indented under the bullet:\n%s", out)
	}
}

func TestStylesLoad(t *testing.T) {
	for _, s := range []Style{Dark, Light, NoTTY} {
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
}

func TestPickStyle(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if s := PickStyle(true, true, env(nil)); s != Dark {
		t.Errorf("tty dark = %s", s)
	}
	if s := PickStyle(true, false, env(nil)); s != Light {
		t.Errorf("tty light = %s", s)
	}
	if s := PickStyle(false, true, env(nil)); s != NoTTY {
		t.Errorf("not a tty = %s", s)
	}
	if s := PickStyle(true, true, env(map[string]string{"NO_COLOR": "1"})); s != NoTTY {
		t.Errorf("NO_COLOR = %s", s)
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
