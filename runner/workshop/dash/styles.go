package dash

import (
	"charm.land/lipgloss/v2"

	"github.com/kubetutor/kubetutor/runner/ui"
)

// Styles are every style of the dashboard, chosen once for a dark or a
// light background (NO_COLOR is Bubble Tea's ASCII colour profile).
type Styles struct {
	Title, Dim, Selected, Heading, Box             lipgloss.Style
	Reached, Working, Stuck, Failing, NotStarted   lipgloss.Style
	Bar, BarCheckpoint, Prompt, StatusOK, StatusKO lipgloss.Style
}

func newStyles(dark bool) Styles {
	pal := ui.NewPalette(dark)
	accent, dim, green, red, warn := pal.Accent, pal.Dim, pal.Green, pal.Red, pal.Warn
	return Styles{
		Title:         lipgloss.NewStyle().Bold(true).Foreground(accent),
		Dim:           lipgloss.NewStyle().Foreground(dim),
		Selected:      lipgloss.NewStyle().Bold(true).Reverse(true),
		Heading:       lipgloss.NewStyle().Bold(true),
		Box:           lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(accent).Padding(0, 1),
		Reached:       lipgloss.NewStyle().Foreground(green),
		Working:       lipgloss.NewStyle(),
		Stuck:         lipgloss.NewStyle().Foreground(warn),
		Failing:       lipgloss.NewStyle().Foreground(red),
		NotStarted:    lipgloss.NewStyle().Foreground(dim),
		Bar:           lipgloss.NewStyle().Foreground(accent),
		BarCheckpoint: lipgloss.NewStyle().Foreground(green).Bold(true),
		Prompt:        lipgloss.NewStyle().Bold(true).Foreground(warn),
		StatusOK:      lipgloss.NewStyle().Foreground(green),
		StatusKO:      lipgloss.NewStyle().Foreground(red),
	}
}
