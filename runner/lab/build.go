package lab

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Component names served by the multi-call binary kubetutor-lab, and the
// names of the symlinks the lab creates for them.
var multiCallComponents = []string{
	"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy",
}

// sourceHash hashes every file of the build module (relative path and
// content, in a stable order), so the key is the same in every clone.
func sourceHash(buildDir string) (string, error) {
	var files []string
	err := filepath.WalkDir(buildDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			name := d.Name()
			if name == "go.mod" || name == "go.sum" || strings.HasSuffix(name, ".go") {
				files = append(files, p)
			}
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("read build module %s: %w", buildDir, err)
	}
	if len(files) == 0 {
		return "", fmt.Errorf("no build module at %s", buildDir)
	}
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		rel, _ := filepath.Rel(buildDir, f)
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.ToSlash(rel), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// versionLDFlags stamp the Kubernetes version into the components, as
// upstream's build scripts do: the apiserver derives its binary (and
// emulation) version from it, nodes report it.
func versionLDFlags() string {
	major, minor, _ := strings.Cut(strings.TrimPrefix(KubernetesVersion, "v"), ".")
	minor, _, _ = strings.Cut(minor, ".")
	var b strings.Builder
	for _, pkg := range []string{"k8s.io/component-base/version", "k8s.io/client-go/pkg/version"} {
		for _, kv := range [][2]string{
			{"gitMajor", major}, {"gitMinor", minor}, {"gitVersion", KubernetesVersion},
			{"gitTreeState", "clean"}, {"buildDate", "1970-01-01T00:00:00Z"},
		} {
			fmt.Fprintf(&b, "-X %s.%s=%s ", pkg, kv[0], kv[1])
		}
	}
	return strings.TrimSpace(b.String())
}

// cacheKey derives the name of the cache directory of one build from the
// pinned versions, the Go toolchain, the link flags and the build module's
// sources.
func cacheKey(goVersion, srcHash string) string {
	h := sha256.New()
	io.WriteString(h, strings.Join([]string{KubernetesVersion, EtcdVersion, CoreDNSVersion, goVersion, versionLDFlags(), srcHash}, "\n"))
	return fmt.Sprintf("k8s-%s-%s", KubernetesVersion, hex.EncodeToString(h.Sum(nil))[:12])
}

// binaries locates the built binaries of one cache key.
type binaries struct{ dir string }

func (b binaries) path(name string) string { return filepath.Join(b.dir, name) }
func (b binaries) complete() bool {
	_, err := os.Stat(filepath.Join(b.dir, ".complete"))
	return err == nil
}

// goVersion is the version of the go tool that builds the lab.
func goVersion(ctx context.Context) (string, error) {
	gov, err := output(ctx, "go", []string{"env", "GOVERSION"})
	if err != nil {
		return "", fmt.Errorf("the lab builds Kubernetes and mehdb with the go tool, which failed: %w", err)
	}
	return strings.TrimSpace(gov), nil
}

// binDir computes the cache directory of the current build module.
func binDir(o Options, goVersion string) (binaries, string, error) {
	src, err := sourceHash(o.BuildDir)
	if err != nil {
		return binaries{}, "", err
	}
	key := cacheKey(goVersion, src)
	return binaries{dir: filepath.Join(o.CacheDir, key, "bin")}, key, nil
}

// ensureBinaries builds the multi-call binary, CoreDNS and pause into the
// cache unless that build is already there. A build goes to a temporary
// directory first, so an interrupted build is never taken for a finished one.
func ensureBinaries(ctx context.Context, o Options, b binaries) error {
	if b.complete() {
		return nil
	}
	tmp := b.dir + ".tmp"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	env := []string{"GOFLAGS=-buildvcs=false -mod=readonly", "GOWORK=off"}
	builds := []struct {
		dir, out string
		flags    []string
	}{
		{o.BuildDir, "kubetutor-lab", []string{"-ldflags=" + versionLDFlags()}},
		{filepath.Join(o.BuildDir, "pause"), "pause", nil},
		{filepath.Join(o.BuildDir, "coredns"), "coredns", nil},
	}
	for _, bd := range builds {
		cmd := append(append([]string{"build", "-o", filepath.Join(tmp, bd.out)}, bd.flags...), ".")
		e := env
		if bd.out == "pause" {
			e = append(e, "CGO_ENABLED=0") // static: the only file of its image
		}
		if err := runIn(ctx, bd.dir, "go", cmd, e...); err != nil {
			return fmt.Errorf("build %s (needs the Go module proxy the first time): %w", bd.out, err)
		}
	}
	for _, c := range multiCallComponents {
		if err := os.Symlink("kubetutor-lab", filepath.Join(tmp, c)); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, ".complete"), nil, 0o644); err != nil {
		return err
	}
	os.RemoveAll(b.dir)
	return os.Rename(tmp, b.dir)
}
