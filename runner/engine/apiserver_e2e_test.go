//go:build e2e

package engine

// The API server restarts while a check is waiting — during the MySQL
// StatefulSet step and during the drain — on the offline lab
// (`kubetutor lab restart-apiserver --down 25s`, the real binary). Each
// time, the run must pass (no false fail), give no verdict while the API
// server is away (no false pass), say that the API server is unreachable
// while it lasts, and give its verdict within a few seconds of the API
// server answering again. A `kubectl wait` for the same pods, started when
// the outage starts, is the baseline; both latencies are logged and
// written to $E2E_REPORT_DIR/apiserver-restart.md.

import (
	"bufio"
	"context"
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
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubetutor/kubetutor/runner/lab"
	"github.com/kubetutor/kubetutor/runner/step"
)

// outageDown is how long the API server stays stopped.
const outageDown = 25 * time.Second

// e2eEnv is what the lab e2e tests of this package share.
type e2eEnv struct {
	t          *testing.T
	kubeconfig string
	bin        string
	ns         string
	cs         kubernetes.Interface
}

func newE2E(t *testing.T, prefix string) *e2eEnv {
	t.Helper()
	kubeconfig := os.Getenv("KUBECONFIG")
	if kubeconfig == "" {
		t.Fatal("KUBECONFIG is not set: point it at the offline lab (make lab-up writes .lab/kubeconfig)")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Timeout = 2 * time.Second // the outage must not hang the test's own probes
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.Discovery().ServerVersion(); err != nil {
		t.Fatalf("no cluster reachable through %s: %v", kubeconfig, err)
	}
	bin := os.Getenv("KUBETUTOR_BIN")
	if bin == "" {
		bin = filepath.Join(t.TempDir(), "kubetutor")
		if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/kubetutor").CombinedOutput(); err != nil {
			t.Fatalf("build kubetutor: %v\n%s", err, out)
		}
	}
	e := &e2eEnv{t: t, kubeconfig: kubeconfig, bin: bin, ns: fmt.Sprintf("%s-%d", prefix, time.Now().Unix()), cs: cs}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// A failed run may leave its node cordoned: never leave it to the
		// tests that follow.
		if nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err == nil {
			for _, n := range nodes.Items {
				if n.Annotations[step.CordonedByAnnotation] == e.ns+"/mysql" {
					patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:null}},"spec":{"unschedulable":null}}`, step.CordonedByAnnotation)
					_, _ = cs.CoreV1().Nodes().Patch(ctx, n.Name, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{})
				}
			}
		}
		_ = cs.CoreV1().Namespaces().Delete(ctx, e.ns, metav1.DeleteOptions{})
	})
	return e
}

// line is one line of a command's output and when it arrived.
type line struct {
	at   time.Time
	text string
}

// run is a kubetutor process whose output lines are timestamped as they
// arrive.
type run struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []line
	done  chan struct{} // closed when the process ended
	err   error
}

// start runs kubetutor with args (the global flags come first) and tees
// its output to the test log.
func (e *e2eEnv) start(ctx context.Context, args ...string) *run {
	e.t.Helper()
	full := append([]string{"--kubeconfig", e.kubeconfig, "-n", e.ns}, args...)
	r := &run{cmd: exec.CommandContext(ctx, e.bin, full...), done: make(chan struct{})}
	pr, pw := io.Pipe()
	r.cmd.Stdout, r.cmd.Stderr = pw, pw
	if err := r.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			r.mu.Lock()
			r.lines = append(r.lines, line{time.Now(), sc.Text()})
			r.mu.Unlock()
			fmt.Println(sc.Text()) // live in CI's log
		}
	}()
	go func() {
		err := r.cmd.Wait()
		pw.Close()
		r.err = err
		close(r.done)
	}()
	return r
}

// wait returns the process's exit error.
func (r *run) wait() error { <-r.done; return r.err }

// first returns the first line containing s, and whether there is one.
func (r *run) first(s string) (line, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.lines {
		if strings.Contains(l.text, s) {
			return l, true
		}
	}
	return line{}, false
}

// mustRun runs one step of the MySQL lesson to the end and requires it to
// pass.
func (e *e2eEnv) mustRun(ctx context.Context, stepID string) {
	e.t.Helper()
	if err := e.start(ctx, "run", "mysql", "--auto", "--lang", "en", "--step", stepID).wait(); err != nil {
		e.t.Fatalf("step %s: %v", stepID, err)
	}
}

// probe watches the API server from the test's side with plain LISTs
// every 100 ms: when it stopped answering, when it answered again, and when
// all the pods first showed Ready together afterwards.
type probe struct {
	down, back, visible time.Time
}

func (e *e2eEnv) probe(ctx context.Context, pods []string) <-chan probe {
	ch := make(chan probe, 1)
	go func() {
		var p probe
		defer func() { ch <- p }()
		for ctx.Err() == nil {
			l, err := e.cs.CoreV1().Pods(e.ns).List(ctx, metav1.ListOptions{})
			now := time.Now()
			switch {
			case err != nil && p.down.IsZero():
				p.down = now
			case err == nil && !p.down.IsZero() && p.back.IsZero():
				p.back = now
			}
			if err == nil && !p.back.IsZero() && allReady(l.Items, pods) {
				p.visible = now
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	return ch
}

func allReady(items []corev1.Pod, names []string) bool {
	ready := map[string]bool{}
	for i := range items {
		ready[items[i].Name] = isReady(&items[i])
	}
	for _, n := range names {
		if !ready[n] {
			return false
		}
	}
	return true
}

func isReady(p *corev1.Pod) bool {
	if p.DeletionTimestamp != nil {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// kubectlWait starts `kubectl wait --for=condition=Ready` for pods and
// returns once it watches (its -v=6 log shows the watch request); the
// channel receives when it ended and how.
func (e *e2eEnv) kubectlWait(ctx context.Context, kubectl string, pods ...string) <-chan kubectlResult {
	e.t.Helper()
	args := append([]string{"--kubeconfig", e.kubeconfig, "-n", e.ns, "wait", "--for=condition=Ready", "--timeout=5m", "-v=6"}, pods...)
	cmd := exec.CommandContext(ctx, kubectl, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	var out strings.Builder
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	watching := make(chan struct{})
	var log strings.Builder
	go func() {
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "watch=true") {
				once.Do(func() { close(watching) })
			}
		}
	}()
	select {
	case <-watching:
	case <-time.After(30 * time.Second):
		e.t.Fatalf("kubectl wait never watched:\n%s", log.String())
	}
	ch := make(chan kubectlResult, 1)
	go func() {
		err := cmd.Wait()
		ch <- kubectlResult{at: time.Now(), err: err, out: out.String()}
	}()
	return ch
}

type kubectlResult struct {
	at  time.Time
	err error
	out string
}

// outage restarts the lab's API server through the binary.
func (e *e2eEnv) outage(ctx context.Context) {
	e.t.Helper()
	out, err := exec.CommandContext(ctx, e.bin, "lab", "restart-apiserver", "--down", outageDown.String()).CombinedOutput()
	e.t.Logf("lab restart-apiserver:\n%s", out)
	if err != nil {
		e.t.Fatalf("lab restart-apiserver: %v", err)
	}
}

// waitPod polls until cond holds for the pod (the test's own view); the
// run r ending first is a failure (the step never got to wait).
func (e *e2eEnv) waitPod(ctx context.Context, r *run, name string, cond func(*corev1.Pod) bool) *corev1.Pod {
	e.t.Helper()
	for {
		if p, err := e.cs.CoreV1().Pods(e.ns).Get(ctx, name, metav1.GetOptions{}); err == nil && cond(p) {
			return p
		}
		select {
		case <-ctx.Done():
			e.t.Fatalf("pod %s never reached the state the test waits for", name)
		case <-r.done:
			e.t.Fatalf("the run ended (%v) before pod %s reached the state the test waits for", r.err, name)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitNodes waits until every node is Ready and schedulable: after an
// outage the node controller marks them NotReady until their kubelets
// report again, and a drain started meanwhile is (rightly) unavailable.
func (e *e2eEnv) waitNodes(ctx context.Context) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	for {
		l, err := e.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		ok := err == nil && len(l.Items) > 0
		for i := 0; ok && i < len(l.Items); i++ {
			n := &l.Items[i]
			ok = !n.Spec.Unschedulable && len(n.Spec.Taints) == 0 && nodeReady(n)
		}
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			e.t.Fatalf("nodes not all Ready and schedulable 3 min after the outage: %v", err)
		case <-time.After(time.Second):
		}
	}
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// restartCase is one outage while a check waits.
type restartCase struct {
	name    string
	verdict string // the check's ✓ line, as it starts
}

// measured is what one outage showed.
type measured struct {
	name                         string
	p                            probe
	verdict                      time.Time
	kubectl                      kubectlResult
	outageLine                   line
	oursAfterBack, kubectlAfter  time.Duration
	oursAfterSeen, kubectlAfterS time.Duration
}

// TestAPIServerRestartE2E is the short version, in make test: one outage
// while the StatefulSet step waits, without the kubectl baseline.
func TestAPIServerRestartE2E(t *testing.T) { restartTest(t, false) }

// TestAPIServerRestartFull (make e2e-restart, not in make test): an outage
// during the StatefulSet step and one during the drain, each against a
// `kubectl wait` for the same pods (≈ 4 min: kubectl takes 40–50 s longer
// to come back each time).
func TestAPIServerRestartFull(t *testing.T) { restartTest(t, true) }

func restartTest(t *testing.T, full bool) {
	e := newE2E(t, "kubetutor-e2e-restart")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	kubectl := ""
	if full {
		var err error
		if kubectl, err = lab.Kubectl(ctx, lab.Options{Out: os.Stdout}); err != nil {
			t.Fatalf("a kubectl for the baseline: %v", err)
		}
	}
	e.mustRun(ctx, "apply-configmap")
	e.mustRun(ctx, "apply-services")

	var results []measured
	// 1. The StatefulSet step: the outage starts once mysql-2 exists and is
	// not Ready, so the check is waiting and the verdict can only come
	// after the API server is back.
	results = append(results, e.restartDuring(ctx, kubectl, restartCase{name: "apply-statefulset (podsReady)", verdict: "✓ mysql-0, mysql-1, mysql-2 Ready"},
		"apply-statefulset", []string{"mysql-0", "mysql-1", "mysql-2"}, func(r *run) {
			e.waitPod(ctx, r, "mysql-2", func(p *corev1.Pod) bool { return !isReady(p) })
		}))
	// 2. The drain: the outage starts once the drained mysql-2 is back as a
	// new pod that is not Ready yet (nodeChanged may still wait for it to
	// be scheduled; podsReady waits for it to be Ready).
	if full {
		e.waitNodes(ctx)
		old, err := e.cs.CoreV1().Pods(e.ns).Get(ctx, "mysql-2", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, e.restartDuring(ctx, kubectl, restartCase{name: "drain-node (nodeChanged, podsReady)", verdict: "✓ mysql-2 Ready"},
			"drain-node", []string{"mysql-2"}, func(r *run) {
				e.waitPod(ctx, r, "mysql-2", func(p *corev1.Pod) bool { return p.UID != old.UID && !isReady(p) })
			}))
	}
	table := restartTable(results)
	t.Logf("API server restarts (down %s):\n%s", outageDown, table)
	if dir := os.Getenv("E2E_REPORT_DIR"); dir != "" {
		_ = os.MkdirAll(dir, 0o755)
		_ = os.WriteFile(filepath.Join(dir, "apiserver-restart.md"), []byte(table), 0o644)
	}
	// Leave a healthy cluster to the tests that follow: the nodes turn
	// Ready again once their kubelets report after the outage.
	e.waitNodes(ctx)
	e.mustRun(ctx, "cleanup")
	for _, m := range results {
		// The check's own delay: from the moment its pods could be read
		// Ready again to the verdict (watch, re-list, retry).
		if m.oursAfterSeen > 3*time.Second {
			t.Errorf("%s: verdict %s after the Ready pod was visible again (want ≤ 3 s)", m.name, m.oursAfterSeen.Round(100*time.Millisecond))
		}
	}
}

// restartDuring runs step stepID in the background, waits for ready() (the
// cluster state in which the check must wait), then starts kubectl wait
// for pods (unless kubectl is "") and restarts the API server, and
// measures.
func (e *e2eEnv) restartDuring(ctx context.Context, kubectl string, rc restartCase, stepID string, pods []string, ready func(*run)) measured {
	t := e.t
	t.Helper()
	r := e.start(ctx, "run", "mysql", "--auto", "--lang", "en", "--progress", "--step", stepID)
	ready(r)
	if l, ok := r.first(rc.verdict); ok {
		t.Fatalf("%s: the check passed before the outage began (%s): the test would prove nothing", rc.name, l.text)
	}
	// kubectl wait for the pods that are not Ready yet: it handles its
	// arguments one after the other, and one it is not watching when the
	// API server goes would end it with an error.
	var waitFor []string
	for _, name := range pods {
		if p, err := e.cs.CoreV1().Pods(e.ns).Get(ctx, name, metav1.GetOptions{}); err != nil || !isReady(p) {
			waitFor = append(waitFor, "pod/"+name)
		}
	}
	var kw <-chan kubectlResult
	if kubectl != "" {
		kw = e.kubectlWait(ctx, kubectl, waitFor...)
	}
	pctx, stopProbe := context.WithCancel(ctx)
	defer stopProbe()
	pr := e.probe(pctx, pods)
	e.outage(ctx)
	if err := r.wait(); err != nil {
		t.Fatalf("%s: the step failed across the API server restart: %v", rc.name, err)
	}
	var kr kubectlResult
	if kw != nil {
		select {
		case kr = <-kw:
		case <-time.After(5 * time.Minute):
			t.Fatalf("%s: kubectl wait never ended", rc.name)
		}
	}
	var p probe
	select {
	case p = <-pr:
	case <-time.After(time.Minute):
		stopProbe()
		p = <-pr
	}
	m := measured{name: rc.name, p: p, kubectl: kr}
	v, ok := r.first(rc.verdict)
	if !ok {
		t.Fatalf("%s: no line %q in the run's output", rc.name, rc.verdict)
	}
	m.verdict = v.at
	if p.down.IsZero() || p.back.IsZero() || p.visible.IsZero() {
		t.Fatalf("%s: the test's probe saw down %v, back %v, Ready %v", rc.name, p.down, p.back, p.visible)
	}
	if m.verdict.Before(p.back) {
		t.Errorf("%s: verdict at %s while the API server was away (back at %s): a false pass", rc.name, clockMS(m.verdict), clockMS(p.back))
	}
	ol, ok := r.first("the API server has been unreachable since")
	switch {
	case !ok:
		t.Errorf("%s: the run never said that the API server was unreachable", rc.name)
	case ol.at.Before(p.down.Add(-2*time.Second)) || ol.at.After(p.back):
		t.Errorf("%s: the outage was reported at %s, not while it lasted (%s → %s)", rc.name, clockMS(ol.at), clockMS(p.down), clockMS(p.back))
	}
	m.outageLine = ol
	m.oursAfterBack, m.oursAfterSeen = m.verdict.Sub(p.back), m.verdict.Sub(p.visible)
	if kw != nil {
		m.kubectlAfter, m.kubectlAfterS = kr.at.Sub(p.back), kr.at.Sub(p.visible)
	}
	if kr.err != nil {
		t.Logf("%s: kubectl wait ended with %v (%s)", rc.name, kr.err, kr.out)
	}
	return m
}

func clockMS(t time.Time) string { return t.Format("15:04:05.0") }

func restartTable(ms []measured) string {
	var b strings.Builder
	b.WriteString("| waiting check | API server away | back → pods Ready visible | kubetutor: back → verdict | kubectl wait: back → exit | kubetutor after Ready visible | kubectl after Ready visible |\n|---|---:|---:|---:|---:|---:|---:|\n")
	s := func(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }
	for _, m := range ms {
		kubectl, kubectlS := s(m.kubectlAfter), s(m.kubectlAfterS)
		switch {
		case m.kubectl.at.IsZero():
			kubectl, kubectlS = "–", "–"
		case m.kubectl.err != nil:
			kubectl += " (failed)"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", m.name, s(m.p.back.Sub(m.p.down)), s(m.p.visible.Sub(m.p.back)),
			s(m.oursAfterBack), kubectl, s(m.oursAfterSeen), kubectlS)
	}
	return b.String()
}
