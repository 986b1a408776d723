package app

import (
	"github.com/spf13/cobra"
)

// newShowCommand prints a lesson rendered for the terminal (owned by the
// TUI work; stub until runner/render lands).
func newShowCommand(env *Env) *cobra.Command {
	return &cobra.Command{Use: "show LESSON", Short: env.Tr().T("CLIShowShort", nil), Args: cobra.ExactArgs(1)}
}
