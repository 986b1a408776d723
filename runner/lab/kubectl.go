package lab

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// KubectlPath returns where the lab's kubectl lives once built (it may not
// exist yet; Kubectl builds it). The directory holds only kubectl, so it
// can go first on a PATH.
func KubectlPath(ctx context.Context, o Options) (string, error) {
	o, err := o.complete()
	if err != nil {
		return "", err
	}
	gov, err := goVersion(ctx)
	if err != nil {
		return "", err
	}
	key, err := kubectlKey(o.BuildDir, gov)
	if err != nil {
		return "", err
	}
	return filepath.Join(o.CacheDir, key, "bin", "kubectl"), nil
}

// Kubectl builds, once per machine, a kubectl of the lab's Kubernetes
// version (k8s.io/kubernetes/cmd/kubectl from the lab's build module) and
// returns its path. Tests and benchmarks type commands with it, so they
// never depend on whatever kubectl a machine happens to have.
//
// It is an artifact of its own, beside the lab's binaries: the build runs
// in runner/lab/build with a copy of that module's go.mod and go.sum
// (-modfile), into which the go tool adds what kubectl alone needs, so the
// build module's files — and with them the cache key of the lab's
// Kubernetes build — never change. The key hashes only what decides the
// binary: the Kubernetes version, the Go version, the link flags and the
// build module's go.mod and go.sum.
func Kubectl(ctx context.Context, o Options) (string, error) {
	o, err := o.complete()
	if err != nil {
		return "", err
	}
	path, err := KubectlPath(ctx, o)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	bin := filepath.Dir(path)
	tmp := bin + ".tmp"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	modfile := filepath.Join(tmp, "kubectl.mod")
	for _, f := range [][2]string{{"go.mod", modfile}, {"go.sum", filepath.Join(tmp, "kubectl.sum")}} {
		if err := copyFile(filepath.Join(o.BuildDir, f[0]), f[1]); err != nil {
			return "", fmt.Errorf("copy the lab's build module: %w", err)
		}
	}
	args := []string{"build", "-modfile=" + modfile, "-mod=mod", "-ldflags=" + versionLDFlags(),
		"-o", filepath.Join(tmp, "kubectl"), "k8s.io/kubernetes/cmd/kubectl"}
	if err := runIn(ctx, o.BuildDir, "go", args, "GOFLAGS=-buildvcs=false", "GOWORK=off"); err != nil {
		return "", fmt.Errorf("build kubectl %s (needs the Go module proxy the first time): %w", KubernetesVersion, err)
	}
	os.Remove(modfile)
	os.Remove(filepath.Join(tmp, "kubectl.sum"))
	os.RemoveAll(bin)
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, bin); err != nil {
		return "", err
	}
	return path, nil
}

// kubectlKey names kubectl's cache directory.
func kubectlKey(buildDir, goVersion string) (string, error) {
	h := sha256.New()
	io.WriteString(h, strings.Join([]string{KubernetesVersion, goVersion, versionLDFlags()}, "\n"))
	for _, f := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join(buildDir, f))
		if err != nil {
			return "", fmt.Errorf("read build module %s: %w", buildDir, err)
		}
		fmt.Fprintf(h, "\x00%s\x00%d\x00", f, len(b))
		h.Write(b)
	}
	return fmt.Sprintf("kubectl-%s-%s", KubernetesVersion, hex.EncodeToString(h.Sum(nil))[:12]), nil
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}
