package app

import "github.com/spf13/cobra"

// newRunCommand runs a lesson's steps on the cluster (stub until the engine lands).
func newRunCommand(env *Env) *cobra.Command {
	return &cobra.Command{Use: "run LESSON", Short: env.Tr().T("CLIRunShort", nil), Args: cobra.ExactArgs(1)}
}
