package lab

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Names of the iptables chains the lab owns.
const (
	guardChain   = "KUBETUTOR-LAB-GUARD" // mangle FORWARD: nothing forwarded leaves by the real interface
	forwardChain = "KUBETUTOR-LAB-FWD"   // filter FORWARD: pod traffic between the lab's bridges
)

// labAddresses are the /32 addresses the lab puts on lo.
func labAddresses(workers int) []string {
	out := []string{APIServerIP, DNSHostIP}
	for i := 1; i <= workers; i++ {
		out = append(out, nodeIP(i))
	}
	return out
}

// blackholeCIDRs are routed nowhere unless a more specific local route (a
// bridge, a lo address) exists, so no lab address can leave the machine.
var blackholeCIDRs = []string{LabCIDR, PodCIDR, ServiceCIDR}

// defaultRouteDevs returns the interfaces of the IPv4 and IPv6 default
// routes (the machine's real interfaces), without duplicates.
func defaultRouteDevs(ctx context.Context) []string {
	seen := map[string]bool{}
	var out []string
	for _, fam := range []string{"-4", "-6"} {
		s, err := output(ctx, "ip", []string{fam, "route", "show", "default"})
		if err != nil {
			continue
		}
		for _, dev := range parseRouteDevs(s) {
			if !seen[dev] {
				seen[dev] = true
				out = append(out, dev)
			}
		}
	}
	return out
}

// parseRouteDevs extracts the "dev X" words of `ip route` output.
func parseRouteDevs(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		for i := 0; i+1 < len(f); i++ {
			if f[i] == "dev" {
				out = append(out, f[i+1])
			}
		}
	}
	return out
}

// setupNetwork prepares the host: forwarding, bridge netfilter, lo
// addresses, blackhole routes, the FORWARD guard and the host-path
// provisioner's directory.
func setupNetwork(ctx context.Context, l layout, workers int) error {
	if _, err := os.Stat("/proc/sys/net/bridge/bridge-nf-call-iptables"); err != nil {
		_ = run(ctx, "modprobe", []string{"br_netfilter"})
	}
	for path, v := range map[string]string{
		"/proc/sys/net/ipv4/ip_forward":                 "1",
		"/proc/sys/net/bridge/bridge-nf-call-iptables":  "1",
		"/proc/sys/net/bridge/bridge-nf-call-ip6tables": "1",
	} {
		if err := os.WriteFile(path, []byte(v), 0o644); err != nil {
			return fmt.Errorf("set %s: %w", path, err)
		}
	}
	for _, a := range labAddresses(workers) {
		if err := run(ctx, "ip", []string{"addr", "replace", a + "/32", "dev", "lo"}); err != nil {
			return err
		}
	}
	for _, c := range blackholeCIDRs {
		if err := run(ctx, "ip", []string{"route", "replace", "blackhole", c}); err != nil {
			return err
		}
	}
	devs := defaultRouteDevs(ctx)
	for _, ipt := range []string{"iptables", "ip6tables"} {
		var rules [][]string
		for _, d := range devs {
			rules = append(rules, []string{"-o", d, "-j", "DROP"})
		}
		if err := ensureChain(ctx, ipt, "mangle", guardChain, rules); err != nil {
			return err
		}
	}
	if err := ensureChain(ctx, "iptables", "filter", forwardChain, [][]string{
		{"-s", PodCIDR, "-j", "ACCEPT"}, {"-d", PodCIDR, "-j", "ACCEPT"},
	}); err != nil {
		return err
	}
	return ensureHostPathLink(l)
}

// ensureChain (re)fills chain in table with rules and jumps to it from the
// top of FORWARD.
func ensureChain(ctx context.Context, ipt, table, chain string, rules [][]string) error {
	base := []string{"-w", "5", "-t", table}
	_ = run(ctx, ipt, append(base, "-N", chain)) // "already exists" is fine
	if err := run(ctx, ipt, append(base, "-F", chain)); err != nil {
		return err
	}
	for _, r := range rules {
		if err := run(ctx, ipt, append(append(base, "-A", chain), r...)); err != nil {
			return err
		}
	}
	if run(ctx, ipt, append(base, "-C", "FORWARD", "-j", chain)) != nil {
		return run(ctx, ipt, append(base, "-I", "FORWARD", "1", "-j", chain))
	}
	return nil
}

// removeChain unlinks and deletes chain; a missing chain is fine.
func removeChain(ctx context.Context, ipt, table, chain string) {
	base := []string{"-w", "5", "-t", table}
	for run(ctx, ipt, append(base, "-D", "FORWARD", "-j", chain)) == nil {
	}
	_ = run(ctx, ipt, append(base, "-F", chain))
	_ = run(ctx, ipt, append(base, "-X", chain))
}

// ensureHostPathLink points /tmp/hostpath_pv, where the host-path
// provisioner always writes, at the lab's state dir.
func ensureHostPathLink(l layout) error {
	if err := os.MkdirAll(l.pv(), 0o777); err != nil {
		return err
	}
	target, err := os.Readlink(hostPathPV)
	switch {
	case err == nil && target == l.pv():
		return nil
	case err == nil:
		os.Remove(hostPathPV) // a stale link of an earlier lab
	case !os.IsNotExist(err):
		if _, serr := os.Lstat(hostPathPV); serr == nil {
			return fmt.Errorf("%s exists and is not the lab's symlink: move it away and run lab up again", hostPathPV)
		}
	}
	return os.Symlink(l.pv(), hostPathPV)
}

// teardownNetwork removes everything setupNetwork and the components
// created: addresses, routes, bridges, iptables chains, the host-path link.
// Sysctls stay as they are (other software may rely on forwarding).
func teardownNetwork(ctx context.Context, l layout, workers int, proxyBin string) {
	for _, a := range labAddresses(workers) {
		_ = run(ctx, "ip", []string{"addr", "del", a + "/32", "dev", "lo"})
	}
	for _, c := range blackholeCIDRs {
		_ = run(ctx, "ip", []string{"route", "del", "blackhole", c})
	}
	for _, br := range labBridges() {
		_ = run(ctx, "ip", []string{"link", "del", br})
	}
	for _, ipt := range []string{"iptables", "ip6tables"} {
		removeChain(ctx, ipt, "mangle", guardChain)
	}
	removeChain(ctx, "iptables", "filter", forwardChain)
	if proxyBin != "" {
		_ = run(ctx, proxyBin, []string{"--cleanup", "--proxy-mode=iptables"})
	}
	removeKubeChains(ctx)
	if target, err := os.Readlink(hostPathPV); err == nil && target == l.pv() {
		os.Remove(hostPathPV)
	}
}

// labBridges lists the lab's bridges that exist now.
func labBridges() []string {
	m, _ := filepath.Glob("/sys/class/net/lab-br*")
	var out []string
	for _, p := range m {
		out = append(out, filepath.Base(p))
	}
	return out
}

// kubeChains lists the KUBE-* chains of `iptables -S` output, which the
// kubelet and kube-proxy create.
func kubeChains(rules string) []string {
	var out []string
	for _, line := range strings.Split(rules, "\n") {
		if c, ok := strings.CutPrefix(line, "-N "); ok && strings.HasPrefix(c, "KUBE-") {
			out = append(out, strings.TrimSpace(c))
		}
	}
	return out
}

// removeKubeChains deletes what remains of the kubelet's and kube-proxy's
// chains after `kube-proxy --cleanup`: jumps first, then the chains.
func removeKubeChains(ctx context.Context) {
	for _, ipt := range []string{"iptables", "ip6tables"} {
		for _, table := range []string{"filter", "nat", "mangle"} {
			rules, err := output(ctx, ipt, []string{"-w", "5", "-t", table, "-S"})
			if err != nil {
				continue
			}
			chains := kubeChains(rules)
			if len(chains) == 0 {
				continue
			}
			for _, line := range strings.Split(rules, "\n") {
				// Rules inside KUBE-* chains go with their chains.
				if !strings.HasPrefix(line, "-A ") || strings.HasPrefix(line, "-A KUBE-") || !strings.Contains(line, "KUBE-") {
					continue
				}
				args := append([]string{"-w", "5", "-t", table, "-D"}, strings.Fields(strings.TrimPrefix(line, "-A "))...)
				_ = run(ctx, ipt, unquote(args))
			}
			for _, c := range chains {
				_ = run(ctx, ipt, []string{"-w", "5", "-t", table, "-F", c})
			}
			for _, c := range chains {
				_ = run(ctx, ipt, []string{"-w", "5", "-t", table, "-X", c})
			}
		}
	}
}

// unquote strips the double quotes iptables -S puts around comments.
func unquote(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "\"") {
			parts := []string{a}
			for !strings.HasSuffix(a, "\"") || len(a) == 1 {
				i++
				if i >= len(args) {
					break
				}
				a = args[i]
				parts = append(parts, a)
			}
			a = strings.Trim(strings.Join(parts, " "), "\"")
		}
		out = append(out, a)
	}
	return out
}
