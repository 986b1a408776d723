//go:build e2e

package engine

// The whole MySQL lesson on a real cluster: `go test -tags e2e
// ./runner/engine -run TestMySQLLessonE2E -timeout 30m` with KUBECONFIG
// pointing at it (`make e2e` uses the offline lab's .lab/kubeconfig). It
// runs in a fresh namespace, fails — never skips — when no cluster is
// reachable, and writes each step's measured duration as a markdown table
// (for the README) and the JSON report to $E2E_REPORT_DIR (default: the
// test's temp dir, logged).

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/kubetutor/kubetutor/i18n"
	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/manifests"
	"github.com/kubetutor/kubetutor/runner/kube"
	"github.com/kubetutor/kubetutor/runner/l10n"
	"github.com/kubetutor/kubetutor/runner/lesson"
)

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
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	if _, err := cluster.Client.Discovery().ServerVersion(); err != nil {
		t.Fatalf("no cluster reachable through %s: %v", kubeconfig, err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = cluster.Client.CoreV1().Namespaces().Delete(c, ns, metav1.DeleteOptions{})
	})

	l, probs, err := lesson.Load(lessons.FS, "lessons", "mysql")
	if err != nil || len(probs) > 0 {
		t.Fatalf("load lesson: %v %v", err, probs)
	}
	// Progress goes to stdout as it happens, so CI logs show where a run is.
	cat, err := l10n.LoadCatalog(i18n.FS)
	if err != nil {
		t.Fatal(err)
	}
	ltr := cat.Translator(lang)
	text := &Text{W: os.Stdout, Tr: ltr, Progress: true}
	res := New(cluster, l, manifests.FS, Options{Lang: lang}, text).Run(ctx)

	dir := os.Getenv("E2E_REPORT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, ltr, res); err != nil {
		t.Fatal(err)
	}
	table := durationsTable(res)
	for name, data := range map[string][]byte{"mysql-e2e.json": js.Bytes(), "mysql-durations.md": []byte(table)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("durations (also in %s):\n%s", filepath.Join(dir, "mysql-durations.md"), table)

	for _, p := range res.Preflight {
		if p.Status == Failed {
			t.Errorf("preflight %s: %s", p.Name.Text(tr(t)), p.Msg.Text(tr(t)))
		}
	}
	for _, s := range res.Steps {
		switch s.Status {
		case Passed:
		case Unavailable:
			t.Errorf("step %s unavailable on the lab: %s", s.ID, s.Reason.Text(tr(t)))
		default:
			t.Errorf("step %s %s", s.ID, s.Status)
			if s.Action.Failure != nil {
				t.Errorf("  action: %s", FailureText(tr(t), s.Action.Failure))
			}
			for _, c := range s.Checks {
				if c.Failure != nil {
					t.Errorf("  %s: %s", CheckName(tr(t), c), FailureText(tr(t), c.Failure))
				}
			}
		}
	}
	if !res.Passed {
		t.Fatalf("lesson failed")
	}
	if a := res.Aftermath; a != nil && len(a.StillCordoned) > 0 {
		t.Fatalf("nodes left cordoned: %v", a.StillCordoned)
	}
}

// durationsTable renders each step's measured duration as markdown.
func durationsTable(r *Result) string {
	var b strings.Builder
	b.WriteString("| step | status | duration |\n|---|---|---:|\n")
	var total time.Duration
	for _, s := range r.Steps {
		total += s.Duration
		fmt.Fprintf(&b, "| %s | %s | %.1f s |\n", s.ID, s.Status, s.Duration.Seconds())
	}
	fmt.Fprintf(&b, "| **total (steps)** | | **%.1f s** |\n", total.Seconds())
	fmt.Fprintf(&b, "| whole run (preflight included) | | %.1f s |\n", r.Duration.Seconds())
	return b.String()
}
