package lab

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// State is a snapshot of the lab.
type State struct {
	// StateDir and Kubeconfig are where the lab keeps its state and the
	// admin kubeconfig.
	StateDir, Kubeconfig string
	// Processes lists every component with a PID file.
	Processes []Process
	// Nodes lists the worker nodes the apiserver knows, when it answers.
	Nodes []Node
	// APIError says why the apiserver could not be asked, if it could not.
	APIError string
	// Kubectl is the lab's kubectl when it was built (see Kubectl), else "".
	Kubectl string
}

// Process is one component process of the lab.
type Process struct {
	Name    string
	PID     int
	Running bool
}

// Node is one worker as the apiserver reports it.
type Node struct {
	Name    string
	Ready   bool
	PodCIDR string
}

// Running reports whether every recorded process runs and every node is Ready.
func (s State) Running() bool {
	if len(s.Processes) == 0 || s.APIError != "" || len(s.Nodes) == 0 {
		return false
	}
	for _, p := range s.Processes {
		if !p.Running {
			return false
		}
	}
	for _, n := range s.Nodes {
		if !n.Ready {
			return false
		}
	}
	return true
}

// Print writes the state with ✓/✗ marks.
func (s State) Print(w io.Writer) {
	mark := func(ok bool) string {
		if ok {
			return "✓"
		}
		return "✗"
	}
	if len(s.Processes) == 0 {
		fmt.Fprintf(w, "The lab is not running (state dir %s). Start it with: kubetutor lab up\n", s.StateDir)
		if s.Kubectl != "" {
			fmt.Fprintf(w, "kubectl:    %s\n", s.Kubectl)
		}
		return
	}
	for _, p := range s.Processes {
		fmt.Fprintf(w, " %s %-28s pid %d\n", mark(p.Running), p.Name, p.PID)
	}
	if s.APIError != "" {
		fmt.Fprintf(w, " ✗ apiserver: %s\n", s.APIError)
	}
	for _, n := range s.Nodes {
		ready := "Ready"
		if !n.Ready {
			ready = "NotReady"
		}
		fmt.Fprintf(w, " %s node %-23s %s %s\n", mark(n.Ready), n.Name, ready, n.PodCIDR)
	}
	fmt.Fprintf(w, "kubeconfig: %s\n", s.Kubeconfig)
	if s.Kubectl != "" {
		fmt.Fprintf(w, "kubectl:    %s\n", s.Kubectl)
	}
}

// Status reports which lab processes run and, when the apiserver answers,
// the nodes and their readiness. It needs no root.
func Status(ctx context.Context, o Options) (State, error) {
	o, err := o.complete()
	if err != nil {
		return State{}, err
	}
	l := layout{dir: o.StateDir}
	p := procs{l: l}
	s := State{StateDir: l.dir, Kubeconfig: l.adminKubeconfig()}
	s.Kubectl = builtKubectl(ctx, o)
	for _, n := range p.names() {
		b, _ := os.ReadFile(p.pidFile(n))
		rec, _ := parsePIDRecord(string(b))
		s.Processes = append(s.Processes, Process{Name: n, PID: rec.PID, Running: rec.PID > 0 && rec.alive()})
	}
	if len(s.Processes) == 0 {
		return s, nil
	}
	cs, err := newClient(l)
	if err != nil {
		s.APIError = err.Error()
		return s, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		s.APIError = err.Error()
		return s, nil
	}
	for i := range nodes.Items {
		n := &nodes.Items[i]
		s.Nodes = append(s.Nodes, Node{Name: n.Name, Ready: nodeReady(n), PodCIDR: n.Spec.PodCIDR})
	}
	return s, nil
}

// Leftovers lists everything of a lab that still exists on the machine:
// processes, lo addresses, routes, bridges, iptables chains, mounts,
// network namespaces, cgroups and the host-path link. After Down it must be
// empty; Down itself checks this.
func Leftovers(ctx context.Context, o Options) ([]string, error) {
	o, err := o.complete()
	if err != nil {
		return nil, err
	}
	l := layout{dir: o.StateDir}
	var out []string
	for _, pid := range labProcesses(l.dir, o.CacheDir) {
		out = append(out, fmt.Sprintf("process %d", pid))
	}
	if s, err := output(ctx, "ip", []string{"-4", "addr", "show", "dev", "lo"}); err == nil {
		for _, a := range labAddresses(9) {
			if strings.Contains(s, " "+a+"/32 ") {
				out = append(out, "lo address "+a)
			}
		}
	}
	if s, err := output(ctx, "ip", []string{"-4", "route", "show", "type", "blackhole"}); err == nil {
		for _, c := range blackholeCIDRs {
			if strings.Contains(s, c) {
				out = append(out, "blackhole route "+c)
			}
		}
	}
	for _, br := range labBridges() {
		out = append(out, "bridge "+br)
	}
	for _, ipt := range []string{"iptables", "ip6tables"} {
		for _, table := range []string{"filter", "nat", "mangle"} {
			rules, err := output(ctx, ipt, []string{"-w", "5", "-t", table, "-S"})
			if err != nil {
				continue
			}
			for _, c := range append(kubeChains(rules), labChains(rules)...) {
				out = append(out, fmt.Sprintf("%s chain %s/%s", ipt, table, c))
			}
		}
	}
	for _, m := range mountsUnder(l.dir) {
		out = append(out, "mount "+m)
	}
	if m, _ := filepath.Glob("/run/netns/cni-*"); len(m) > 0 {
		out = append(out, fmt.Sprintf("network namespaces %v", m))
	}
	for _, cg := range cgroupMounts() {
		m, _ := filepath.Glob(filepath.Join(cg, "lab-worker-*"))
		for _, d := range m {
			out = append(out, "cgroup "+d)
		}
	}
	if target, err := os.Readlink(hostPathPV); err == nil && strings.HasPrefix(target, l.dir) {
		out = append(out, "symlink "+hostPathPV)
	}
	return out, nil
}

// labChains lists the lab's own chains in `iptables -S` output.
func labChains(rules string) []string {
	var out []string
	for _, line := range strings.Split(rules, "\n") {
		if c, ok := strings.CutPrefix(line, "-N "); ok && strings.HasPrefix(c, "KUBETUTOR-LAB-") {
			out = append(out, strings.TrimSpace(c))
		}
	}
	return out
}

// labProcesses finds the lab's components and shims whether or not a PID
// file still names them: processes whose executable lies in the cache, and
// containerd processes (daemons, shims) whose command line mentions the
// state dir. A `tail -f .lab/logs/…` is not one of them.
func labProcesses(stateDir, cacheDir string) []int {
	ents, _ := os.ReadDir("/proc")
	self := os.Getpid()
	var out []int
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil || pid == self {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(b) == 0 {
			continue
		}
		exe, _ := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		ours := strings.HasPrefix(exe, cacheDir+"/")
		if strings.HasPrefix(filepath.Base(exe), "containerd") && strings.Contains(string(b), stateDir+"/") {
			ours = true
		}
		if ours {
			out = append(out, pid)
		}
	}
	return out
}

// builtKubectl is the path of the lab's kubectl when Kubectl built it,
// else "" (Status never builds it).
func builtKubectl(ctx context.Context, o Options) string {
	gov, err := goVersion(ctx)
	if err != nil {
		return ""
	}
	b, _, err := binDir(o, gov)
	if err != nil {
		return ""
	}
	dir := filepath.Join(filepath.Dir(b.dir), "kubectl")
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err != nil {
		return ""
	}
	return filepath.Join(dir, "kubectl")
}
