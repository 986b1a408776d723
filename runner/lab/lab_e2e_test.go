//go:build e2e

package lab_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/transport/spdy"
	"k8s.io/kubectl/pkg/drain"
	"k8s.io/utils/ptr"

	"github.com/kubetutor/kubetutor/runner/lab"
)

// e2e bundles the cluster connection and the test's namespace.
type e2e struct {
	t   *testing.T
	cfg *rest.Config
	cs  kubernetes.Interface
	ns  string
}

const e2eLabel = "kubetutor-e2e"

// TestLabE2E checks the running lab ($KUBECONFIG) against issue 3: three Ready
// workers with the lab's images, a pod on each, DNS, a ClusterIP service, a PVC that keeps its
// data, exec/logs/port-forward, and drain moving a pod. It fails (never
// skips) when the lab is not reachable.
func TestLabE2E(t *testing.T) {
	path := os.Getenv("KUBECONFIG")
	if path == "" {
		t.Fatal("KUBECONFIG is not set: start the lab (make lab-up) and run with KUBECONFIG=.lab/kubeconfig")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	cfg.QPS, cfg.Burst = 50, 100
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	if _, err := cs.Discovery().ServerVersion(); err != nil {
		t.Fatalf("the lab at %s is unreachable: %v (start it with make lab-up)", cfg.Host, err)
	}
	ns, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "lab-e2e-"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		_ = cs.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{})
		_ = wait.PollUntilContextCancel(ctx, time.Second, true, func(ctx context.Context) (bool, error) {
			_, err := cs.CoreV1().Namespaces().Get(ctx, ns.Name, metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		})
	})
	e := &e2e{t: t, cfg: cfg, cs: cs, ns: ns.Name}

	nodes := e.readyWorkers(ctx)
	t.Run("images on each node", func(t *testing.T) { e.imagesOnEachNode(ctx, t, nodes) })
	t.Run("pod on each node", func(t *testing.T) { e.podOnEachNode(ctx, t, nodes) })
	e.deployEcho(ctx)
	t.Run("DNS", func(t *testing.T) { e.dns(ctx, t) })
	t.Run("ClusterIP service", func(t *testing.T) { e.clusterIP(ctx, t) })
	t.Run("logs", func(t *testing.T) { e.logs(ctx, t) })
	t.Run("port-forward", func(t *testing.T) { e.portForward(ctx, t) })
	t.Run("PVC keeps data", func(t *testing.T) { e.pvc(ctx, t) })
	t.Run("drain moves a pod", func(t *testing.T) { e.drain(ctx, t) })
}

// readyWorkers requires three Ready nodes and returns their names.
func (e *e2e) readyWorkers(ctx context.Context) []string {
	e.t.Helper()
	var names []string
	var last string
	err := wait.PollUntilContextTimeout(ctx, time.Second, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		list, err := e.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			last = err.Error()
			return false, nil
		}
		names, last = nil, ""
		for _, n := range list.Items {
			ready := false
			for _, c := range n.Status.Conditions {
				ready = ready || (c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue)
			}
			if ready && !n.Spec.Unschedulable {
				names = append(names, n.Name)
			} else {
				last += n.Name + " not Ready or cordoned; "
			}
		}
		return len(names) >= 3, nil
	})
	if err != nil {
		e.t.Fatalf("want 3 Ready schedulable workers, have %v (%s)", names, last)
	}
	return names
}

// imagesOnEachNode checks that every node reports the lab's images in its
// status (the kubelet lists what its containerd holds).
func (e *e2e) imagesOnEachNode(ctx context.Context, t *testing.T, nodes []string) {
	want := []string{lab.PauseImage, lab.MariaDBImage, lab.MehdbImage, lab.JumpImage}
	var last string
	err := wait.PollUntilContextTimeout(ctx, time.Second, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		last = ""
		for _, n := range nodes {
			node, err := e.cs.CoreV1().Nodes().Get(ctx, n, metav1.GetOptions{})
			if err != nil {
				last = err.Error()
				return false, nil
			}
			have := map[string]bool{}
			for _, img := range node.Status.Images {
				for _, name := range img.Names {
					have[name] = true
				}
			}
			for _, w := range want {
				if !have[w] {
					last += fmt.Sprintf("%s lacks %s; ", n, w)
				}
			}
		}
		return last == "", nil
	})
	if err != nil {
		t.Fatalf("images missing: %s", last)
	}
}

func testPod(name string, labels map[string]string, script string) *corev1.Pod {
	if labels == nil {
		labels = map[string]string{}
	}
	labels[e2eLabel] = "1"
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec:       podSpec(script),
	}
}

func podSpec(script string) corev1.PodSpec {
	return corev1.PodSpec{
		TerminationGracePeriodSeconds: ptr.To[int64](1),
		Containers: []corev1.Container{{
			Name:            "c",
			Image:           lab.MariaDBImage,
			ImagePullPolicy: corev1.PullNever,
			Command:         []string{"bash", "-c", script},
		}},
	}
}

// waitRunning waits until the pod runs and returns it.
func (e *e2e) waitRunning(ctx context.Context, t *testing.T, name string) *corev1.Pod {
	t.Helper()
	var pod *corev1.Pod
	last := "not created"
	err := wait.PollUntilContextTimeout(ctx, 300*time.Millisecond, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		p, err := e.cs.CoreV1().Pods(e.ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			last = err.Error()
			return false, nil
		}
		pod = p
		last = fmt.Sprintf("phase %s on %q", p.Status.Phase, p.Spec.NodeName)
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				return true, nil
			}
		}
		for _, cs := range p.Status.ContainerStatuses {
			if w := cs.State.Waiting; w != nil {
				last += fmt.Sprintf(", waiting: %s %s", w.Reason, w.Message)
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("pod %s not Ready: last seen %s", name, last)
	}
	return pod
}

func (e *e2e) podOnEachNode(ctx context.Context, t *testing.T, nodes []string) {
	for i, n := range nodes {
		p := testPod(fmt.Sprintf("on-node-%d", i), nil, "exec sleep infinity")
		p.Spec.NodeSelector = map[string]string{"kubernetes.io/hostname": n}
		if _, err := e.cs.CoreV1().Pods(e.ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for i, n := range nodes {
		p := e.waitRunning(ctx, t, fmt.Sprintf("on-node-%d", i))
		if p.Spec.NodeName != n || p.Status.PodIP == "" {
			t.Errorf("pod %s: node %q IP %q, want node %q with an IP", p.Name, p.Spec.NodeName, p.Status.PodIP, n)
		}
	}
	// Pod to pod across nodes: on-node-0 reaches on-node-1's IP (pods on
	// different bridges talk through the host).
	other, err := e.cs.CoreV1().Pods(e.ns).Get(ctx, "on-node-1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.cs.CoreV1().Pods(e.ns).Get(ctx, "on-node-0", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	e.execRetry(ctx, t, "on-node-1", "", "(ncat -lk -p 7000 -c 'echo pong' >/dev/null 2>&1 &) ; sleep 0.5; echo started")
	e.execRetry(ctx, t, "on-node-0", "pong", "ncat -w 3 --recv-only "+other.Status.PodIP+" 7000")
}

// deployEcho creates a headless Service "web" with a StatefulSet "web" of
// two echo servers, a ClusterIP Service "echo" in front of them, and a
// client pod; all checks below use them.
func (e *e2e) deployEcho(ctx context.Context) {
	t := e.t
	labels := map[string]string{"app": "web", e2eLabel: "1"}
	svcs := []*corev1.Service{
		{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: corev1.ServiceSpec{
			ClusterIP: corev1.ClusterIPNone, Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 8080}},
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "echo"}, Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "web"},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}},
		}},
	}
	for _, s := range svcs {
		if _, err := e.cs.CoreV1().Services(e.ns).Create(ctx, s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// One connection per ncat: `ncat -lk --sh-exec` dies with "assertion
	// failed: count <= INT_MAX" when a client (a TCP probe) closes early.
	spec := podSpec("echo logs-marker-$HOSTNAME; while :; do echo hello from $HOSTNAME | ncat -l -p 8080 --send-only -w 5 2>/dev/null; done")
	spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}
	// No TCP readiness probe: its connections would keep the one-at-a-time
	// server busy; the checks below retry until it answers.
	sts := &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.StatefulSetSpec{
			ServiceName:         "web",
			Replicas:            ptr.To[int32](2),
			PodManagementPolicy: appsv1.ParallelPodManagement,
			Selector:            &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template:            corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec},
		},
	}
	if _, err := e.cs.AppsV1().StatefulSets(e.ns).Create(ctx, sts, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cs.CoreV1().Pods(e.ns).Create(ctx, testPod("client", nil, "exec sleep infinity"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.waitRunning(ctx, t, "web-0")
	e.waitRunning(ctx, t, "web-1")
	e.waitRunning(ctx, t, "client")
}

func (e *e2e) dns(ctx context.Context, t *testing.T) {
	for _, name := range []string{"web-0.web", "web-1.web", "web-0.web." + e.ns + ".svc.cluster.local", "echo", "kubernetes.default", "kubernetes.default.svc.cluster.local"} {
		out := e.execRetry(ctx, t, "client", ".", "getent hosts "+name)
		t.Logf("%s -> %s", name, strings.TrimSpace(out))
	}
}

func (e *e2e) clusterIP(ctx context.Context, t *testing.T) {
	svc, err := e.cs.CoreV1().Services(e.ns).Get(ctx, "echo", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.execRetry(ctx, t, "client", "hello from web-", "ncat -w 3 --recv-only "+svc.Spec.ClusterIP+" 80")
	e.execRetry(ctx, t, "client", "hello from web-", "ncat -w 3 --recv-only echo 80")
}

func (e *e2e) logs(ctx context.Context, t *testing.T) {
	b, err := e.cs.CoreV1().Pods(e.ns).GetLogs("web-0", &corev1.PodLogOptions{}).DoRaw(ctx)
	if err != nil {
		t.Fatalf("logs of web-0: %v", err)
	}
	if !strings.Contains(string(b), "logs-marker-web-0") {
		t.Fatalf("logs of web-0 = %q, want the marker line", b)
	}
}

func (e *e2e) portForward(ctx context.Context, t *testing.T) {
	// A refused connection inside the pod ends a whole forwarder ("lost
	// connection to pod"), and the echo server takes one connection at a
	// time: each attempt gets a forwarder of its own.
	var last string
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		got, err := e.forwardOnce(ctx, "web-1", 8080)
		if err != nil {
			last = err.Error()
			return false, nil
		}
		last = got
		return strings.Contains(got, "hello from web-1"), nil
	})
	if err != nil {
		t.Fatalf("through port-forward to web-1:8080: want hello from web-1, last got %q", last)
	}
}

// forwardOnce forwards a free local port to the pod's port, as kubectl
// port-forward does, and returns what one connection through it reads.
func (e *e2e) forwardOnce(ctx context.Context, pod string, port int) (string, error) {
	transport, upgrader, err := spdy.RoundTripperFor(e.cfg)
	if err != nil {
		return "", err
	}
	url := e.cs.CoreV1().RESTClient().Post().Resource("pods").Namespace(e.ns).Name(pod).SubResource("portforward").URL()
	dialer := spdy.NewDialer(upgrader, &http.Client{Transport: transport}, http.MethodPost, url)
	stop, ready := make(chan struct{}), make(chan struct{})
	defer close(stop)
	var out, errOut bytes.Buffer
	fw, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, []string{fmt.Sprintf("0:%d", port)}, stop, ready, &out, &errOut)
	if err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() { done <- fw.ForwardPorts() }()
	select {
	case <-ready:
	case err := <-done:
		return "", fmt.Errorf("port-forward ended: %v %s", err, errOut.String())
	case <-time.After(10 * time.Second):
		return "", fmt.Errorf("port-forward not ready: %s", errOut.String())
	}
	ports, err := fw.GetPorts()
	if err != nil || len(ports) != 1 {
		return "", fmt.Errorf("ports %v: %v", ports, err)
	}
	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", ports[0].Local), 5*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	b, _ := io.ReadAll(conn)
	return string(b), nil
}

func (e *e2e) pvc(ctx context.Context, t *testing.T) {
	pvc := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "data"},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Mi")}},
		},
	}
	if _, err := e.cs.CoreV1().PersistentVolumeClaims(e.ns).Create(ctx, pvc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var phase corev1.PersistentVolumeClaimPhase
	if err := wait.PollUntilContextTimeout(ctx, 300*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		p, err := e.cs.CoreV1().PersistentVolumeClaims(e.ns).Get(ctx, "data", metav1.GetOptions{})
		if err == nil {
			phase = p.Status.Phase
		}
		return phase == corev1.ClaimBound, nil
	}); err != nil {
		t.Fatalf("PVC data is %q, want Bound (is the default StorageClass there?)", phase)
	}
	mk := func(name string) {
		p := testPod(name, nil, "exec sleep infinity")
		p.Spec.Volumes = []corev1.Volume{{Name: "d", VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}}}
		p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "d", MountPath: "/data"}}
		if _, err := e.cs.CoreV1().Pods(e.ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		e.waitRunning(ctx, t, name)
	}
	mk("writer")
	e.execRetry(ctx, t, "writer", "written", "echo persisted-"+e.ns+" > /data/f && sync && echo written")
	if err := e.cs.CoreV1().Pods(e.ns).Delete(ctx, "writer", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
		t.Fatal(err)
	}
	mk("reader")
	e.execRetry(ctx, t, "reader", "persisted-"+e.ns, "cat /data/f")
}

func (e *e2e) drain(ctx context.Context, t *testing.T) {
	labels := map[string]string{"app": "mover", e2eLabel: "1"}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "mover"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "mover"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: podSpec("exec sleep infinity")},
		},
	}
	if _, err := e.cs.AppsV1().Deployments(e.ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	from := e.moverNode(ctx, t, "")
	node, err := e.cs.CoreV1().Nodes().Get(ctx, from, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h := &drain.Helper{
		Ctx: ctx, Client: e.cs, Force: true, IgnoreAllDaemonSets: true, DeleteEmptyDirData: true,
		GracePeriodSeconds: -1, Timeout: 90 * time.Second,
		PodSelector: "app=mover," + e2eLabel + "=1", // only our pod: others may be using the lab
		Out:         testWriter{t}, ErrOut: testWriter{t},
	}
	t.Cleanup(func() {
		n, err := e.cs.CoreV1().Nodes().Get(context.Background(), from, metav1.GetOptions{})
		if err == nil {
			h.Ctx = context.Background()
			_ = drain.RunCordonOrUncordon(h, n, false)
		}
	})
	if err := drain.RunCordonOrUncordon(h, node, true); err != nil {
		t.Fatalf("cordon %s: %v", from, err)
	}
	if err := drain.RunNodeDrain(h, from); err != nil {
		t.Fatalf("drain %s: %v", from, err)
	}
	to := e.moverNode(ctx, t, from)
	t.Logf("drain moved the pod from %s to %s", from, to)
}

// moverNode waits for a Ready pod of the mover Deployment on a node other
// than not, and returns that node.
func (e *e2e) moverNode(ctx context.Context, t *testing.T, not string) string {
	t.Helper()
	var node, last string
	err := wait.PollUntilContextTimeout(ctx, 300*time.Millisecond, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		pods, err := e.cs.CoreV1().Pods(e.ns).List(ctx, metav1.ListOptions{LabelSelector: "app=mover"})
		if err != nil {
			last = err.Error()
			return false, nil
		}
		last = fmt.Sprintf("%d pods", len(pods.Items))
		for _, p := range pods.Items {
			if p.DeletionTimestamp != nil || p.Spec.NodeName == "" || p.Spec.NodeName == not {
				continue
			}
			for _, c := range p.Status.Conditions {
				if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
					node = p.Spec.NodeName
					return true, nil
				}
			}
			last = fmt.Sprintf("pod %s on %s not Ready", p.Name, p.Spec.NodeName)
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("no Ready mover pod off %q: %s", not, last)
	}
	return node
}

// execRetry runs script in the pod (through the apiserver, as kubectl exec
// does) until its output contains want, for at most 60 s.
func (e *e2e) execRetry(ctx context.Context, t *testing.T, pod, want, script string) string {
	t.Helper()
	var out, last string
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		stdout, stderr, err := e.exec(ctx, pod, script)
		out = stdout
		if err != nil {
			last = fmt.Sprintf("%v: %s%s", err, stdout, stderr)
			return false, nil
		}
		last = stdout + stderr
		return strings.Contains(stdout, want), nil
	})
	if err != nil {
		t.Fatalf("exec %q in %s: want output containing %q, last got %q", script, pod, want, last)
	}
	return out
}

func (e *e2e) exec(ctx context.Context, pod, script string) (string, string, error) {
	req := e.cs.CoreV1().RESTClient().Post().Resource("pods").Namespace(e.ns).Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Container: "c", Command: []string{"bash", "-c", script}, Stdout: true, Stderr: true}, scheme.ParameterCodec)
	ex, err := remotecommand.NewSPDYExecutor(e.cfg, http.MethodPost, req.URL())
	if err != nil {
		return "", "", err
	}
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	err = ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &stdout, Stderr: &stderr})
	return stdout.String(), stderr.String(), err
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
