package app

import "github.com/spf13/cobra"

// newLabCommand manages the offline lab cluster (stub until runner/lab lands).
func newLabCommand(env *Env) *cobra.Command {
	return &cobra.Command{Use: "lab", Short: env.Tr().T("CLILabShort", nil)}
}
