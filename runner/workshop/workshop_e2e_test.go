//go:build e2e

package workshop

// A workshop on a real cluster, through the real binary, as an instructor
// and three learners would run it: `workshop init` three learners; learner
// 01 runs the MySQL lesson with its own kubeconfig until the drain (which
// `run --auto` reports as the instructor's, unavailable, and goes on),
// learner 02 until the StatefulSet, learner 03 does nothing; `workshop
// status` reports exactly that; `--at` exits 0 or 1; the learner's
// kubeconfig may read neither another learner's namespace nor pods
// cluster-wide; `workshop push --to drain-node --behind` brings everyone
// through the drain with never more than one node cordoned (the test
// watches the nodes throughout); `workshop serve` answers the status's
// JSON, its event stream and its page in a real browser (chromium) show a
// change in the cluster within 2 s; `reset` returns a learner to the start;
// `down` leaves nothing behind. `make e2e` sets KUBECONFIG (the lab's) and
// KUBETUTOR_BIN; without a cluster the test fails, never skips.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	authv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubetutor/kubetutor/runner/browsertest"
	"github.com/kubetutor/kubetutor/runner/step"
)

// e2eBin is the kubetutor binary under test (built when KUBETUTOR_BIN is
// not set).
func e2eBin(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("KUBETUTOR_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "kubetutor")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/kubetutor").CombinedOutput(); err != nil {
		t.Fatalf("build kubetutor: %v\n%s", err, out)
	}
	return bin
}

// e2eClient is the instructor's client (KUBECONFIG), checked to answer.
func e2eClient(t *testing.T) (kubernetes.Interface, string) {
	t.Helper()
	kubeconfig := os.Getenv("KUBECONFIG")
	if kubeconfig == "" {
		t.Fatal("KUBECONFIG is not set: point it at a cluster (make lab-up writes .lab/kubeconfig)")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Discovery().ServerVersion(); err != nil {
		t.Fatalf("no cluster reachable through %s: %v", kubeconfig, err)
	}
	return client, kubeconfig
}

// kt runs the kubetutor binary; it returns stdout and the exit code.
type kt struct {
	t     *testing.T
	bin   string
	env   []string
	admin string
}

func (k kt) run(ctx context.Context, kubeconfig string, args ...string) (string, int) {
	k.t.Helper()
	cmd := exec.CommandContext(ctx, k.bin, append([]string{"--lang", "en", "--kubeconfig", kubeconfig}, args...)...)
	cmd.Env = k.env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		k.t.Fatalf("kubetutor %s: %v", strings.Join(args, " "), err)
	}
	k.t.Logf("$ kubetutor %s  (exit %d, %s)\n%s%s", strings.Join(args, " "), code, time.Since(start).Round(time.Second), out.String(), errOut.String())
	return out.String(), code
}

func (k kt) must(ctx context.Context, kubeconfig string, args ...string) string {
	k.t.Helper()
	out, code := k.run(ctx, kubeconfig, args...)
	if code != 0 {
		k.t.Fatalf("kubetutor %s: exit %d", strings.Join(args, " "), code)
	}
	return out
}

func (k kt) status(ctx context.Context, name string) map[string]Learner {
	k.t.Helper()
	var s Snapshot
	if err := json.Unmarshal([]byte(k.must(ctx, k.admin, "workshop", "status", name, "-o", "json")), &s); err != nil {
		k.t.Fatal(err)
	}
	out := map[string]Learner{}
	for _, l := range s.Learners {
		out[l.Name] = l
	}
	return out
}

// cordonWatch records the most nodes unschedulable at once while it runs.
type cordonWatch struct {
	mu   sync.Mutex
	most int
	seen []string
}

func watchCordons(ctx context.Context, t *testing.T, client kubernetes.Interface) *cordonWatch {
	cw := &cordonWatch{}
	l, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	state := map[string]bool{}
	for _, n := range l.Items {
		state[n.Name] = n.Spec.Unschedulable
	}
	w, err := client.CoreV1().Nodes().Watch(ctx, metav1.ListOptions{ResourceVersion: l.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer w.Stop()
		for ev := range w.ResultChan() {
			n, ok := ev.Object.(*corev1.Node)
			if !ok {
				continue
			}
			state[n.Name] = n.Spec.Unschedulable
			var on []string
			for name, c := range state {
				if c {
					on = append(on, name)
				}
			}
			cw.mu.Lock()
			if len(on) > cw.most {
				cw.most = len(on)
			}
			if len(on) > 0 {
				cw.seen = append(cw.seen, strings.Join(on, "+"))
			}
			cw.mu.Unlock()
		}
	}()
	return cw
}

func TestWorkshopE2E(t *testing.T) {
	client, admin := e2eClient(t)
	name := fmt.Sprintf("kt%d", time.Now().Unix()%1000000)
	dir := t.TempDir()
	k := kt{t: t, bin: e2eBin(t), admin: admin, env: append(os.Environ(), "XDG_STATE_HOME="+filepath.Join(dir, "state"))}
	out := filepath.Join(dir, "out")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	t.Cleanup(func() { // whatever happened: nothing left behind
		c, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		k.run(c, admin, "workshop", "down", name, "--out", out)
	})
	start := time.Now()
	lap := func(what string) { t.Logf("⏱ %s at %s", what, time.Since(start).Round(time.Second)) }

	// Capacity: a class the cluster cannot hold at the lesson's peak is
	// refused with the numbers, and nothing is created.
	if msg, code := k.run(ctx, admin, "workshop", "init", name+"x", "--learners", "60", "--out", out); code != 1 {
		t.Errorf("init of 60 learners on the lab: exit %d, want 1 (refused)\n%s", code, msg)
	}
	if l, err := client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: LabelWorkshop + "=" + name + "x"}); err != nil || len(l.Items) > 0 {
		t.Errorf("a refused init created namespaces: %v %d", err, len(l.Items))
	}
	k.must(ctx, admin, "workshop", "init", name, "--lesson", "mysql", "--learners", "3", "--out", out, "--token-ttl", "1h")
	lap("init")
	learner := func(l string) string { return filepath.Join(out, name+"-"+l+".kubeconfig") }

	// The learner's rights: their own namespace, nothing of anyone else's.
	cfg, err := clientcmd.BuildConfigFromFlags("", learner("01"))
	if err != nil {
		t.Fatal(err)
	}
	lc, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lc.CoreV1().Pods(name+"-01").List(ctx, metav1.ListOptions{}); err != nil {
		t.Errorf("learner 01 cannot list pods in its own namespace: %v", err)
	}
	if _, err := lc.CoreV1().Pods(name+"-02").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("learner 01 listing pods of learner 02: %v, want Forbidden", err)
	}
	if _, err := lc.CoreV1().ConfigMaps(name+"-02").Get(ctx, "kubetutor-workshop", metav1.GetOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("learner 01 reading learner 02's ConfigMap: %v, want Forbidden", err)
	}
	if _, err := lc.CoreV1().Pods("").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("learner 01 listing pods cluster-wide: %v, want Forbidden", err)
	}
	for _, ra := range []authv1.ResourceAttributes{{Verb: "list", Resource: "pods"}, {Verb: "patch", Resource: "nodes"}} {
		r, err := lc.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authv1.SelfSubjectAccessReview{
			Spec: authv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &ra}}, metav1.CreateOptions{})
		if err != nil || r.Status.Allowed {
			t.Errorf("learner 01 may %s %s cluster-wide (%v)", ra.Verb, ra.Resource, err)
		}
	}

	// Learners 01 and 02 run the lesson with their own kubeconfigs, at once.
	var wg sync.WaitGroup
	var run01 string
	wg.Add(2)
	go func() {
		defer wg.Done()
		run01, _ = k.run(ctx, learner("01"), "run", "mysql", "--auto", "--until", "drain-node", "-o", "json")
	}()
	go func() {
		defer wg.Done()
		k.run(ctx, learner("02"), "run", "mysql", "--auto", "--until", "apply-statefulset")
	}()
	wg.Wait()
	lap("learners 01 and 02 ran")
	var res struct {
		Passed bool `json:"passed"`
		Steps  []struct {
			ID, Status, Reason string
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(run01), &res); err != nil {
		t.Fatalf("learner 01's run printed no JSON: %v", err)
	}
	for _, s := range res.Steps {
		if s.ID == "drain-node" && s.Status != "unavailable" {
			t.Errorf("learner 01's drain-node: %s, want unavailable (the instructor's)", s.Status)
		}
	}
	if !res.Passed {
		t.Errorf("learner 01's run did not pass: %s", run01)
	}

	st := k.status(ctx, name)
	want := map[string]string{"01": "9 delete-pod", "02": "3 apply-statefulset", "03": "0 "}
	for l, w := range want {
		if got := fmt.Sprintf("%d %s", st[l].StepIndex, st[l].Step); got != w {
			t.Errorf("learner %s at %q, want %q (%+v)", l, got, w, st[l])
		}
	}
	if st["03"].State != StateNotStarted {
		t.Errorf("learner 03: %s, want not-started", st["03"].State)
	}
	if _, code := k.run(ctx, admin, "workshop", "status", name, "--at", "apply-configmap"); code != 1 {
		t.Errorf("--at apply-configmap with learner 03 untouched: exit %d, want 1", code)
	}

	serveE2E(ctx, t, k, client, name, st)
	lap("serve")

	// The instructor pushes everyone through the drain.
	cw := watchCordons(ctx, t, client)
	k.must(ctx, admin, "workshop", "push", name, "--to", "drain-node", "--behind")
	lap("push")
	n, rss := mariadbMemory()
	t.Logf("memory: %d mariadbd processes (9 pods of 3 learners expected), %d MiB resident in all, %d MiB each", n, rss>>20, rss>>20/max(1, int64(n)))
	if _, code := k.run(ctx, admin, "workshop", "status", name, "--at", "drain-node"); code != 0 {
		t.Errorf("--at drain-node after the push: exit %d, want 0", code)
		for _, l := range []string{"01", "02", "03"} {
			dumpNamespace(ctx, t, client, name+"-"+l)
		}
	}
	cw.mu.Lock()
	if cw.most != 1 {
		t.Errorf("at most %d nodes cordoned at once during the push, want exactly 1 (cordons seen: %v)", cw.most, cw.seen)
	}
	cw.mu.Unlock()
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes.Items {
		if n.Spec.Unschedulable || n.Annotations[step.CordonedByAnnotation] != "" {
			t.Errorf("node %s left cordoned or marked after the push", n.Name)
		}
	}

	// Reset returns learner 02 to the start.
	k.must(ctx, admin, "workshop", "reset", name, "02")
	lap("reset")
	st = k.status(ctx, name)
	if st["02"].StepIndex != 0 || st["02"].State != StateNotStarted || st["01"].StepIndex < 10 {
		t.Errorf("after reset: 02 %+v, 01 %+v", st["02"], st["01"])
	}

	// Down leaves nothing behind but the report.
	k.must(ctx, admin, "workshop", "down", name, "--out", out)
	lap("down")
	sel := metav1.ListOptions{LabelSelector: LabelWorkshop + "=" + name}
	if l, err := client.CoreV1().Namespaces().List(ctx, sel); err != nil || len(l.Items) > 0 {
		t.Errorf("namespaces left: %v %v", err, l)
	}
	if l, err := client.RbacV1().ClusterRoleBindings().List(ctx, sel); err != nil || len(l.Items) > 0 {
		t.Errorf("cluster role bindings left: %v %v", err, l)
	}
	if _, err := client.RbacV1().ClusterRoles().Get(ctx, "kubetutor-workshop-"+name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("cluster role left: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*"))
	if len(files) != 1 || filepath.Base(files[0]) != name+"-report.json" {
		t.Errorf("files left in %s: %v, want only the report", out, files)
	}
	if _, err := os.Stat(filepath.Join(dir, "state", "kubetutor", "workshops", name+".json")); !os.IsNotExist(err) {
		t.Errorf("the workshop's record is left: %v", err)
	}
	// The learner's token died with the namespace's service account.
	if _, err := lc.CoreV1().Pods(name+"-01").List(ctx, metav1.ListOptions{}); err == nil {
		t.Error("learner 01's kubeconfig still works after down")
	}
	lap("done")
}

// dumpNamespace logs a namespace's pods and events, to tell why evidence
// was judged as it was.
func dumpNamespace(ctx context.Context, t *testing.T, client kubernetes.Interface, ns string) {
	var b strings.Builder
	fmt.Fprintf(&b, "namespace %s\n", ns)
	pods, _ := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	for _, p := range pods.Items {
		fmt.Fprintf(&b, "  pod %s uid=%s node=%s created=%s\n", p.Name, p.UID, p.Spec.NodeName, p.CreationTimestamp.UTC().Format(time.RFC3339))
	}
	evs, _ := client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
	var ptrs []*corev1.Event
	for i := range evs.Items {
		ptrs = append(ptrs, &evs.Items[i])
	}
	step.SortEvents(ptrs)
	for _, e := range ptrs {
		fmt.Fprintf(&b, "  %s…%s %s %s/%s uid=%s: %s\n", step.EventFirst(e).UTC().Format("15:04:05.000"), step.EventLast(e).UTC().Format("15:04:05"),
			e.Reason, e.InvolvedObject.Kind, e.InvolvedObject.Name, e.InvolvedObject.UID, e.Message)
	}
	t.Log(b.String())
}

// mariadbMemory sums the resident memory of this machine's mariadbd
// processes (the lab's pods run on it).
func mariadbMemory() (n int, rss int64) {
	dirs, _ := filepath.Glob("/proc/[0-9]*/status")
	for _, f := range dirs {
		raw, err := os.ReadFile(f)
		if err != nil || !strings.Contains(string(raw), "Name:\tmariadbd\n") {
			continue
		}
		for _, line := range strings.Split(string(raw), "\n") {
			var kb int64
			if _, err := fmt.Sscanf(line, "VmRSS: %d kB", &kb); err == nil {
				n++
				rss += kb << 10
			}
		}
	}
	return n, rss
}

// serveE2E runs `workshop serve` and checks that /api/snapshot answers the
// status's JSON and that /api/events delivers a change in the cluster
// within 2 s.
func serveE2E(ctx context.Context, t *testing.T, k kt, client kubernetes.Interface, name string, st map[string]Learner) {
	t.Helper()
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	cmd := exec.CommandContext(sctx, k.bin, "--lang", "en", "--kubeconfig", k.admin, "workshop", "serve", name, "--addr", "127.0.0.1:0")
	cmd.Env = k.env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stop(); cmd.Wait() }() // the server runs until stopped
	sc := bufio.NewScanner(stderr)
	base := ""
	for base == "" && sc.Scan() {
		if i := strings.Index(sc.Text(), "http://"); i >= 0 {
			base = strings.Fields(sc.Text()[i:])[0]
		}
	}
	if base == "" {
		t.Fatal("workshop serve printed no URL")
	}
	go io.Copy(io.Discard, stderr)
	resp, err := http.Get(base + "api/snapshot")
	if err != nil {
		t.Fatal(err)
	}
	var snap Snapshot
	err = json.NewDecoder(resp.Body).Decode(&snap)
	resp.Body.Close()
	if err != nil || snap.Workshop != name || len(snap.Learners) != len(st) {
		t.Fatalf("/api/snapshot: %v %+v", err, snap)
	}
	for _, l := range snap.Learners {
		if w := st[l.Name]; l.Step != w.Step || l.StepIndex != w.StepIndex || l.State != w.State || l.Namespace != w.Namespace {
			t.Errorf("/api/snapshot says %+v, status said %+v", l, w)
		}
	}

	req, _ := http.NewRequestWithContext(sctx, http.MethodGet, base+"api/events", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := make(chan [2]string, 64)
	go func() {
		defer close(events)
		r := bufio.NewScanner(resp.Body)
		r.Buffer(make([]byte, 1<<20), 1<<20)
		var ev string
		for r.Scan() {
			line := r.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				events <- [2]string{ev, strings.TrimPrefix(line, "data: ")}
			}
		}
	}()
	if first := <-events; first[0] != "snapshot" {
		t.Fatalf("first event %q, want snapshot", first[0])
	}
	// The page in a real browser: one row per learner in the state the
	// status said, its own event stream connected.
	page := browsertest.Start(t, 2*time.Minute)
	if err := chromedp.Do(page,
		chromedp.Navigate(base+"?lang=en"),
		chromedp.WaitVisible(`#conn[data-live="true"]`),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`window.notReloaded = true`)(ctx, tg)
			return err
		}),
	); err != nil {
		t.Fatalf("the page from workshop serve: %v", err)
	}
	rows, err := chromedp.Run(page, chromedp.Evaluate[[]string](`[...document.querySelectorAll('tr.learner')].map(r => r.dataset.name + ':' + r.dataset.state)`))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, l := range snap.Learners {
		want = append(want, l.Name+":"+string(l.State))
	}
	slices.Sort(rows)
	slices.Sort(want)
	if !slices.Equal(rows, want) {
		t.Errorf("the page's rows %v, the snapshot's %v", rows, want)
	}
	// A change in learner 03's namespace: a warning.
	ns := name + "-03"
	changed := time.Now()
	ev := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: "e2e-"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "mysql-0", Namespace: ns}, Reason: "BackOff", Type: corev1.EventTypeWarning,
		Message: "Back-off restarting failed container (e2e)", FirstTimestamp: metav1.Now(), LastTimestamp: metav1.Now()}
	if _, err := client.CoreV1().Events(ns).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(2 * time.Second)
	for {
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatal("the event stream ended")
			}
			if e[0] == "row" && strings.Contains(e[1], "(e2e)") {
				t.Logf("/api/events delivered the change after %s", time.Since(changed).Round(time.Millisecond))
				pageShows(t, page, ns, changed)
				return
			}
		case <-deadline:
			t.Fatal("/api/events did not deliver the change within 2 s")
		}
	}
}

// pageShows waits until the browser's page shows the warning made at
// changed in learner ns's row, without a reload, within 2 s of the change;
// then it saves a screenshot.
func pageShows(t *testing.T, page context.Context, ns string, changed time.Time) {
	t.Helper()
	row := fmt.Sprintf(`tr.learner[data-name=%q]`, ns[strings.LastIndex(ns, "-")+1:])
	wctx, cancel := context.WithDeadline(page, changed.Add(2*time.Second))
	_, err := chromedp.Run(wctx, chromedp.Poll[bool](fmt.Sprintf(`(document.querySelector(%q)?.textContent || "").includes("(e2e)")`, row)))
	cancel()
	if err != nil {
		text, _ := chromedp.Run(page, chromedp.Text(`body`))
		t.Fatalf("the page did not show the change within 2 s (%v):\n%s", err, text)
	}
	t.Logf("the page showed the change after %s", time.Since(changed).Round(time.Millisecond))
	still, err := chromedp.Run(page, chromedp.Evaluate[bool](`window.notReloaded === true`))
	if err != nil || !still {
		t.Errorf("the page was reloaded (%v)", err)
	}
	browsertest.Screenshot(t, page, filepath.Join("testdata", "artifacts"), "workshop-lab")
}
