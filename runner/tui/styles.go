package tui

import (
	"charm.land/lipgloss/v2"

	"github.com/kubetutor/kubetutor/runner/ui"
)

// Styles are every style of the UI, chosen once for a dark or a light
// background (NO_COLOR is handled by Bubble Tea's ASCII colour profile,
// which drops the colours on output and keeps bold and underline).
type Styles struct {
	Title, Dim, Selected, Section, SectionCurrent lipgloss.Style
	StepDone, StepCurrent, StepLocked, StepFailed lipgloss.Style
	Sidebar, Status, StatusWarn, Notice, HelpBox  lipgloss.Style
	PaneTitle, Changed, Prompt, Rule              lipgloss.Style
	// Command is a command line to type.
	Command lipgloss.Style
}

func newStyles(dark bool) Styles {
	pal := ui.NewPalette(dark)
	accent, dim, green, red, warn := pal.Accent, pal.Dim, pal.Green, pal.Red, pal.Warn
	return Styles{
		Title:          lipgloss.NewStyle().Bold(true).Foreground(accent),
		Dim:            lipgloss.NewStyle().Foreground(dim),
		Selected:       lipgloss.NewStyle().Bold(true).Foreground(accent),
		Section:        lipgloss.NewStyle(),
		SectionCurrent: lipgloss.NewStyle().Bold(true).Foreground(accent),
		StepDone:       lipgloss.NewStyle().Foreground(green),
		StepCurrent:    lipgloss.NewStyle().Bold(true),
		StepLocked:     lipgloss.NewStyle().Foreground(dim),
		StepFailed:     lipgloss.NewStyle().Foreground(red),
		Sidebar:        lipgloss.NewStyle().BorderStyle(lipgloss.NormalBorder()).BorderRight(true).BorderForeground(dim),
		Status:         lipgloss.NewStyle().Foreground(dim),
		StatusWarn:     lipgloss.NewStyle().Foreground(warn),
		Notice:         lipgloss.NewStyle().Foreground(warn),
		HelpBox:        lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(accent).Padding(0, 1),
		PaneTitle:      lipgloss.NewStyle().Bold(true),
		Changed:        lipgloss.NewStyle().Bold(true).Foreground(accent),
		Prompt:         lipgloss.NewStyle().Bold(true).Foreground(warn),
		Rule:           lipgloss.NewStyle().Foreground(dim),
		Command:        lipgloss.NewStyle().Foreground(green),
	}
}
