//go:build e2e

package chaos

// The harness on a real cluster (the offline lab), through the real
// binary. `make e2e` (in `make test`) runs TestChaosE2E; `make chaos` runs
// TestChaosFull. Both need KUBECONFIG (make sets the lab's) and take
// KUBETUTOR_BIN (without it they build the binary); CHAOS_SEED replays a
// run, CHAOS_REPORT_DIR keeps each start's output and the table, in a
// directory named after the test (default: a directory under $TMPDIR,
// logged). They fail, never skip, without a
// reachable cluster.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/i18n"
	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/runner/l10n"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

// TestChaosE2E is the short version: `run mysql --auto` killed at a random
// moment while the StatefulSet starts, then the TUI killed (SIGKILL) right
// when the drain cordons mysql-2's node, then the TUI again: it must offer
// to resume at the drain step (not before), having uncordoned the node and
// said so, and finish the lesson with nothing left cordoned or behind.
func TestChaosE2E(t *testing.T) {
	rep := runChaos(t, func(steps []string) Plan {
		return ShortPlan(seed(t), index(t, steps, "apply-statefulset"), index(t, steps, "drain-node"))
	})
	if len(rep.Rounds) != 3 {
		t.Fatalf("%d starts, want 3 (run, TUI killed during the drain, TUI)", len(rep.Rounds))
	}
	drain, last := rep.Rounds[1], rep.Rounds[2]
	if !drain.Killed || drain.Trigger != triggerDrain {
		t.Errorf("the second start (TUI) was not killed during the drain: %+v", drain)
	}
	if drain.Step >= 0 && rep.Steps[drain.Step] != "drain-node" {
		t.Errorf("the TUI showed step %s at the drain kill, want drain-node", rep.step(drain.Step))
	}
	drainAt := index(t, rep.Steps, "drain-node")
	if !last.Prompted || last.Resumed < drainAt {
		t.Errorf("after the kill during the drain the TUI %s; want the resume prompt at the drain step or later", rep.opening(last))
	}
	if len(last.Uncordoned) == 0 && last.Resumed == drainAt {
		t.Errorf("the TUI resumed at the drain step but did not say it uncordoned the node the kill left cordoned")
	}
}

// TestChaosFull is `make chaos`: CHAOS_KILLS kills (default 10), half in
// the TUI and half in `run --auto`, one of each mode right when the drain
// cordons, the others at a random step and a random moment up to
// CHAOS_MAX seconds (default 10) into it.
func TestChaosFull(t *testing.T) {
	n := envInt(t, "CHAOS_KILLS", 10)
	maxAfter := time.Duration(envInt(t, "CHAOS_MAX", 10)) * time.Second
	runChaos(t, func(steps []string) Plan {
		return NewPlan(seed(t), n, len(steps), index(t, steps, "drain-node"), maxAfter)
	})
}

// index is the index of step id.
func index(t *testing.T, steps []string, id string) int {
	i := slices.Index(steps, id)
	if i < 0 {
		t.Fatalf("the mysql lesson has no step %s (steps: %v)", id, steps)
	}
	return i
}

func seed(t *testing.T) uint64 {
	if s := os.Getenv("CHAOS_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("CHAOS_SEED=%q: %v", s, err)
		}
		return v
	}
	return uint64(time.Now().UnixNano())
}

func envInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 {
		t.Fatalf("%s=%q: want a whole number ≥ 0", name, s)
	}
	return v
}

// runChaos runs plan on the MySQL lesson in a fresh namespace, logs the
// table and the figures (and writes them to the report directory), and
// fails the test for each broken requirement.
func runChaos(t *testing.T, planFor func(steps []string) Plan) *Report {
	kubeconfig := os.Getenv("KUBECONFIG")
	if kubeconfig == "" {
		t.Fatal("KUBECONFIG is not set: start the lab (kubetutor lab up) and export KUBECONFIG=.lab/kubeconfig")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatalf("tmux is required (make deps installs it): %v", err)
	}
	bin := os.Getenv("KUBETUTOR_BIN")
	if bin == "" {
		bin = filepath.Join(t.TempDir(), "kubetutor")
		if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/kubetutor").CombinedOutput(); err != nil {
			t.Fatalf("build kubetutor: %v\n%s", err, out)
		}
	}
	l, probs, err := lesson.Load(lessons.FS, "lessons", "mysql", step.Kinds())
	if err != nil || len(probs) > 0 {
		t.Fatalf("load the mysql lesson: %v %v", err, probs)
	}
	cat, err := l10n.LoadCatalog(i18n.FS)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range l.Spec.Steps {
		ids = append(ids, s.ID)
	}
	plan := planFor(ids)
	const lang = "en"
	ns := fmt.Sprintf("chaos-%d", time.Now().UnixNano()%1_000_000_000)
	logDir := os.Getenv("CHAOS_REPORT_DIR")
	if logDir == "" {
		logDir, err = os.MkdirTemp("", "kubetutor-chaos-")
		if err != nil {
			t.Fatal(err)
		}
	}
	logDir = filepath.Join(logDir, t.Name())
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	h, err := New(Config{
		Bin: bin, Kubeconfig: kubeconfig, Namespace: ns, Lesson: l, Lang: lang,
		Texts: NewTexts(cat.Translator(lang), ids), StateDir: t.TempDir(), LogDir: logDir, Logf: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = h.Client().CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
	})
	t.Logf("seed %d (CHAOS_SEED=%d replays it), %d kills planned, namespace %s, each start's output in %s",
		plan.Seed, plan.Seed, plan.Kills(), ns, logDir)
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(len(plan.Starts))*10*time.Minute)
	defer cancel()
	rep := h.Run(ctx, plan)
	out := rep.Table() + "\n" + rep.Figures()
	t.Logf("\n%s", out)
	if err := os.WriteFile(filepath.Join(logDir, "chaos.md"), []byte(out), 0o644); err != nil {
		t.Error(err)
	}
	for _, p := range rep.Problems {
		t.Error(p)
	}
	if !rep.Finished {
		t.Fatal("the lesson did not finish")
	}
	return rep
}
