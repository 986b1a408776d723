//go:build e2e

package tui

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubetutor/kubetutor/runner/lab"
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
	labKubectl(t)
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
	// A short cache path keeps the apply commands on one line at 120 columns.
	cache, err := os.MkdirTemp("", "kt-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		os.RemoveAll(cache)
		_ = cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
		t.Logf("namespace %s deleted; whole test %s", ns, time.Since(start).Round(time.Second))
	})

	ctx := context.Background()
	env := []string{"KUBECONFIG=" + kubeconfig, "XDG_STATE_HOME=" + state, "XDG_CACHE_HOME=" + cache, "TERM=xterm-256color", "LANG=C.UTF-8"}
	command := fmt.Sprintf("%s --lang en -n %s open mysql", bin, ns)
	var shell *termtest.Session
	open := func(name string) *termtest.Session {
		s, err := termtest.Start(ctx, name+fmt.Sprint(os.Getpid()), 120, 40, env, command)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		// The learner's second terminal: a shell with the lab's kubectl.
		shell, err = s.Window(ctx, "shell", append(env, "PATH="+os.Getenv("PATH"), "PS1=$ "), "bash --norc --noprofile")
		if err != nil {
			t.Fatal(err)
		}
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
	screen := func(s *termtest.Session) string {
		t.Helper()
		text, err := s.Screen(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return text
	}
	// reach waits until the status bar says step n (or a later one) is done.
	reach := func(s *termtest.Session, d time.Duration, n int) {
		t.Helper()
		deadline := time.Now().Add(d)
		for {
			text := screen(s)
			if done(text) >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("step %d/15 was not done within %s; last screen:\n%s", n, d, text)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	phase := time.Now()
	lap := func(what string) {
		t.Logf("%-44s %s", what, time.Since(phase).Round(100*time.Millisecond))
		phase = time.Now()
	}
	// byHand copies the current step's command with c and types it in the
	// shell window; it returns the command once it has exited with 0.
	copied, typed := "", 0
	byHand := func(s *termtest.Session, want string) string {
		t.Helper()
		send(s, "c")
		wait(s, 10*time.Second, "Copied 1 line(s)")
		deadline := time.Now().Add(10 * time.Second)
		var clip string
		for {
			clip, err = s.Clipboard(ctx)
			if err == nil && clip != copied && strings.HasPrefix(clip, "kubectl -n "+ns+" ") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the copy key put nothing new in the clipboard: %q %v", clip, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		copied = clip
		if !strings.Contains(clip, want) {
			t.Fatalf("copied %q, want a command with %q", clip, want)
		}
		typed++
		if err := shell.Type(ctx, clip); err != nil {
			t.Fatal(err)
		}
		if err := shell.Type(ctx, fmt.Sprintf(`echo "[typed %d: $?]"`, typed)); err != nil {
			t.Fatal(err)
		}
		wait(shell, 3*time.Minute, fmt.Sprintf("[typed %d: 0]", typed))
		return clip
	}
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
	reach(s, 5*time.Minute, 3)
	lap("statefulset ready")
	for n := 4; n <= 6; n++ {
		if done(screen(s)) < n {
			send(s, "Enter")
			reach(s, 4*time.Minute, n)
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

// labKubectl fails unless the kubectl on the PATH is the lab's version
// (make e2e puts `kubetutor lab kubectl` first on the PATH): the commands
// typed here never depend on whatever kubectl a machine has.
func labKubectl(t *testing.T) {
	t.Helper()
	out, err := exec.Command("kubectl", "version", "--client", "-o", "json").Output()
	var v struct {
		ClientVersion struct{ GitVersion string } `json:"clientVersion"`
	}
	if err != nil || json.Unmarshal(out, &v) != nil || v.ClientVersion.GitVersion != lab.KubernetesVersion {
		t.Fatalf("kubectl on the PATH is %q, not the lab's %s: run through make e2e, or put the folder of `kubetutor lab kubectl` first on the PATH (%v)",
			v.ClientVersion.GitVersion, lab.KubernetesVersion, err)
	}
}

// statusStep finds the status bar's "step N/15": the last step done.
var statusStep = regexp.MustCompile(`step (\d+)/15`)

// done returns the last step done according to the status bar of screen, 0
// when it shows none.
func done(screen string) int {
	m := statusStep.FindAllStringSubmatch(screen, -1)
	if len(m) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(m[len(m)-1][1])
	return n
}
