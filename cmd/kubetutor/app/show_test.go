package app

import (
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func TestShow(t *testing.T) {
	for _, tc := range []struct {
		lang, width string
		want        []string
	}{
		{"ja", "60", []string{" レプリカを持つステートフルアプリケーションを実行する\n ═════", "\n ■ MySQL をデプロイする\n", "▶ ステップ 1/15：", "▶ ステップ 15/15：", "操作："}},
		{"en", "40", []string{"Run a Replicated", "\n ■ Deploy MySQL\n", "▶ Step 1/15: ", "▶ Step 15/15: ", "Does:"}},
		{"ja", "", []string{"▶ ステップ 3/15："}}, // not a terminal: 80 columns
	} {
		t.Run(tc.lang+"/"+tc.width, func(t *testing.T) {
			args := []string{"show", "mysql", "--lang", tc.lang}
			width := 80
			if tc.width != "" {
				args = append(args, "--width", tc.width)
				width = map[string]int{"40": 40, "60": 60}[tc.width]
			}
			out, _, err := run(t, nil, args...)
			if err != nil {
				t.Fatal(err)
			}
			if out != ansi.Strip(out) {
				t.Error("output to a pipe has escape sequences")
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q", w)
				}
			}
			// Plain text, but no markdown markers: headings are laid out
			// as headings, strong text is just text.
			if m := markerRE.FindString(out); m != "" {
				t.Errorf("markdown marker in the plain output: %q", m)
			}
			for i, l := range strings.Split(out, "\n") {
				if ansi.StringWidth(l) > width {
					t.Errorf("line %d is wider than %d: %q", i+1, width, l)
				}
			}
		})
	}
}

// markerRE finds markdown's heading and strong markers in rendered text
// (code blocks keep their own # comments, so only headings are matched).
var markerRE = regexp.MustCompile(`\*\*|#+ (レプリカ|始める前に|MySQL をデプロイする|Run a Replicated|Before you begin|Deploy MySQL)`)

func TestShowUnknownLesson(t *testing.T) {
	if _, _, err := run(t, nil, "show", "nope"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("err = %v", err)
	}
}
