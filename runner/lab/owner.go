package lab

import (
	"fmt"
	"os"
	"strings"
)

// ownerFile names the state dir of the lab that runs on this machine. The
// lab's addresses, ports, bridges and cgroups are machine-wide, so only one
// lab can run at a time, from one state dir (one clone). /run is emptied
// at boot, when the lab's processes are gone too.
const ownerFile = "/run/kubetutor-lab.owner"

// claimMachine makes stateDir the owner of the machine's lab, unless a lab
// from another state dir is still running.
func claimMachine(stateDir string) error {
	b, err := os.ReadFile(ownerFile)
	if err == nil {
		other := strings.TrimSpace(string(b))
		if other != stateDir && labRunning(other) {
			return fmt.Errorf("another lab is running on this machine from %s: stop it first with `kubetutor lab down --state-dir %s` (or use that one with KUBECONFIG=%s/kubeconfig)", other, other, other)
		}
	}
	return os.WriteFile(ownerFile, []byte(stateDir+"\n"), 0o644)
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
