package app

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func TestShow(t *testing.T) {
	for _, tc := range []struct {
		lang, width string
		want        []string
	}{
		{"ja", "60", []string{"レプリカを持つステートフルアプリケーションを実行する", "▶ ステップ 1/15：", "▶ ステップ 15/15：", "操作："}},
		{"en", "40", []string{"Run a Replicated", "▶ Step 1/15: ", "▶ Step 15/15: ", "Does:"}},
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
			for i, l := range strings.Split(out, "\n") {
				if ansi.StringWidth(l) > width {
					t.Errorf("line %d is wider than %d: %q", i+1, width, l)
				}
			}
		})
	}
}

func TestShowUnknownLesson(t *testing.T) {
	if _, _, err := run(t, nil, "show", "nope"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("err = %v", err)
	}
}
