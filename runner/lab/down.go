package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Down stops every process the lab started (by its PID file: SIGTERM, then
// SIGKILL after a deadline), kills the pods' containers and their shims,
// and removes the lab's mounts, network namespaces, cgroups, lo addresses,
// routes, bridges and iptables chains. Unless keep is set, it then deletes
// the state dir; with keep, the next Up resumes the same cluster.
func Down(ctx context.Context, o Options, keep bool) error {
	o, err := o.complete()
	if err != nil {
		return err
	}
	if err := requireRoot(); err != nil {
		return err
	}
	r := reporter{out: o.Out}
	l := layout{dir: o.StateDir}
	p := procs{l: l}
	rec, ok := readRecord(l)
	if !ok {
		rec.Workers = o.Workers
	}
	// The network, cgroups and iptables chains are machine-wide: leave them
	// alone when another clone's lab owns the machine and runs.
	if other := machineOwner(); other != "" && other != l.dir && labRunning(other) {
		r.printf("Another lab runs on this machine from %s: leaving its network alone\n", other)
		var errs []error
		for _, n := range p.names() {
			errs = append(errs, p.stop(ctx, n, 10*time.Second))
		}
		errs = append(errs, unmountUnder(l.dir))
		if err := joinErrors(errs); err != nil {
			return err
		}
		if keep {
			return nil
		}
		return r.step("state removed", func() error { return os.RemoveAll(l.dir) })
	}
	var errs []error
	step := func(name string, fn func() error) {
		if err := r.step(name, fn); err != nil {
			errs = append(errs, err)
		}
	}
	step("kube-proxy and kubelets stopped", func() error {
		var es []error
		es = append(es, p.stop(ctx, "kube-proxy", 10*time.Second))
		es = append(es, forEachNode(rec.Workers, func(i int) error { return p.stop(ctx, kubeletName(i), 10*time.Second) }))
		return joinErrors(es)
	})
	step("pods and containerd stopped", func() error {
		return forEachNode(rec.Workers, func(i int) error { return stopNode(ctx, p, i) })
	})
	step("control plane stopped", func() error {
		// Together, with a short grace: kube-apiserver sometimes ignores
		// SIGTERM, and nothing here needs a graceful end but etcd.
		names := []string{provisionerName, "coredns", "kube-scheduler", "kube-controller-manager", "kube-apiserver"}
		es := []error{forEachNode(len(names), func(i int) error { return p.stop(ctx, names[i-1], 5*time.Second) })}
		es = append(es, p.stop(ctx, "etcd", 15*time.Second))
		// Anything else with a PID file (a changed worker count, say).
		for _, n := range p.names() {
			es = append(es, p.stop(ctx, n, 10*time.Second))
		}
		return joinErrors(es)
	})
	step("mounts, cgroups and network removed", func() error {
		// Never take the addresses and blackhole routes away while a
		// component could still send to them.
		if left := labProcesses(l.dir, o.CacheDir); len(left) > 0 {
			return fmt.Errorf("lab processes %v still run: network kept; kill them and run lab down again", left)
		}
		var es []error
		es = append(es, unmountUnder(l.dir))
		removeOrphanNetns()
		for i := 1; i <= rec.Workers; i++ {
			es = append(es, removeCgroupRoot(NodeName(i)))
		}
		proxy := ""
		if rec.BinDir != "" {
			if _, err := os.Stat(filepath.Join(rec.BinDir, "kube-proxy")); err == nil {
				proxy = filepath.Join(rec.BinDir, "kube-proxy")
			}
		}
		teardownNetwork(ctx, l, rec.Workers, proxy)
		if rec.VarLibKubelet {
			es = append(es, unmountUnder("/var/lib/kubelet"))
			os.RemoveAll("/var/lib/kubelet")
		}
		return joinErrors(es)
	})
	if !keep {
		step("state removed", func() error {
			if ms := mountsUnder(l.dir); len(ms) > 0 {
				return fmt.Errorf("still mounted, state kept: %v", ms)
			}
			return os.RemoveAll(l.dir)
		})
	}
	if len(errs) > 0 {
		return joinErrors(errs)
	}
	releaseMachine(l.dir)
	left, err := Leftovers(ctx, o)
	if err != nil {
		return err
	}
	if len(left) > 0 {
		return fmt.Errorf("lab down left behind: %s", strings.Join(left, "; "))
	}
	return nil
}

// stopNode stops worker i: its kubelet is already gone; its pods' processes
// are killed through the node's cgroups, its shims by their -address, its
// containerd by PID file; then the pods' network namespaces are removed.
func stopNode(ctx context.Context, p procs, i int) error {
	sock := p.l.containerdSock(i)
	netns := map[uint64]bool{}
	for _, pid := range cgroupPIDs(NodeName(i)) {
		var st syscall.Stat_t
		if syscall.Stat(fmt.Sprintf("/proc/%d/ns/net", pid), &st) == nil {
			netns[st.Ino] = true
		}
	}
	var es []error
	es = append(es, killCgroup(NodeName(i), 15*time.Second))
	for _, pid := range shimPIDs(sock) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	es = append(es, p.stop(ctx, containerdName(i), 15*time.Second))
	removeNetns(netns)
	return joinErrors(es)
}

// shimPIDs finds the containerd-shim processes serving the containerd at
// sock: they are started by it and outlive it.
func shimPIDs(sock string) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		if isShimOf(b, sock) {
			out = append(out, pid)
		}
	}
	return out
}

// isShimOf reports whether a NUL-separated command line is a containerd
// shim serving the containerd at sock.
func isShimOf(cmdline []byte, sock string) bool {
	args := bytes.Split(bytes.TrimRight(cmdline, "\x00"), []byte{0})
	if len(args) == 0 || !strings.HasPrefix(filepath.Base(string(args[0])), "containerd-shim") {
		return false
	}
	for j := 0; j+1 < len(args); j++ {
		if string(args[j]) == "-address" && string(args[j+1]) == sock {
			return true
		}
	}
	return false
}

// removeNetns unmounts and removes the pinned network namespaces (under
// /run/netns) whose inode is one of the lab's pods'.
func removeNetns(inodes map[uint64]bool) {
	if len(inodes) == 0 {
		return
	}
	m, _ := filepath.Glob("/run/netns/*")
	for _, path := range m {
		var st syscall.Stat_t
		if syscall.Stat(path, &st) != nil || !inodes[st.Ino] {
			continue
		}
		_ = syscall.Unmount(path, syscall.MNT_DETACH)
		_ = os.Remove(path)
	}
}

// removeOrphanNetns removes the pinned pod network namespaces
// (/run/netns/cni-*) that no process is in any more. A live pod sandbox
// always has its pause process inside its namespace, so an empty one is
// orphaned: left by a lab whose processes were killed (an ended session, a
// CI runner) rather than stopped.
func removeOrphanNetns() {
	m, _ := filepath.Glob("/run/netns/cni-*")
	if len(m) == 0 {
		return
	}
	used := map[uint64]bool{}
	procsNS, _ := filepath.Glob("/proc/[0-9]*/ns/net")
	for _, p := range procsNS {
		var st syscall.Stat_t
		if syscall.Stat(p, &st) == nil {
			used[st.Ino] = true
		}
	}
	for _, path := range m {
		var st syscall.Stat_t
		if syscall.Stat(path, &st) != nil || used[st.Ino] {
			continue
		}
		_ = syscall.Unmount(path, syscall.MNT_DETACH)
		_ = os.Remove(path)
	}
}

// joinErrors joins the non-nil errors, nil when there are none.
func joinErrors(errs []error) error {
	return errors.Join(errs...)
}
