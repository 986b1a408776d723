package lab

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// Kubectl returns the path of a kubectl of the lab's Kubernetes version,
// building it into the cache the first time (≈ 1 min once the lab's
// binaries are built: it shares their compiled packages). Tests compare
// with it (`kubectl wait`) on machines that have no kubectl of their own.
//
// It is built from k8s.io/kubernetes/cmd/kubectl with the lab's build
// module (runner/lab/build) copied to a scratch directory: kubectl needs
// go.sum entries the module does not list, and adding them to the module
// itself would change the cache key of the lab's binaries and rebuild
// Kubernetes everywhere. The copy's go.sum gets them from the module proxy;
// the build module is never written.
func Kubectl(ctx context.Context, o Options) (string, error) {
	o, err := o.complete()
	if err != nil {
		return "", err
	}
	gov, err := goVersion(ctx)
	if err != nil {
		return "", err
	}
	b, _, err := binDir(o, gov)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(filepath.Dir(b.dir), "kubectl")
	bin := filepath.Join(dir, "kubectl")
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err == nil {
		return bin, nil
	}
	err = reporter{out: o.Out}.step("kubectl "+KubernetesVersion+" built into the lab's cache", func() error {
		scratch, err := os.MkdirTemp("", "kubetutor-kubectl-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(scratch)
		for _, f := range []string{"go.mod", "go.sum"} {
			data, err := os.ReadFile(filepath.Join(o.BuildDir, f))
			if err != nil {
				return fmt.Errorf("read the lab's build module: %w", err)
			}
			if err := os.WriteFile(filepath.Join(scratch, f), data, 0o644); err != nil {
				return err
			}
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		tmp := bin + ".tmp"
		if err := runIn(ctx, scratch, "go", []string{"build", "-ldflags=" + versionLDFlags(), "-o", tmp, "k8s.io/kubernetes/cmd/kubectl"},
			"GOFLAGS=-buildvcs=false -mod=mod", "GOWORK=off"); err != nil {
			return fmt.Errorf("build kubectl (needs the Go module proxy the first time): %w", err)
		}
		if err := os.Rename(tmp, bin); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, ".complete"), nil, 0o644)
	})
	return bin, err
}
