package lab

import (
	"context"
	"fmt"
	"os"
	"strings"
)

// ownerFile names the state dir of the lab that runs on this machine. The
// lab's addresses, ports, bridges and cgroups are machine-wide, so only one
// lab can run at a time, from one state dir (one clone). /run is emptied
// at boot, when the lab's processes are gone too.
const ownerFile = "/run/kubetutor-lab.owner"

// claimMachine makes o.StateDir the owner of the machine's lab. A lab
// still running from another state dir is stopped (its state kept) when
// o.Replace is set, and is an error otherwise.
func claimMachine(ctx context.Context, o Options) error {
	b, err := os.ReadFile(ownerFile)
	if err == nil {
		other := strings.TrimSpace(string(b))
		switch {
		case other != o.StateDir && labRunning(other):
			if !o.Replace {
				return fmt.Errorf("another lab is running on this machine from %s: stop it first with `kubetutor lab down --state-dir %s`, run lab up with --replace, or use that one with KUBECONFIG=%s/kubeconfig", other, other, other)
			}
			fmt.Fprintf(o.Out, "Stopping the lab of %s (its state is kept)\n", other)
			prev := o
			prev.StateDir, prev.Replace = other, false
			if err := Down(ctx, prev, true); err != nil {
				return fmt.Errorf("stop the lab of %s: %w", other, err)
			}
		case other != o.StateDir:
			// Its processes were killed, not stopped (a session that ended,
			// a CI runner): its mounts, cgroups and network are still here.
			fmt.Fprintf(o.Out, "Cleaning up after the lab of %s, which was killed rather than stopped\n", other)
			prev := o
			prev.StateDir, prev.Replace = other, false
			if err := Down(ctx, prev, true); err != nil {
				fmt.Fprintf(o.Out, "  (not everything could be removed: %v)\n", err)
			}
		}
	}
	if !labRunning(o.StateDir) {
		// With no lab running, any lab-brN is stale: it keeps the pod CIDR of
		// the lab that made it, which the next controller-manager may give
		// to another node, and the CNI bridge plugin then refuses the node's
		// pods ("already has an IP address different from …"). CNI makes
		// the bridges again with the right addresses.
		for _, br := range labBridges() {
			_ = run(ctx, "ip", []string{"link", "del", br})
		}
		removeOrphanNetns()
	}
	return os.WriteFile(ownerFile, []byte(o.StateDir+"\n"), 0o644)
}

// machineOwner returns the state dir recorded as the machine's lab, if any.
func machineOwner() string {
	b, err := os.ReadFile(ownerFile)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// releaseMachine removes the owner record if stateDir holds it.
func releaseMachine(stateDir string) {
	if b, err := os.ReadFile(ownerFile); err == nil && strings.TrimSpace(string(b)) == stateDir {
		os.Remove(ownerFile)
	}
}

// labRunning reports whether any process recorded in stateDir is alive.
func labRunning(stateDir string) bool {
	p := procs{l: layout{dir: stateDir}}
	for _, n := range p.names() {
		if _, ok := p.running(n); ok {
			return true
		}
	}
	return false
}
