//go:build e2e

package tui

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/runner/termtest"
)

// TestTUIE2E drives the real binary in tmux against a real cluster (the
// offline lab): the MySQL lesson in a fresh namespace. Three steps are done
// by hand — the TUI's c copies the step's command (OSC 52, into tmux's
// buffer) and the test types it in a second tmux window, a shell with the
// lab's kubectl — and the TUI unlocks each without Enter: the ConfigMap's
// apply, the broken readiness probe (102 leaves the server-id pane), the
// drain. On the drain, Enter is pressed once the typed drain returned and
// before mysql-2 is back: the TUI says the node is already drained and no
// second node is cordoned. Between them: a skip to step 3 that catches up
// on step 2, a quit while the StatefulSet step runs, a restart that
// resumes, reads spreading over 100/101/102, the probe restored by Enter.
// At the end SIGTERM while the hand-drained node is still cordoned: the
// TUI, which took the cordon over, uncordons it and saves its progress.
// It fails, never skips, without a reachable cluster.
func TestTUIE2E(t *testing.T) {
	h := newHarness(t, "mysql", "en", "step ", 15)
	ns, wait, send, lap := h.ns, h.wait, h.send, h.lap
	byHand := func(s *termtest.Session, want string) string {
		t.Helper()
		return h.byHand(s, "Copied 1 line(s)", want)
	}
	cache, state, cordoned, ctx, cs := h.cache, h.state, h.cordoned, h.ctx, h.cs
	open := h.open

	// First run: step 1 by hand, step 2 caught up on by a skip, then quit
	// while the StatefulSet step runs.
	s := open("tui1")
	wait(s, 30*time.Second, " / "+ns, "Step 1/15", "Enter runs it", "$ kubectl -n "+ns+" apply -f "+cache, "Expected: ConfigMap mysql exists")
	lap("opened, step 1 watched")
	byHand(s, " apply -f "+cache)
	wait(s, time.Minute, "Step 1 done: the cluster reached its state", "▶ Step 2/15", "step 1/15")
	lap("step 1 typed: unlocked without Enter")
	send(s, "s")
	wait(s, 10*time.Second, "Skip to a step")
	send(s, "Enter")
	wait(s, 30*time.Second, "catching up to step 3")
	wait(s, time.Minute, "step 2/15", "▶ Step 3/15")
	lap("skip to step 3: services caught up")
	send(s, "Enter")
	wait(s, time.Minute, "Waiting for: mysql-0, mysql-1, mysql-2 Ready", "mysql-0")
	send(s, "q")
	wait(s, 10*time.Second, "Step 3 is still running. Stop it and quit?")
	send(s, "y")
	wait(s, 2*time.Minute, "[exited] 0")
	s.Close()
	lap("quit while step 3 ran")
	if _, err := os.Stat(filepath.Join(state, "kubetutor", "progress", "mysql")); err != nil {
		t.Fatalf("no progress stored: %v", err)
	}

	// Restart: resume at step 3.
	s = open("tui2")
	wait(s, 30*time.Second, "Resume at step 3/15")
	send(s, "y")
	wait(s, time.Minute, "▶ Step 3/15", "step 2/15")
	lap("resumed at step 3")
	send(s, "Enter")
	// Step 4 only watches (replication running): armed, it unlocks by itself
	// as soon as the cluster shows it, often before a screen shows step 3.
	h.reach(s, 5*time.Minute, 3)
	lap("statefulset ready")
	for n := 4; n <= 6; n++ {
		if screen, _ := s.Screen(ctx); h.done(screen) < n {
			send(s, "Enter")
			h.reach(s, 4*time.Minute, n)
		}
	}
	wait(s, time.Minute, "100 ok", "101 ok", "102 ok")
	lap("replication, write, reads over 100/101/102")

	// Break the probe by hand: 102 leaves, the step unlocks by itself.
	wait(s, 30*time.Second, "$ kubectl -n "+ns+" exec mysql-2 -c mysql -- mv /usr/bin/mysql /usr/bin/mysql.off")
	byHand(s, " exec mysql-2 -c mysql -- mv /usr/bin/mysql /usr/bin/mysql.off")
	wait(s, 4*time.Minute, "step 7/15", "▶ Step 8/15")
	shown := wait(s, time.Minute, "102 gone", "100 ok", "101 ok")
	lap("step 7 typed: probe broken, unlocked")
	if !strings.Contains(shown, "mysql-2 1/2") {
		t.Errorf("mysql-2 is not shown 1/2 ready in the pods pane:\n%s", shown)
	}
	send(s, "Enter")
	wait(s, 4*time.Minute, "step 8/15", "Step 9/15")
	wait(s, time.Minute, "102 ok")
	lap("probe restored by Enter, 102 back")
	send(s, "Enter")
	wait(s, 5*time.Minute, "step 9/15", "▶ Step 10/15")
	lap("mysql-2 deleted and back")

	// Drain by hand; Enter as soon as kubectl drain returned, before
	// mysql-2 is Ready elsewhere: the tutor drains no second node.
	if c := cordoned(); len(c) > 0 {
		t.Fatalf("nodes cordoned before the drain: %v", c)
	}
	wait(s, 30*time.Second, "$ kubectl -n "+ns+" drain ", "--pod-selector", "kubectl drain evicts the pods labelled app=mysql")
	drain := byHand(s, " --ignore-daemonsets --delete-emptydir-data --force --pod-selector app=mysql")
	send(s, "Enter")
	node := strings.Fields(strings.SplitN(drain, " drain ", 2)[1])[0]
	wait(s, time.Minute, "Not done again: node "+node+" is already drained")
	wait(s, 5*time.Minute, "step 10/15", "▶ Step 11/15")
	lap("step 10 typed, Enter: not repeated")
	if c := cordoned(); strings.Join(c, ",") != node {
		t.Fatalf("after a drain by hand of %s and Enter, the cordoned nodes are %v", node, c)
	}
	n, err := cs.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if err != nil || n.Annotations["kubetutor.io/cordoned-by"] != ns+"/mysql" {
		t.Errorf("the hand-made cordon of %s was not taken over: %v %v", node, n.Annotations, err)
	}

	// SIGTERM with the adopted cordon in place: the TUI uncordons it as one
	// of its own, and saves its progress.
	locks, _ := filepath.Glob(filepath.Join(state, "kubetutor", "progress", "mysql", "*", ns+".json.lock"))
	if len(locks) != 1 {
		t.Fatalf("lock files %v", locks)
	}
	raw, err := os.ReadFile(locks[0])
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatalf("lock file %s: %q", locks[0], raw)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM %d: %v", pid, err)
	}
	wait(s, 2*time.Minute, "[exited] 0")
	if c := cordoned(); len(c) > 0 {
		t.Errorf("nodes left cordoned after SIGTERM: %v", c)
	}
	lap("SIGTERM: the adopted cordon undone")
	files, _ := filepath.Glob(filepath.Join(state, "kubetutor", "progress", "mysql", "*", ns+".json"))
	if len(files) != 1 {
		t.Fatalf("progress files %v", files)
	}
	prog, _ := os.ReadFile(files[0])
	if !strings.Contains(string(prog), `"drain-node"`) || strings.Contains(string(prog), `"uncordon-node"`) {
		t.Errorf("progress after SIGTERM should hold drain-node, not uncordon-node:\n%s", prog)
	}
}
