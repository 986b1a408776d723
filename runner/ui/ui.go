// Package ui has what kubetutor's two terminal UIs — the learner's TUI
// (runner/tui) and the instructor's dashboard (runner/workshop/dash) —
// share: their colours, and fitting a view to the screen.
package ui

import (
	"image/color"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// Palette is the colours of both UIs for a dark or a light background.
type Palette struct {
	Accent, Dim, Green, Red, Warn color.Color
}

// NewPalette returns the colours for a dark (or light) background.
func NewPalette(dark bool) Palette {
	ld := lipgloss.LightDark(dark)
	return Palette{
		Accent: ld(lipgloss.Color("#5A56E0"), lipgloss.Color("#7D79F6")),
		Dim:    ld(lipgloss.Color("#8A8A8A"), lipgloss.Color("#6C6C6C")),
		Green:  ld(lipgloss.Color("#1A8F3C"), lipgloss.Color("#52C77A")),
		Red:    ld(lipgloss.Color("#C0392B"), lipgloss.Color("#FF6B5E")),
		Warn:   ld(lipgloss.Color("#A15C00"), lipgloss.Color("#F0B44C")),
	}
}

// PadLines makes s exactly h lines (cut or padded with blank lines).
func PadLines(s string, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// FitWidth truncates every line wider than w cells, with an ellipsis, and
// joins the lines.
func FitWidth(lines []string, w int) string {
	for i, l := range lines {
		if lipgloss.Width(l) > w {
			lines[i] = ansi.Truncate(l, w, "…")
		}
	}
	return strings.Join(lines, "\n")
}
