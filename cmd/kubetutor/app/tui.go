package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"

	"github.com/kubetutor/kubetutor/runner/tui"
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

// runTUI starts the terminal UI on lesson id. It opens at once; the cluster
// is probed in the background and, without one, the TUI is in reading
// mode.
func runTUI(ctx context.Context, env *Env, id string) error {
	all, err := env.LoadLessons()
	if err != nil {
		return err
	}
	if _, err := env.FindLesson(id); err != nil {
		if id != DefaultLesson {
			return err
		}
		id = "" // --lessons-dir without the default lesson: start at the list
	}
	return tui.Run(ctx, tui.Options{
		In:      env.Streams.In,
		Out:     env.Streams.Out,
		Lessons: all,
		Start:   id,
		Lang:    env.Lang,
		Catalog: env.Catalog,
		Probe:   probeCluster(env.Kube),
		NoColor: env.Getenv("NO_COLOR") != "",
	})
}

// probeCluster returns a tui.Probe that reads kubectl's configuration and
// asks the API server for its version within the context's deadline.
func probeCluster(kube *genericclioptions.ConfigFlags) tui.Probe {
	return func(ctx context.Context) tui.ClusterInfo {
		loader := kube.ToRawKubeConfigLoader()
		raw, err := loader.RawConfig()
		if err != nil || len(raw.Contexts) == 0 {
			if err == nil {
				err = tui.ErrNoKubeconfig
				if p := os.Getenv("KUBECONFIG"); p != "" {
					err = fmt.Errorf("%w: %s", tui.ErrNoKubeconfig, p)
				}
			}
			return tui.ClusterInfo{Err: err}
		}
		info := tui.ClusterInfo{Context: raw.CurrentContext}
		if kube.Context != nil && *kube.Context != "" {
			info.Context = *kube.Context
		}
		info.Namespace, _, _ = loader.Namespace()
		cfg, err := kube.ToRESTConfig()
		if err != nil {
			info.Err = err
			return info
		}
		cfg = rest.CopyConfig(cfg)
		if dl, ok := ctx.Deadline(); ok {
			cfg.Timeout = max(0, time.Until(dl))
		}
		dc, err := discovery.NewDiscoveryClientForConfig(cfg)
		if err != nil {
			info.Err = err
			return info
		}
		if err := dc.RESTClient().Get().AbsPath("/version").Do(ctx).Error(); err != nil {
			info.Err = shortNetError(err)
			return info
		}
		info.Reachable = true
		return info
	}
}

// shortNetError keeps a probe error short enough for the status line.
func shortNetError(err error) error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return errors.New("no answer within 2s")
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
