//go:build e2e

package engine

// The whole MySQL lesson where volumes are node-local, as on kind and
// minikube: the test switches the offline lab to `lab up --storage
// node-local` (and back to shared at the end), runs `kubetutor run mysql
// --auto -o json --progress`, and requires that preflight warned about
// node-local volumes, that every claim got a volume pinned to one node,
// that the drain step waited for mysql-2 to be Pending with the scheduler's
// node-affinity words (its node-local variant) and uncordon-node for it to
// be Ready again on the same node, that the lesson passed, and that the
// provisioner deleted the volumes and their directories after cleanup.
// `make e2e-node-local` runs just this test.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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

	"github.com/kubetutor/kubetutor/runner/kube"
	"github.com/kubetutor/kubetutor/runner/lab"
)

// labStorage switches the running lab's storage mode.
func (e *e2eEnv) labStorage(ctx context.Context, mode string) {
	e.t.Helper()
	out, err := exec.CommandContext(ctx, e.bin, "lab", "up", "--storage", mode).CombinedOutput()
	if err != nil {
		e.t.Fatalf("lab up --storage %s: %v\n%s", mode, err, out)
	}
}

// volumeSeen is what the test saw of one volume of the lesson's claims.
type volumeSeen struct {
	claim, node, path string
}

func TestMySQLNodeLocalE2E(t *testing.T) {
	e := newE2E(t, "kubetutor-e2e-nodelocal")
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	e.labStorage(ctx, lab.StorageNodeLocal)
	t.Cleanup(func() {
		// Back to the lab's default once the provisioner has deleted this
		// test's volumes (switching refuses while they exist).
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		for ctx.Err() == nil && len(e.volumes(ctx)) > 0 {
			time.Sleep(time.Second)
		}
		e.labStorage(ctx, lab.StorageShared)
	})

	// The test's own view while the lesson runs: every volume of the
	// namespace's claims, and every node mysql-2 was scheduled on.
	wctx, stopWatch := context.WithCancel(ctx)
	var mu sync.Mutex
	seen := map[string]volumeSeen{}
	mysql2 := map[string]string{} // pod UID → node
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		for wctx.Err() == nil {
			for name, v := range e.volumes(wctx) {
				mu.Lock()
				seen[name] = v
				mu.Unlock()
			}
			if p, err := e.cs.CoreV1().Pods(e.ns).Get(wctx, "mysql-2", metav1.GetOptions{}); err == nil && p.Spec.NodeName != "" {
				mu.Lock()
				mysql2[string(p.UID)] = p.Spec.NodeName
				mu.Unlock()
			}
			time.Sleep(500 * time.Millisecond)
		}
	}()

	flags := genericclioptions.NewConfigFlags(true)
	flags.KubeConfig, flags.Namespace = &e.kubeconfig, &e.ns
	cluster, err := kube.New(flags)
	if err != nil {
		t.Fatal(err)
	}
	restarts := watchRestarts(ctx, t, cluster, e.ns)
	cmd := exec.CommandContext(ctx, e.bin, "--kubeconfig", e.kubeconfig, "-n", e.ns,
		"run", "mysql", "--auto", "--lang", "en", "--output", "json", "--progress")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var progress strings.Builder
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		progress.WriteString(sc.Text() + "\n")
		fmt.Println(sc.Text())
	}
	runErr := cmd.Wait()
	elapsed := time.Since(start)
	stopWatch()
	<-watchDone

	var res report
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("run printed no JSON report (exit: %v): %v\n%s", runErr, err, stdout.String())
	}
	table := durationsTable(res, elapsed)
	t.Logf("durations with node-local volumes:\n%s", table)
	if dir := os.Getenv("E2E_REPORT_DIR"); dir != "" {
		_ = os.MkdirAll(dir, 0o755)
		_ = os.WriteFile(filepath.Join(dir, "mysql-node-local-durations.md"), []byte(table), 0o644)
	}
	checks := map[string][]string{} // step → check names
	for _, s := range res.Steps {
		for _, c := range s.Checks {
			checks[s.ID] = append(checks[s.ID], c.Name+": "+c.Message)
			if s.ID != "preflight" && c.Status != "passed" {
				t.Errorf("step %s: %s: %s: %s", s.ID, c.Name, c.Status, c.Message)
			}
		}
	}
	if runErr != nil || !res.Passed {
		t.Fatalf("lesson failed with node-local volumes (exit: %v)", runErr)
	}
	for _, want := range []struct{ step, text string }{
		{"preflight", "makes node-local volumes"},
		{"drain-node", "PodScheduled=False (Unschedulable)"},
		{"uncordon-node", "mysql-2 Ready"},
	} {
		if !strings.Contains(strings.Join(checks[want.step], "\n"), want.text) {
			t.Errorf("%s: no %q in %q", want.step, want.text, checks[want.step])
		}
	}
	for c, n := range restarts() {
		t.Errorf("container %s restarted %d time(s) during the lesson", c, n)
	}
	if !strings.Contains(progress.String(), "didn't match PersistentVolume's node affinity") {
		t.Error("the progress never showed the scheduler's node-affinity reason for the Pending mysql-2")
	}

	mu.Lock()
	defer mu.Unlock()
	claims := map[string]volumeSeen{}
	for _, v := range seen {
		claims[v.claim] = v
		if v.node == "" {
			t.Errorf("volume of %s is not pinned to one node", v.claim)
		}
	}
	for i := 0; i < 5; i++ {
		if _, ok := claims[fmt.Sprintf("data-mysql-%d", i)]; !ok {
			t.Errorf("no node-local volume seen for data-mysql-%d (saw %v)", i, claims)
		}
	}
	home := claims["data-mysql-2"].node
	for uid, node := range mysql2 {
		if node != home {
			t.Errorf("mysql-2 (%s) ran on %s, away from its volume on %s", uid, node, home)
		}
	}
	if len(mysql2) < 3 {
		t.Errorf("saw %d incarnations of mysql-2 scheduled, want ≥ 3 (first, after delete-pod, after uncordon)", len(mysql2))
	}
	// Cleanup deleted the claims: the provisioner deletes their volumes
	// and directories.
	deadline := time.Now().Add(2 * time.Minute)
	for len(e.volumes(ctx)) > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Second)
	}
	if left := e.volumes(ctx); len(left) > 0 {
		t.Errorf("volumes left 2 min after cleanup: %v", left)
	}
	for _, v := range seen {
		if _, err := os.Stat(v.path); !os.IsNotExist(err) {
			t.Errorf("directory %s of %s left behind (%v)", v.path, v.claim, err)
		}
	}
}

// volumes returns the volumes bound to the namespace's claims by name,
// with the one node each is pinned to ("" if not pinned to one).
func (e *e2eEnv) volumes(ctx context.Context) map[string]volumeSeen {
	out := map[string]volumeSeen{}
	l, err := e.cs.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return out
	}
	for _, pv := range l.Items {
		if pv.Spec.ClaimRef == nil || pv.Spec.ClaimRef.Namespace != e.ns {
			continue
		}
		v := volumeSeen{claim: pv.Spec.ClaimRef.Name}
		if pv.Spec.HostPath != nil {
			v.path = pv.Spec.HostPath.Path
		}
		if a := pv.Spec.NodeAffinity; a != nil && a.Required != nil && len(a.Required.NodeSelectorTerms) == 1 {
			for _, r := range a.Required.NodeSelectorTerms[0].MatchExpressions {
				if r.Operator == corev1.NodeSelectorOpIn && len(r.Values) == 1 {
					v.node = r.Values[0]
				}
			}
		}
		out[pv.Name] = v
	}
	return out
}
