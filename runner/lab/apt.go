package lab

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
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

// run executes a command and, when it fails, returns an error carrying the
// tail of its output.
func run(ctx context.Context, name string, args []string, env ...string) error {
	_, err := output(ctx, name, args, env...)
	return err
}

// output executes a command and returns its standard output.
func output(ctx context.Context, name string, args []string, env ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := stderr.Bytes()
		if len(msg) == 0 {
			msg = stdout.Bytes()
		}
		if len(msg) > 2000 {
			msg = msg[len(msg)-2000:]
		}
		return stdout.String(), fmt.Errorf("%s %v: %w\n%s", name, args, err, bytes.TrimSpace(msg))
	}
	return stdout.String(), nil
}

// runIn is run with a working directory.
func runIn(ctx context.Context, dir, name string, args []string, env ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if len(out) > 3000 {
			out = out[len(out)-3000:]
		}
		return fmt.Errorf("%s %v in %s: %w\n%s", name, args, dir, err, bytes.TrimSpace(out))
	}
	return nil
}
