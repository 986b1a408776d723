package lab

import (
	"context"
	"fmt"
	"os"
)

// runtimePackages are the Debian packages the lab runs on, with a program
// each that proves it is installed.
var runtimePackages = []struct{ pkg, probe string }{
	{"containerd", "/usr/bin/containerd"},
	{"runc", "/usr/sbin/runc"},
	{"containernetworking-plugins", "/usr/lib/cni/bridge"},
	{"iptables", "/usr/sbin/iptables"},
	{"debootstrap", "/usr/sbin/debootstrap"},
}

// missingPackages lists the runtime packages whose probe file is absent.
func missingPackages() []string {
	var out []string
	for _, p := range runtimePackages {
		if _, err := os.Stat(p.probe); err != nil {
			out = append(out, p.pkg)
		}
	}
	return out
}

// ensurePackages installs the missing runtime packages with apt-get,
// refreshing the package lists once when the first attempt fails.
func ensurePackages(ctx context.Context) error {
	missing := missingPackages()
	if len(missing) == 0 {
		return nil
	}
	install := func() error {
		args := append([]string{"install", "-y", "--no-install-recommends"}, missing...)
		return run(ctx, "apt-get", args, "DEBIAN_FRONTEND=noninteractive")
	}
	if err := install(); err == nil {
		return nil
	}
	if err := run(ctx, "apt-get", []string{"update"}); err != nil {
		return fmt.Errorf("apt-get update: %w", err)
	}
	if err := install(); err != nil {
		return fmt.Errorf("install %v: %w (install them by hand with apt-get)", missing, err)
	}
	return nil
}
