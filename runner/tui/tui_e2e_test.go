//go:build e2e

package tui

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubetutor/kubetutor/runner/termtest"
)

// TestTUIE2E drives the real binary in tmux against a real cluster (the
// offline lab): the MySQL lesson in a fresh namespace, a skip to step 3
// that catches up on steps 1 and 2, a quit while the StatefulSet step
// runs, a restart that resumes after re-checking, reads spreading over
// 100/101/102, the readiness probe broken (102 leaves the server-id pane)
// and restored (102 comes back), then SIGTERM during a drain (no node
// left cordoned, progress saved).
// It fails, never skips, without a reachable cluster.
func TestTUIE2E(t *testing.T) {
	start := time.Now()
	kubeconfig := os.Getenv("KUBECONFIG")
	if kubeconfig == "" {
		t.Fatal("KUBECONFIG is not set: start the lab (kubetutor lab up) and export KUBECONFIG=.lab/kubeconfig")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatalf("read %s: %v", kubeconfig, err)
	}
	cfg.Timeout = 10 * time.Second
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.Discovery().ServerVersion(); err != nil {
		t.Fatalf("the cluster of %s does not answer: %v", kubeconfig, err)
	}
	bin := os.Getenv("KUBETUTOR_BIN")
	if bin == "" {
		bin = filepath.Join(t.TempDir(), "kubetutor")
		out, err := exec.Command("go", "build", "-o", bin, "../../cmd/kubetutor").CombinedOutput()
		if err != nil {
			t.Fatalf("build: %v\n%s", err, out)
		}
	}
	ns := fmt.Sprintf("tui-e2e-%d", time.Now().UnixNano()%1_000_000)
	state := t.TempDir()
	t.Cleanup(func() {
		_ = cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
		t.Logf("namespace %s deleted; whole test %s", ns, time.Since(start).Round(time.Second))
	})

	ctx := context.Background()
	env := []string{"KUBECONFIG=" + kubeconfig, "XDG_STATE_HOME=" + state, "TERM=xterm-256color", "LANG=C.UTF-8"}
	command := fmt.Sprintf("%s --lang en -n %s open mysql", bin, ns)
	open := func(name string) *termtest.Session {
		s, err := termtest.Start(ctx, name+fmt.Sprint(os.Getpid()), 120, 40, env, command)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	wait := func(s *termtest.Session, d time.Duration, texts ...string) string {
		t.Helper()
		screen, err := s.WaitFor(ctx, d, texts...)
		if err != nil {
			t.Fatal(err)
		}
		return screen
	}
	send := func(s *termtest.Session, keys ...string) {
		t.Helper()
		if err := s.Send(ctx, keys...); err != nil {
			t.Fatal(err)
		}
	}
	phase := time.Now()
	lap := func(what string) {
		t.Logf("%-40s %s", what, time.Since(phase).Round(100*time.Millisecond))
		phase = time.Now()
	}

	// First run: the deploy steps, then quit while the StatefulSet step runs.
	s := open("tui1")
	wait(s, 30*time.Second, " / "+ns, "Step 1/15", "Enter runs it", "ConfigMap mysql")
	lap("opened")
	// Skip to step 3: steps 1 and 2 are caught up on (their checks fail
	// at first, so their actions run), shown as they go.
	send(s, "s")
	wait(s, 10*time.Second, "Skip to a step")
	send(s, "Down")
	send(s, "Enter")
	wait(s, 30*time.Second, "catching up to step 3")
	wait(s, time.Minute, "step 2/15", "▶ Step 3/15")
	lap("skip to step 3: configmap, services")
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

	// Restart: resume at step 3 after re-checking steps 1 and 2.
	s = open("tui2")
	wait(s, 30*time.Second, "Resume at step 3/15")
	send(s, "y")
	wait(s, time.Minute, "▶ Step 3/15", "step 2/15")
	lap("resumed at step 3")
	send(s, "Enter")
	wait(s, 5*time.Minute, "step 3/15", "Step 4/15")
	lap("statefulset ready")
	for n := 4; n <= 6; n++ {
		send(s, "Enter")
		wait(s, 4*time.Minute, fmt.Sprintf("step %d/15", n), fmt.Sprintf("Step %d/15", n+1))
	}
	wait(s, time.Minute, "100 ok", "101 ok", "102 ok")
	lap("replication, write, reads over 100/101/102")

	// Break the probe: 102 leaves; restore it: 102 comes back.
	send(s, "Enter")
	wait(s, 4*time.Minute, "step 7/15", "Step 8/15")
	screen := wait(s, time.Minute, "102 gone", "100 ok", "101 ok")
	lap("probe broken, 102 gone")
	if !strings.Contains(screen, "mysql-2 1/2") {
		t.Errorf("mysql-2 is not shown 1/2 ready in the pods pane:\n%s", screen)
	}
	send(s, "Enter")
	wait(s, 4*time.Minute, "step 8/15", "Step 9/15")
	wait(s, time.Minute, "102 ok")
	lap("probe restored, 102 back")

	// Delete mysql-2, then drain its node and send SIGTERM while the drain
	// runs: the TUI cancels the step, uncordons and saves, like a
	// confirmed quit.
	send(s, "Enter")
	wait(s, 5*time.Minute, "step 9/15", "Step 10/15")
	lap("mysql-2 deleted and back")
	send(s, "Enter")
	wait(s, time.Minute, "⟳ Step 10/15")
	cordoned := func() []string {
		nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, n := range nodes.Items {
			if n.Spec.Unschedulable {
				out = append(out, n.Name)
			}
		}
		return out
	}
	deadline := time.Now().Add(time.Minute)
	for len(cordoned()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the drain step cordoned no node within a minute")
		}
		time.Sleep(200 * time.Millisecond)
	}
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
	lap("SIGTERM during the drain, uncordoned")
	files, _ := filepath.Glob(filepath.Join(state, "kubetutor", "progress", "mysql", "*", ns+".json"))
	if len(files) != 1 {
		t.Fatalf("progress files %v", files)
	}
	prog, _ := os.ReadFile(files[0])
	if !strings.Contains(string(prog), `"delete-pod"`) || strings.Contains(string(prog), `"drain-node"`) {
		t.Errorf("progress after SIGTERM should hold delete-pod, not drain-node:\n%s", prog)
	}
}
