package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

// newManifestsCommand lists the manifests a lesson applies, with the
// copies the hand-typed commands point at, or exports them to a folder.
func newManifestsCommand(env *Env) *cobra.Command {
	tr := env.Tr()
	var export string
	cmd := &cobra.Command{
		Use:   "manifests LESSON",
		Short: tr.T("CLIManifestsShort", nil),
		Long:  tr.T("CLIManifestsLong", nil),
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := env.FindLesson(args[0])
			if err != nil {
				return err
			}
			senv, err := env.stepEnv(l)
			if err != nil {
				return err
			}
			files := manifestFiles(l)
			if export == "" {
				for _, f := range files {
					p, err := senv.ManifestCopy(f)
					if err != nil {
						return err
					}
					fmt.Fprintf(env.Streams.Out, "%s\t%s\n", f, p)
				}
				return nil
			}
			return exportManifests(env, senv, files, export)
		},
	}
	cmd.Flags().StringVar(&export, "export", "", tr.T("FlagExport", nil))
	return cmd
}

// manifestFiles are the files the lesson's steps apply, in order, once.
func manifestFiles(l *lesson.Lesson) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range l.Spec.Steps {
		m, ok := s.Action.Body.(lesson.ManifestUser)
		if !ok {
			continue
		}
		for _, f := range m.ManifestFiles() {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	return out
}

// exportManifests writes each file under dir (dir/mysql/configmap.yaml).
// A file already there with other content stops it before anything is
// written: nothing is overwritten.
func exportManifests(env *Env, senv *step.Env, files []string, dir string) error {
	tr := env.Tr()
	contents := make([][]byte, len(files))
	for i, f := range files {
		b, err := senv.ManifestBytes(f)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		contents[i] = b
		dst := filepath.Join(dir, filepath.FromSlash(f))
		if cur, err := os.ReadFile(dst); err == nil && string(cur) != string(b) {
			return errors.New(tr.T("CLIExportExists", map[string]any{"Path": dst}))
		}
	}
	for i, f := range files {
		dst := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return errors.New(tr.T("CLIExportFailed", map[string]any{"Path": dst, "Error": err.Error()}))
		}
		if err := os.WriteFile(dst, contents[i], 0o644); err != nil {
			return errors.New(tr.T("CLIExportFailed", map[string]any{"Path": dst, "Error": err.Error()}))
		}
		fmt.Fprintf(env.Streams.Out, "✓ %s\n", dst)
	}
	fmt.Fprintln(env.Streams.ErrOut, tr.T("CLIExported", map[string]any{"Count": len(files), "Dir": dir}))
	return nil
}

// stepEnv is a step environment without a cluster, for what needs only
// the lesson's manifests (their copies, their export).
func (e *Env) stepEnv(l *lesson.Lesson) (*step.Env, error) {
	_, _, mfs, _ := e.Content()
	dir, err := e.ManifestCache()
	if err != nil {
		return nil, err
	}
	return &step.Env{Lesson: l.ID, Manifests: mfs, Spec: l.Spec, ManifestCache: dir}, nil
}

// ManifestCache is where the copies of the manifests that hand-typed
// commands apply are kept: $XDG_CACHE_HOME/kubetutor/manifests, else
// ~/.cache/kubetutor/manifests.
func (e *Env) ManifestCache() (string, error) {
	base := e.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home := e.Getenv("HOME")
		if home == "" {
			h, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("find the cache directory: %w (set XDG_CACHE_HOME)", err)
			}
			home = h
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "kubetutor", "manifests"), nil
}
