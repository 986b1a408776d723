// Package lab runs the offline lab: a real Kubernetes cluster with three
// worker nodes on one Linux machine, built from source through the Go module
// proxy and started without Docker, a registry or the internet.
//
// Up builds (or reuses) the binaries and images in a cache outside the work
// tree, then starts etcd, the control plane, CoreDNS, kube-proxy and one
// containerd + kubelet per worker as host processes in their own sessions.
// Down stops exactly those processes, by the PID files Up wrote, and removes
// every route, address, bridge, iptables chain, cgroup and mount the lab
// created. Everything the lab talks to is on this machine.
package lab

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Pinned versions. Changing one changes the cache key and so rebuilds.
const (
	KubernetesVersion = "v1.34.10"
	EtcdVersion       = "v3.6.4"
	CoreDNSVersion    = "v1.12.4"
	DebianSuite       = "bookworm"
)

// Images the lab builds and imports into every node.
const (
	PauseImage   = "kubetutor.local/pause:3.10"
	MariaDBImage = "kubetutor.local/mariadb:10.11"
	// MehdbImage is kubetutor's mehdb (cmd/mehdb of this repository).
	MehdbImage = "kubetutor.local/mehdb:0.6"
	// JumpImage is the mehdb lesson's client: curl, getent and a shell.
	JumpImage = "kubetutor.local/jump:0.2"
)

// DefaultWorkers is the number of worker nodes Up starts.
const DefaultWorkers = 3

// Options says where the lab keeps its state and cache and where it reports.
// The zero value is usable from anywhere inside the repository.
type Options struct {
	// RepoDir is the root of the kubetutor repository. Empty: found by
	// walking up from the working directory to the go.mod of the module.
	RepoDir string
	// StateDir holds the running cluster: certificates, etcd data, logs,
	// PID files. Empty: RepoDir/.lab.
	StateDir string
	// CacheDir holds built binaries, the Debian rootfses and image tarballs,
	// shared by every clone on the machine. Empty:
	// ${XDG_CACHE_HOME:-$HOME/.cache}/kubetutor/lab.
	CacheDir string
	// BuildDir is the separate Go module that builds the components.
	// Empty: RepoDir/runner/lab/build.
	BuildDir string
	// Workers is the number of worker nodes. Zero: DefaultWorkers.
	Workers int
	// Out receives progress lines (✓/✗). Nil: io.Discard.
	Out io.Writer
	// Replace lets Up stop a lab that runs on this machine from another
	// state dir (another clone), keeping that one's state, instead of
	// failing. Only one lab can run on a machine at a time.
	Replace bool
	// Storage is the storage mode Up applies: StorageShared or
	// StorageNodeLocal. Empty: the mode the lab had, else StorageShared.
	Storage string
	// Provisioner is the command that runs RunProvisioner (the CLI:
	// kubetutor lab provisioner); Up appends --state-dir. Node-local
	// storage needs it.
	Provisioner []string
}

// modulePath is the main module, used to recognise the repository root.
const modulePath = "module github.com/kubetutor/kubetutor\n"

// complete fills in the defaults of o.
func (o Options) complete() (Options, error) {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.Workers > 9 {
		return o, fmt.Errorf("lab supports at most 9 workers, asked for %d", o.Workers)
	}
	if _, err := storageMode(o.Storage, ""); err != nil {
		return o, err
	}
	if o.RepoDir == "" {
		dir, err := FindRepoDir()
		if err != nil {
			return o, err
		}
		o.RepoDir = dir
	}
	if o.StateDir == "" {
		o.StateDir = filepath.Join(o.RepoDir, ".lab")
	}
	if o.BuildDir == "" {
		o.BuildDir = filepath.Join(o.RepoDir, "runner", "lab", "build")
	}
	if o.CacheDir == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return o, fmt.Errorf("find cache dir: %w (set XDG_CACHE_HOME)", err)
			}
			base = filepath.Join(home, ".cache")
		}
		o.CacheDir = filepath.Join(base, "kubetutor", "lab")
	}
	var err error
	for _, p := range []*string{&o.RepoDir, &o.StateDir, &o.BuildDir, &o.CacheDir} {
		if *p, err = filepath.Abs(*p); err != nil {
			return o, err
		}
	}
	return o, nil
}

// FindRepoDir walks up from the working directory to the root of the
// kubetutor repository (the directory whose go.mod declares the module).
func FindRepoDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), modulePath) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the kubetutor repository: run from the repository or set Options.RepoDir")
		}
		dir = parent
	}
}

// requireRoot fails early with advice when not run as root: the lab creates
// addresses, routes, bridges, iptables rules, cgroups and mounts.
func requireRoot() error {
	if os.Geteuid() != 0 {
		return errors.New("the offline lab needs root (it creates routes, bridges, iptables rules, cgroups and mounts): run it with sudo")
	}
	return nil
}

// reporter prints kind-style progress lines.
type reporter struct{ out io.Writer }

// step runs fn and prints "✓ name (duration)" or "✗ name: error".
func (r reporter) step(name string, fn func() error) error {
	start := time.Now()
	err := fn()
	d := time.Since(start).Round(100 * time.Millisecond)
	if err != nil {
		fmt.Fprintf(r.out, " ✗ %s (%s)\n", name, d)
		return fmt.Errorf("%s: %w", name, err)
	}
	fmt.Fprintf(r.out, " ✓ %s (%s)\n", name, d)
	return nil
}

func (r reporter) printf(format string, args ...any) {
	fmt.Fprintf(r.out, format, args...)
}
