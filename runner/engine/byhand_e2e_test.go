//go:build e2e

package engine

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/runner/kube"
	"github.com/kubetutor/kubetutor/runner/lab"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

// labKubectl is the kubectl on the PATH, which must be the lab's version
// (make e2e puts `kubetutor lab kubectl` first on the PATH): the tests never
// depend on whatever kubectl a machine has.
func labKubectl(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatal("no kubectl on the PATH: run through make e2e, or put the folder of `kubetutor lab kubectl` first on the PATH")
	}
	out, err := exec.Command(path, "version", "--client", "-o", "json").Output()
	var v struct {
		ClientVersion struct{ GitVersion string } `json:"clientVersion"`
	}
	if err != nil || json.Unmarshal(out, &v) != nil || v.ClientVersion.GitVersion != lab.KubernetesVersion {
		t.Fatalf("%s is kubectl %q, not the lab's %s: run through make e2e, or put the folder of `kubetutor lab kubectl` first on the PATH (%v)",
			path, v.ClientVersion.GitVersion, lab.KubernetesVersion, err)
	}
	return path
}

// TestLessonsByHandE2E does every built-in lesson by hand, the lessons in
// parallel as in TestLessonsE2E: `kubetutor run LESSON --watch` does
// nothing but print each step's commands and confirm the step as the
// cluster reaches it, while the test, like a learner in another terminal,
// types exactly the commands printed, with the lab's kubectl. Every step
// must pass; in the MySQL lesson the hand-made drain must cordon exactly
// one node, and the typed uncordon must leave none cordoned.
func TestLessonsByHandE2E(t *testing.T) {
	kubectl := labKubectl(t)
	eachLesson(t, func(t *testing.T, bin, kubeconfig string, l *lesson.Lesson) {
		byHand(t, bin, kubectl, kubeconfig, l)
	})
}

// byHand does lesson l by hand in a fresh namespace (see TestLessonsByHandE2E).
func byHand(t *testing.T, bin, kubectl, kubeconfig string, l *lesson.Lesson) {
	ns := fmt.Sprintf("kubetutor-byhand-%s-%d", l.ID, time.Now().Unix())
	cluster := labNamespace(t, kubeconfig, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	shellEnv := append(os.Environ(), "KUBECONFIG="+kubeconfig, "XDG_CACHE_HOME="+t.TempDir())
	typed := 0
	typeLine := func(line string) string {
		t.Helper()
		typed++
		start := time.Now()
		cmd := exec.CommandContext(ctx, "sh", "-c", line)
		cmd.Env = shellEnv
		out, err := cmd.CombinedOutput()
		t.Logf("$ %s  (%s)\n%s", line, time.Since(start).Round(100*time.Millisecond), strings.TrimSpace(string(out)))
		if err != nil {
			t.Fatalf("the printed command failed: %s: %v\n%s", line, err, out)
		}
		return string(out)
	}
	// --watch creates nothing, not even the namespace: the learner does.
	typeLine(kubectl + " create namespace " + ns)

	watch := exec.CommandContext(ctx, bin, "-n", ns, "run", l.ID, "--watch", "--lang", "en", "--output", "json", "--progress")
	watch.Env = shellEnv
	progress, err := watch.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout strings.Builder
	watch.Stdout = &stdout
	start := time.Now()
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	var pending []string
	curStep, drained := "", ""
	sc := bufio.NewScanner(progress)
	for sc.Scan() {
		line := sc.Text()
		fmt.Printf("by hand (%s): %s\n", l.ID, line)
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "Step "):
			curStep = line
		case strings.HasPrefix(trimmed, "$ "):
			cmd := strings.TrimPrefix(trimmed, "$ ")
			if !strings.HasPrefix(cmd, "kubectl ") {
				t.Fatalf("%s: a printed command is not a kubectl command: %s", curStep, cmd)
			}
			pending = append(pending, cmd)
		case strings.HasPrefix(trimmed, "⋯ "):
			// The step is armed and watched: type its commands.
			for _, cmd := range pending {
				out := typeLine(cmd)
				if strings.Contains(cmd, " drain ") {
					drained = strings.Fields(strings.SplitN(cmd, " drain ", 2)[1])[0]
					if c := cordoned(t, cluster); strings.Join(c, ",") != drained {
						t.Errorf("after typing the drain of %s the cordoned nodes are %v (%s)", drained, c, out)
					}
				}
			}
			pending = nil
		}
	}
	err = watch.Wait()
	elapsed := time.Since(start)
	var res report
	if jerr := json.Unmarshal([]byte(stdout.String()), &res); jerr != nil {
		t.Fatalf("run --watch printed no JSON report (exit: %v): %v\n%s", err, jerr, stdout.String())
	}
	t.Logf("%d commands typed; durations of the steps done by hand:\n%s", typed, durationsTable(res, elapsed))
	steps := 0
	for _, s := range res.Steps {
		if s.ID == "preflight" || s.ID == "aftermath" {
			if s.ID == "aftermath" {
				t.Error("run --watch has an aftermath: it must undo nothing")
			}
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
	if steps != len(l.Spec.Steps) || err != nil || !res.Passed {
		t.Fatalf("%d steps of %d, exit %v, passed %v", steps, len(l.Spec.Steps), err, res.Passed)
	}
	if l.ID == "mysql" && drained == "" {
		t.Error("no drain command was printed")
	}
	if drained == "" {
		return // the lessons without a drain run beside the MySQL one: its cordon is not theirs
	}
	if c := cordoned(t, cluster); len(c) > 0 {
		t.Errorf("nodes still cordoned after the typed uncordon: %v", c)
	}
	nodes, _ := cluster.Client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	for _, n := range nodes.Items {
		if _, ok := n.Annotations[step.CordonedByAnnotation]; ok {
			t.Errorf("run --watch wrote a cordon mark on %s: it must write nothing", n.Name)
		}
	}
}

// cordoned lists the unschedulable nodes.
func cordoned(t *testing.T, c *kube.Cluster) []string {
	t.Helper()
	nodes, err := c.Client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
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
