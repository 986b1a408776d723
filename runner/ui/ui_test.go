package ui

import "testing"

func TestPadLines(t *testing.T) {
	for _, tc := range []struct {
		in   string
		h    int
		want string
	}{
		{"a\nb\nc", 2, "a\nb"},
		{"a", 3, "a\n\n"},
		{"a\nb", 2, "a\nb"},
	} {
		if got := PadLines(tc.in, tc.h); got != tc.want {
			t.Errorf("PadLines(%q, %d) = %q, want %q", tc.in, tc.h, got, tc.want)
		}
	}
}

func TestFitWidth(t *testing.T) {
	// Width counts display cells: a Japanese character takes two.
	if got, want := FitWidth([]string{"abcdef", "ab", "日本語です"}, 4), "abc…\nab\n日…"; got != want {
		t.Errorf("FitWidth = %q, want %q", got, want)
	}
}
