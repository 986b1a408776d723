package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"

	"github.com/kubetutor/kubetutor/runner/kube"
	"github.com/kubetutor/kubetutor/runner/progress"
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
	opts := tui.Options{
		In:      env.Streams.In,
		Out:     env.Streams.Out,
		Lessons: all,
		Start:   id,
		Lang:    env.Lang,
		Catalog: env.Catalog,
		Probe:   probeCluster(env.Kube),
		NoColor: env.Getenv("NO_COLOR") != "",
	}
	// With a kubeconfig, steps run through the engine and progress is kept
	// per lesson, context and namespace. Without one the TUI reads only.
	if cluster, err := kube.New(env.Kube); err == nil {
		_, _, mfs, _ := env.Content()
		runner := tui.NewEngineRunner(cluster, mfs, env.Lang, nil)
		if runner.ManifestCache, err = env.ManifestCache(); err != nil {
			return err
		}
		opts.Runner = runner
		dir, err := progress.Dir(env.Getenv)
		if err != nil {
			return err
		}
		ps := &progressStore{store: progress.NewStore(dir), context: cluster.Context, namespace: cluster.Namespace, locks: map[string]*os.File{}}
		defer ps.unlock()
		if id != "" {
			// A second kubetutor on the same lesson, context and namespace
			// stops here with a clear error instead of clobbering progress.
			if err := ps.lock(id); err != nil {
				return err
			}
		}
		opts.Progress = ps
	}
	return tui.Run(ctx, opts)
}

// progressStore is the TUI's progress for one kube context and namespace.
// It holds each lesson's lock from its first use until the TUI exits.
type progressStore struct {
	store              *progress.Store
	context, namespace string
	mu                 sync.Mutex
	locks              map[string]*os.File
}

func (p *progressStore) key(id string) progress.Key {
	return progress.Key{Lesson: id, Context: p.context, Namespace: p.namespace}
}

func (p *progressStore) lock(id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.locks[id]; ok {
		return nil
	}
	f, err := p.store.Lock(p.key(id))
	if err != nil {
		return err
	}
	p.locks[id] = f
	return nil
}

func (p *progressStore) unlock() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for id, f := range p.locks {
		f.Close()
		delete(p.locks, id)
	}
}

// Load implements tui.ProgressStore; it takes the lesson's lock first.
func (p *progressStore) Load(id string) (progress.State, error) {
	if err := p.lock(id); err != nil {
		return progress.State{}, err
	}
	return p.store.Load(p.key(id))
}

// Save implements tui.ProgressStore.
func (p *progressStore) Save(id string, st progress.State) error {
	if err := p.lock(id); err != nil {
		return err
	}
	return p.store.Save(p.key(id), st)
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
