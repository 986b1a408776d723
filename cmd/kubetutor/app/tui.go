package app

import (
	"context"
	"errors"

	"github.com/spf13/cobra"
)

// newOpenCommand opens the TUI on a lesson.
func newOpenCommand(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "open [LESSON]",
		Short: env.Tr().T("CLIOpenShort", nil),
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := DefaultLesson
			if len(args) == 1 {
				id = args[0]
			}
			return runTUI(cmd.Context(), env, id)
		},
	}
}

// runTUI starts the terminal UI on lesson id (stub until runner/tui lands).
func runTUI(ctx context.Context, env *Env, id string) error {
	return errors.New("the TUI is not wired yet")
}
