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
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubetutor/kubetutor/runner/lab"
	"github.com/kubetutor/kubetutor/runner/termtest"
)

// harness drives the real binary in tmux against the lab for one lesson in
// a fresh namespace: the TUI in one window, the learner's shell (with the
// lab's kubectl) in a second one.
type harness struct {
	t     *testing.T
	ctx   context.Context
	cs    *kubernetes.Clientset
	ns    string
	state string // XDG_STATE_HOME: where progress is kept
	cache string // XDG_CACHE_HOME: where the commands' manifests are
	env   []string
	cmd   string
	// progress matches the status bar's "step N/TOTAL" in the lesson's
	// language; the status bar is the last match on a screen.
	progress *regexp.Regexp
	// copied is the last command the copy key put in the clipboard, typed
	// counts the commands typed in the shell.
	copied string
	typed  int
	shell  *termtest.Session
	phase  time.Time
}

// newHarness checks the lab answers and its kubectl is on the PATH, builds
// the binary unless KUBETUTOR_BIN names one, and prepares a namespace
// (deleted at the end) for `kubetutor --lang LANG open LESSON`. progress is
// what the status bar writes before "N/TOTAL" in that language ("step ").
func newHarness(t *testing.T, lesson, lang, progress string, total int) *harness {
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
	return &harness{
		t: t, ctx: context.Background(), cs: cs, ns: ns, state: state, cache: cache,
		env:      []string{"KUBECONFIG=" + kubeconfig, "XDG_STATE_HOME=" + state, "XDG_CACHE_HOME=" + cache, "TERM=xterm-256color", "LANG=C.UTF-8"},
		cmd:      fmt.Sprintf("%s --lang %s -n %s open %s", bin, lang, ns, lesson),
		progress: regexp.MustCompile(regexp.QuoteMeta(progress) + `(\d+)/` + strconv.Itoa(total)),
		phase:    time.Now(),
	}
}

// open starts the TUI (and a fresh shell window beside it).
func (h *harness) open(name string) *termtest.Session {
	s, err := termtest.Start(h.ctx, name+fmt.Sprint(os.Getpid()), 120, 40, h.env, h.cmd)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { s.Close() })
	h.shell, err = s.Window(h.ctx, "shell", append(h.env, "PATH="+os.Getenv("PATH"), "PS1=$ "), "bash --norc --noprofile")
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

// wait waits until every one of texts is on the screen.
func (h *harness) wait(s *termtest.Session, d time.Duration, texts ...string) string {
	h.t.Helper()
	screen, err := s.WaitFor(h.ctx, d, texts...)
	if err != nil {
		h.t.Fatal(err)
	}
	return screen
}

// send types keys (tmux key names or text).
func (h *harness) send(s *termtest.Session, keys ...string) {
	h.t.Helper()
	if err := s.Send(h.ctx, keys...); err != nil {
		h.t.Fatal(err)
	}
}

// done returns the last step done according to the status bar of screen, 0
// when it shows none.
func (h *harness) done(screen string) int {
	m := h.progress.FindAllStringSubmatch(screen, -1)
	if len(m) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(m[len(m)-1][1])
	return n
}

// reach waits until the status bar says step n (or a later one) is done: a
// step that only watches unlocks by itself, often before a screen shows the
// step before it done.
func (h *harness) reach(s *termtest.Session, d time.Duration, n int) string {
	h.t.Helper()
	screen, err := s.WaitUntil(h.ctx, d, func(screen string) bool { return h.done(screen) >= n })
	if err != nil {
		h.t.Fatalf("step %d was not done within %s: %v", n, d, err)
	}
	return screen
}

// lap logs the time since the last lap.
func (h *harness) lap(what string) {
	h.t.Helper()
	h.t.Logf("%-44s %s", what, time.Since(h.phase).Round(100*time.Millisecond))
	h.phase = time.Now()
}

// byHand copies the current step's command with c and types it in the
// shell window; it returns the command once it has exited with 0. copiedMsg
// is the TUI's confirmation in the lesson's language.
func (h *harness) byHand(s *termtest.Session, copiedMsg, want string) string {
	h.t.Helper()
	h.send(s, "c")
	h.wait(s, 10*time.Second, copiedMsg)
	deadline := time.Now().Add(10 * time.Second)
	var clip string
	for {
		var err error
		clip, err = s.Clipboard(h.ctx)
		if err == nil && clip != h.copied && strings.HasPrefix(clip, "kubectl -n "+h.ns+" ") {
			break
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("the copy key put nothing new in the clipboard: %q %v", clip, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	h.copied = clip
	if !strings.Contains(clip, want) {
		h.t.Fatalf("copied %q, want a command with %q", clip, want)
	}
	h.typed++
	if err := h.shell.Type(h.ctx, clip); err != nil {
		h.t.Fatal(err)
	}
	if err := h.shell.Type(h.ctx, fmt.Sprintf(`echo "[typed %d: $?]"`, h.typed)); err != nil {
		h.t.Fatal(err)
	}
	h.wait(h.shell, 3*time.Minute, fmt.Sprintf("[typed %d: 0]", h.typed))
	return clip
}

// cordoned lists the nodes marked unschedulable.
func (h *harness) cordoned() []string {
	nodes, err := h.cs.CoreV1().Nodes().List(h.ctx, metav1.ListOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, n := range nodes.Items {
		if n.Spec.Unschedulable {
			out = append(out, n.Name)
		}
	}
	return out
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
