package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// stdPATH is prepended to the components' PATH: the kubelet and containerd
// call runc, iptables, mount and friends from the sbin directories.
const stdPATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

func procEnv() []string { return []string{"PATH=" + stdPATH + ":" + os.Getenv("PATH")} }

// deadProxy is handed to containerd as its HTTP(S) proxy: an image that is
// not in the node (nothing can be pulled offline) then fails at once on
// loopback ("proxyconnect … connection refused") instead of sending DNS
// queries and connections for a registry out of the machine. Go's HTTP
// client asks the proxy to resolve names, so no lookup happens either.
var deadProxy = []string{
	"HTTP_PROXY=http://127.0.0.1:9", "HTTPS_PROXY=http://127.0.0.1:9",
	"http_proxy=http://127.0.0.1:9", "https_proxy=http://127.0.0.1:9",
	"NO_PROXY=localhost,127.0.0.1", "no_proxy=localhost,127.0.0.1",
}

func containerdName(i int) string { return "containerd-" + NodeName(i) }
func kubeletName(i int) string    { return "kubelet-" + NodeName(i) }

// startContainerd starts worker i's own containerd and waits for its socket,
// then imports the images (once per image set).
func startContainerd(ctx context.Context, p procs, i int, s imageSet) error {
	l := p.l
	for _, d := range []string{l.cniConfDir(i), l.kubeletDir(i)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := ensureCgroupRoot(NodeName(i)); err != nil {
		return err
	}
	if len(l.containerdSock(i)) > 100 {
		return fmt.Errorf("socket path %s is too long for a unix socket: use a shorter state dir", l.containerdSock(i))
	}
	conf := filepath.Join(l.node(i), "containerd.toml")
	if err := os.WriteFile(conf, []byte(renderContainerdConfig(l, i)), 0o644); err != nil {
		return err
	}
	if _, err := p.start(containerdName(i), "containerd", []string{"--config", conf}, append(procEnv(), deadProxy...)); err != nil {
		return err
	}
	if err := waitFor(ctx, 30*time.Second, containerdName(i), func(ctx context.Context) error {
		return run(ctx, "ctr", []string{"--address", l.containerdSock(i), "version"})
	}); err != nil {
		return err
	}
	return importImages(ctx, l, i, s)
}

// kubeletArgs are worker i's command-line flags (the rest is its config).
func kubeletArgs(l layout, i int) []string {
	return flags(
		"config", filepath.Join(l.node(i), "kubelet.yaml"),
		"kubeconfig", l.kubeconfig("kubelet-"+NodeName(i)),
		"root-dir", l.kubeletDir(i),
		"cert-dir", filepath.Join(l.kubeletDir(i), "pki"),
		"hostname-override", NodeName(i),
		"node-ip", nodeIP(i),
	)
}

// startKubelet starts worker i's kubelet unless it runs, and reports
// whether it started it.
func startKubelet(p procs, i int, b binaries) (bool, error) {
	l := p.l
	if err := os.WriteFile(filepath.Join(l.node(i), "kubelet.yaml"), []byte(renderKubeletConfig(l, i)), 0o644); err != nil {
		return false, err
	}
	return p.start(kubeletName(i), b.path("kubelet"), kubeletArgs(l, i), procEnv())
}

// configureCNI waits until worker i is registered with a pod CIDR, then
// writes its CNI network; containerd picks it up and the node turns Ready.
func configureCNI(ctx context.Context, cs kubernetes.Interface, l layout, i int) error {
	var cidr string
	err := waitFor(ctx, 90*time.Second, NodeName(i)+" registration (see .lab/logs/"+kubeletName(i)+".log)", func(ctx context.Context) error {
		n, err := cs.CoreV1().Nodes().Get(ctx, NodeName(i), metav1.GetOptions{})
		if err != nil {
			return err
		}
		if n.Spec.PodCIDR == "" {
			return errors.New("no pod CIDR allocated yet")
		}
		cidr = n.Spec.PodCIDR
		return nil
	})
	if err != nil {
		return err
	}
	path := filepath.Join(l.cniConfDir(i), "10-kubetutor-lab.conflist")
	want := renderCNIConfig(l, i, cidr)
	if cur, err := os.ReadFile(path); err == nil && string(cur) == want {
		return nil
	}
	return os.WriteFile(path, []byte(want), 0o644)
}

// waitNodesReady waits until every worker reports Ready. For a kubelet
// started at t (non-zero in startedAt), a Ready condition from before t is
// stale (a lab restarted with its state) and does not count.
func waitNodesReady(ctx context.Context, cs kubernetes.Interface, workers int, startedAt []time.Time) error {
	return waitFor(ctx, 120*time.Second, "worker nodes", func(ctx context.Context) error {
		for i := 1; i <= workers; i++ {
			n, err := cs.CoreV1().Nodes().Get(ctx, NodeName(i), metav1.GetOptions{})
			if err != nil {
				return err
			}
			if !nodeReady(n) {
				return fmt.Errorf("%s is not Ready", NodeName(i))
			}
			if t := startedAt[i-1]; !t.IsZero() && readySince(n).Before(t.Add(-time.Second)) {
				return fmt.Errorf("%s has not reported since its kubelet started", NodeName(i))
			}
		}
		return nil
	})
}

// readySince is the last heartbeat of the node's Ready condition.
func readySince(n *corev1.Node) time.Time {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.LastHeartbeatTime.Time
		}
	}
	return time.Time{}
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// kubeProxyArgs: one kube-proxy (iptables mode) serves the whole host; it
// leaves conntrack sysctls alone and serves NodePorts only on lab addresses.
func kubeProxyArgs(l layout) []string {
	return flags(
		"kubeconfig", l.kubeconfig("kube-proxy"),
		"hostname-override", NodeName(1),
		"proxy-mode", "iptables",
		"cluster-cidr", PodCIDR,
		"metrics-bind-address", "127.0.0.1:10249",
		"healthz-bind-address", "127.0.0.1:10256",
		"conntrack-max-per-core", "0",
		"conntrack-tcp-timeout-established", "0",
		"conntrack-tcp-timeout-close-wait", "0",
		"nodeport-addresses", LabCIDR,
	)
}

// startKubeProxy starts kube-proxy unless it runs.
func startKubeProxy(p procs, b binaries) error {
	_, err := p.start("kube-proxy", b.path("kube-proxy"), kubeProxyArgs(p.l), procEnv())
	return err
}
