package app

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"text/tabwriter"

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
			w := tabwriter.NewWriter(env.Streams.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintf(w, "%s\t%s\t%s\n", env.Tr().T("CLIListID", nil), env.Tr().T("CLIListSteps", nil), env.Tr().T("CLIListTitle", nil))
			for _, l := range all {
				fmt.Fprintf(w, "%s\t%d\t%s\n", l.ID, len(l.Spec.Steps), l.Title(env.Lang))
			}
			return w.Flush()
		},
	}
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
			fmt.Fprintf(env.Streams.Out, "kubetutor %s (%s)\n", v, filepath.Base(os.Args[0]))
			return nil
		},
	}
}
