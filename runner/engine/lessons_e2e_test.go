//go:build e2e

package engine

// Every lesson on a real cluster, through the real binary:
// `kubetutor run LESSON --auto --lang ja --output json --progress`, exactly
// what a learner or an instructor runs. `make e2e` sets KUBECONFIG to the
// offline lab's .lab/kubeconfig and KUBETUTOR_BIN to bin/kubetutor (without
// it the test builds the binary). It runs in a fresh namespace, fails —
// never skips — when no cluster is reachable, and writes each step's
// measured duration as a markdown table (for the README) and the JSON
// report to $E2E_REPORT_DIR (default: the test's temp dir, logged).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/runner/kube"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

// report is the JSON the run command writes (the documented shape).
type report struct {
	Lesson string `json:"lesson"`
	Lang   string `json:"lang"`
	Passed bool   `json:"passed"`
	Steps  []struct {
		ID         string `json:"id"`
		Status     string `json:"status"`
		DurationMS int64  `json:"duration_ms"`
		Checks     []struct {
			Name       string `json:"name"`
			Status     string `json:"status"`
			Message    string `json:"message"`
			DurationMS int64  `json:"duration_ms"`
		} `json:"checks"`
	} `json:"steps"`
}

// TestLessonsE2E runs every built-in lesson, each in a namespace of its
// own and at the same time (a drain evicts only its own namespace's pods),
// through the real binary. For MySQL it also watches every pod of the
// lesson and requires that no container ever restarted: a clean deploy,
// a scale-up and the probe steps restart nothing.
func TestLessonsE2E(t *testing.T) {
	lang := os.Getenv("E2E_LANG")
	if lang == "" {
		lang = "ja"
	}
	eachLesson(t, func(t *testing.T, bin, kubeconfig string, l *lesson.Lesson) {
		runLessonE2E(t, bin, kubeconfig, lang, l)
	})
}

// eachLesson calls run for every built-in lesson in parallel subtests,
// with the binary under test (KUBETUTOR_BIN, or built here) and the lab's
// kubeconfig (KUBECONFIG).
func eachLesson(t *testing.T, run func(t *testing.T, bin, kubeconfig string, l *lesson.Lesson)) {
	t.Helper()
	kubeconfig := os.Getenv("KUBECONFIG")
	if kubeconfig == "" {
		t.Fatal("KUBECONFIG is not set: point it at a cluster (make lab-up writes .lab/kubeconfig)")
	}
	bin := os.Getenv("KUBETUTOR_BIN")
	if bin == "" {
		bin = filepath.Join(t.TempDir(), "kubetutor")
		build := exec.Command("go", "build", "-o", bin, "../../cmd/kubetutor")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build kubetutor: %v\n%s", err, out)
		}
	}
	all, probs, err := lesson.LoadAll(lessons.FS, "lessons", step.Kinds())
	if err != nil || len(probs) > 0 {
		t.Fatalf("load lessons: %v %v", err, probs)
	}
	for _, l := range all {
		t.Run(l.ID, func(t *testing.T) {
			t.Parallel()
			run(t, bin, kubeconfig, l)
		})
	}
}

func runLessonE2E(t *testing.T, bin, kubeconfig, lang string, l *lesson.Lesson) {
	ns := fmt.Sprintf("kubetutor-e2e-%s-%d", l.ID, time.Now().Unix())
	cluster := labNamespace(t, kubeconfig, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	restarts := watchRestarts(ctx, t, cluster, ns)
	cmd := exec.CommandContext(ctx, bin, "--kubeconfig", kubeconfig, "-n", ns,
		"run", l.ID, "--auto", "--lang", lang, "--output", "json", "--progress")
	cmd.Stderr = &prefixWriter{prefix: l.ID + ": ", w: os.Stdout} // progress, live in CI's log
	start := time.Now()
	out, runErr := cmd.Output()
	elapsed := time.Since(start)

	dir := os.Getenv("E2E_REPORT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var res report
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("run printed no JSON report (exit: %v): %v\n%s", runErr, err, out)
	}
	table := durationsTable(res, elapsed)
	for name, data := range map[string][]byte{l.ID + "-e2e.json": out, l.ID + "-durations.md": []byte(table)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("durations (also in %s):\n%s", filepath.Join(dir, l.ID+"-durations.md"), table)

	if res.Lesson != l.ID || res.Lang != lang {
		t.Errorf("report is for %s/%s, want %s/%s", res.Lesson, res.Lang, l.ID, lang)
	}
	steps := 0
	for _, s := range res.Steps {
		if s.ID == "preflight" || s.ID == "aftermath" {
			continue
		}
		steps++
		if s.Status != "passed" {
			t.Errorf("step %s: %s", s.ID, s.Status)
			for _, c := range s.Checks {
				if c.Status != "passed" {
					t.Errorf("  %s: %s: %s", c.Name, c.Status, c.Message)
				}
			}
		}
	}
	if steps != len(l.Spec.Steps) {
		t.Errorf("%d lesson steps in the report, want %d", steps, len(l.Spec.Steps))
	}
	if runErr != nil || !res.Passed {
		t.Fatalf("lesson failed (exit: %v)", runErr)
	}
	for c, n := range restarts() {
		t.Errorf("container %s restarted %d time(s) during the lesson", c, n)
	}
	nodes, err := cluster.Client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes.Items {
		if n.Annotations[step.CordonedByAnnotation] == ns+"/"+l.ID {
			t.Errorf("node %s left cordoned by the lesson", n.Name)
		}
	}
}

// watchRestarts watches the namespace's pods until ctx ends; the returned
// function reports every pod/container that restarted (max count seen).
func watchRestarts(ctx context.Context, t *testing.T, c *kube.Cluster, ns string) func() map[string]int32 {
	var mu sync.Mutex
	seen := map[string]int32{}
	w, err := c.Client.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("watch pods: %v", err)
	}
	go func() {
		defer w.Stop()
		for ev := range w.ResultChan() {
			p, ok := ev.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			mu.Lock()
			for _, cs := range p.Status.ContainerStatuses {
				if k := p.Name + "/" + cs.Name; cs.RestartCount > seen[k] {
					seen[k] = cs.RestartCount
				}
			}
			mu.Unlock()
		}
	}()
	return func() map[string]int32 {
		mu.Lock()
		defer mu.Unlock()
		out := map[string]int32{}
		for k, n := range seen {
			if n > 0 {
				out[k] = n
			}
		}
		return out
	}
}

// prefixWriter prefixes every line, so parallel lessons' progress can be
// told apart in the log.
type prefixWriter struct {
	prefix string
	w      io.Writer
	mu     sync.Mutex
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf[:i])
		p.buf = p.buf[i+1:]
	}
}

// durationsTable renders each step's measured duration as markdown.
func durationsTable(r report, whole time.Duration) string {
	var b strings.Builder
	b.WriteString("| step | status | duration |\n|---|---|---:|\n")
	var total time.Duration
	for _, s := range r.Steps {
		d := time.Duration(s.DurationMS) * time.Millisecond
		if s.ID != "preflight" && s.ID != "aftermath" {
			total += d
		}
		fmt.Fprintf(&b, "| %s | %s | %.1f s |\n", s.ID, s.Status, d.Seconds())
	}
	fmt.Fprintf(&b, "| **total (lesson steps)** | | **%.1f s** |\n", total.Seconds())
	fmt.Fprintf(&b, "| whole command (preflight, aftermath, start-up) | | %.1f s |\n", whole.Seconds())
	return b.String()
}

// labNamespace returns a cluster client in namespace ns of the lab (it
// fails unless the cluster answers) and deletes ns at the end.
func labNamespace(tb testing.TB, kubeconfig, ns string) *kube.Cluster {
	tb.Helper()
	flags := genericclioptions.NewConfigFlags(true)
	flags.KubeConfig, flags.Namespace = &kubeconfig, &ns
	c, err := kube.New(flags)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := c.Client.Discovery().ServerVersion(); err != nil {
		tb.Fatalf("no cluster reachable through %s: %v", kubeconfig, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = c.Client.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
	})
	return c
}
