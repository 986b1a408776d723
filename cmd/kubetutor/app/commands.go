package app

import (
	"fmt"
	"io"
	"runtime/debug"
	"strconv"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/spf13/cobra"

	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

func newListCommand(env *Env) *cobra.Command {
	tr := env.Tr()
	return &cobra.Command{
		Use:   "list",
		Short: tr.T("CLIListShort", nil),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			all, err := env.LoadLessons()
			if err != nil {
				return err
			}
			tr := env.Tr()
			rows := [][]string{{tr.T("CLIListID", nil), tr.T("CLIListSteps", nil), tr.T("CLIListTitle", nil)}}
			for _, l := range all {
				rows = append(rows, []string{l.ID, strconv.Itoa(len(l.Spec.Steps)), l.Title(env.Lang)})
			}
			_, err = io.WriteString(env.Streams.Out, table(rows))
			return err
		},
	}
}

// table lays rows out in columns two spaces apart, measured in display
// cells: a Japanese character takes two (text/tabwriter counts runes, so
// ステップ数 pushed its column out of line). The last column is not padded.
func table(rows [][]string) string {
	var widths []int
	for _, row := range rows {
		for i, c := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], lipgloss.Width(c))
		}
	}
	var b strings.Builder
	for _, row := range rows {
		for i, c := range row {
			b.WriteString(c)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-lipgloss.Width(c)+2))
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func newLintCommand(env *Env) *cobra.Command {
	tr := env.Tr()
	return &cobra.Command{
		Use:   "lint [DIR]",
		Short: tr.T("CLILintShort", nil),
		Long:  tr.T("CLILintLong", nil),
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				env.LessonsDir = args[0]
			}
			lfs, root, mfs, mroot := env.Content()
			all, probs, err := lesson.LoadAll(lfs, root, step.Kinds())
			if err != nil {
				return fmt.Errorf("read lessons from %s: %w", root, err)
			}
			for _, l := range all {
				probs = append(probs, lesson.Lint(l, mfs, mroot)...)
			}
			lesson.SortProblems(probs)
			tr := env.Tr()
			for _, p := range probs {
				fmt.Fprintln(env.Streams.Out, p.Format(tr))
			}
			if len(probs) > 0 {
				fmt.Fprintln(env.Streams.ErrOut, tr.T("CLILintFailed", map[string]any{"Count": len(probs)}))
				return ExitError{Code: 1}
			}
			fmt.Fprintln(env.Streams.ErrOut, tr.T("CLILintOK", map[string]any{"Count": len(all)}))
			return nil
		},
	}
}

func newVersionCommand(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: env.Tr().T("CLIVersionShort", nil),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := Version
			if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" {
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" && len(s.Value) >= 12 {
						v = "dev+" + s.Value[:12]
					}
				}
			}
			fmt.Fprintf(env.Streams.Out, "kubetutor %s (%s)\n", v, env.Name)
			return nil
		},
	}
}
