//go:build e2e

package engine

// The whole MySQL lesson on a real cluster, through the real binary:
// `kubetutor run mysql --auto --lang ja --output json --progress`, exactly
// what a learner or an instructor runs. `make e2e` sets KUBECONFIG to the
// offline lab's .lab/kubeconfig and KUBETUTOR_BIN to bin/kubetutor (without
// it the test builds the binary). It runs in a fresh namespace, fails —
// never skips — when no cluster is reachable, and writes each step's
// measured duration as a markdown table (for the README) and the JSON
// report to $E2E_REPORT_DIR (default: the test's temp dir, logged).

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/kubetutor/kubetutor/runner/kube"
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

func TestMySQLLessonE2E(t *testing.T) {
	kubeconfig := os.Getenv("KUBECONFIG")
	if kubeconfig == "" {
		t.Fatal("KUBECONFIG is not set: point it at a cluster (make lab-up writes .lab/kubeconfig)")
	}
	lang := os.Getenv("E2E_LANG")
	if lang == "" {
		lang = "ja"
	}
	ns := fmt.Sprintf("kubetutor-e2e-%d", time.Now().Unix())
	flags := genericclioptions.NewConfigFlags(true)
	flags.KubeConfig, flags.Namespace = &kubeconfig, &ns
	cluster, err := kube.New(flags)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cluster.Client.Discovery().ServerVersion(); err != nil {
		t.Fatalf("no cluster reachable through %s: %v", kubeconfig, err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = cluster.Client.CoreV1().Namespaces().Delete(c, ns, metav1.DeleteOptions{})
	})

	bin := os.Getenv("KUBETUTOR_BIN")
	if bin == "" {
		bin = filepath.Join(t.TempDir(), "kubetutor")
		build := exec.Command("go", "build", "-o", bin, "../../cmd/kubetutor")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build kubetutor: %v\n%s", err, out)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--kubeconfig", kubeconfig, "-n", ns,
		"run", "mysql", "--auto", "--lang", lang, "--output", "json", "--progress")
	cmd.Stderr = os.Stdout // progress, live in CI's log
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
	for name, data := range map[string][]byte{"mysql-e2e.json": out, "mysql-durations.md": []byte(table)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("durations (also in %s):\n%s", filepath.Join(dir, "mysql-durations.md"), table)

	if res.Lesson != "mysql" || res.Lang != lang {
		t.Errorf("report is for %s/%s, want mysql/%s", res.Lesson, res.Lang, lang)
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
	if steps != 15 {
		t.Errorf("%d lesson steps in the report, want 15", steps)
	}
	if runErr != nil || !res.Passed {
		t.Fatalf("lesson failed (exit: %v)", runErr)
	}
	nodes, err := cluster.Client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes.Items {
		if n.Spec.Unschedulable {
			t.Errorf("node %s left cordoned", n.Name)
		}
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
