package app

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kubetutor/kubetutor/runner/lab"
)

// newLabCommand manages the offline lab cluster: `lab
// up|down|status|images|leftovers|kubectl`.
func newLabCommand(env *Env) *cobra.Command {
	tr := env.Tr()
	cmd := &cobra.Command{Use: "lab", Short: tr.T("CLILabShort", nil), Args: cobra.NoArgs}
	var opts lab.Options
	fl := cmd.PersistentFlags()
	fl.StringVar(&opts.StateDir, "state-dir", "", tr.T("FlagLabStateDir", nil))
	fl.StringVar(&opts.CacheDir, "cache-dir", "", tr.T("FlagLabCacheDir", nil))
	options := func() lab.Options {
		o := opts
		o.Out = env.Streams.Out
		return o
	}
	var replace bool
	up := &cobra.Command{
		Use: "up", Short: tr.T("CLILabUpShort", nil), Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			o := options()
			o.Replace = replace
			return lab.Up(c.Context(), o)
		},
	}
	up.Flags().BoolVar(&replace, "replace", false, tr.T("FlagLabReplace", nil))
	var keep bool
	down := &cobra.Command{
		Use: "down", Short: tr.T("CLILabDownShort", nil), Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return lab.Down(c.Context(), options(), keep) },
	}
	down.Flags().BoolVar(&keep, "keep", false, tr.T("FlagLabKeep", nil))
	status := &cobra.Command{
		Use: "status", Short: tr.T("CLILabStatusShort", nil), Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			s, err := lab.Status(c.Context(), options())
			if err != nil {
				return err
			}
			s.Print(env.Streams.Out)
			if !s.Running() {
				return ExitError{Code: 3} // scripts test `lab status` for "running"
			}
			return nil
		},
	}
	images := &cobra.Command{
		Use: "images", Short: tr.T("CLILabImagesShort", nil), Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return lab.Images(c.Context(), options()) },
	}
	leftovers := &cobra.Command{
		Use: "leftovers", Short: tr.T("CLILabLeftoversShort", nil), Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			left, err := lab.Leftovers(c.Context(), options())
			if err != nil {
				return err
			}
			for _, l := range left {
				c.Println(l)
			}
			if len(left) > 0 {
				return errors.New(tr.T("CLILabLeftoversFound", map[string]any{"Count": len(left)}))
			}
			return nil
		},
	}
	kubectl := &cobra.Command{
		Use: "kubectl", Short: tr.T("CLILabKubectlShort", nil), Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			o := options()
			o.Out = env.Streams.ErrOut // stdout is the path alone, for $(kubetutor lab kubectl)
			path, err := lab.Kubectl(c.Context(), o)
			if err != nil {
				return err
			}
			fmt.Fprintln(env.Streams.Out, path)
			return nil
		},
	}
	cmd.AddCommand(up, down, status, images, leftovers, kubectl)
	return cmd
}
