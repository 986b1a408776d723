package lab

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// renderKubeconfig writes a kubeconfig with embedded credentials.
func renderKubeconfig(server string, ca, cert, key []byte) string {
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: kubetutor-lab
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: kubetutor-lab
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: kubetutor-lab
  context:
    cluster: kubetutor-lab
    user: kubetutor-lab
current-context: kubetutor-lab
`, server, b64(ca), b64(cert), b64(key))
}

// renderContainerdConfig is one node's containerd configuration: its own
// root, state, socket and CNI configuration directory; cgroupfs; no negative
// OOM scores (this kind of VM lacks CAP_SYS_RESOURCE).
func renderContainerdConfig(l layout, i int) string {
	n := l.node(i)
	return fmt.Sprintf(`version = 2
root = %q
state = %q
oom_score = 0

[grpc]
  address = %q

[ttrpc]
  address = %q

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %q
  restrict_oom_score_adj = true
  disable_hugetlb_controller = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = %q
`, n+"/containerd/root", n+"/containerd/state", l.containerdSock(i), l.containerdSock(i)+".ttrpc",
		PauseImage, l.cniConfDir(i))
}

// renderCNIConfig is one node's CNI network: a bridge of its own with the
// pod CIDR the controller-manager allocated to the node. containerd's CRI
// sets up lo itself, so loopback is not in the chain.
func renderCNIConfig(l layout, i int, podCIDR string) string {
	conf := map[string]any{
		"cniVersion": "0.4.0",
		"name":       "kubetutor-lab",
		"plugins": []any{map[string]any{
			"type":        "bridge",
			"bridge":      bridgeName(i),
			"isGateway":   true,
			"ipMasq":      false,
			"hairpinMode": true,
			"ipam": map[string]any{
				"type":    "host-local",
				"ranges":  [][]map[string]string{{{"subnet": podCIDR}}},
				"routes":  []map[string]string{{"dst": "0.0.0.0/0"}},
				"dataDir": l.node(i) + "/cni/ipam",
			},
		}},
	}
	b, _ := json.MarshalIndent(conf, "", "  ")
	return string(b) + "\n"
}

// renderKubeletConfig is one node's KubeletConfiguration.
func renderKubeletConfig(l layout, i int) string {
	n := l.node(i)
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: %[1]s
port: 10250
readOnlyPort: 0
healthzBindAddress: %[1]s
healthzPort: 10248
tlsCertFile: %[2]s
tlsPrivateKeyFile: %[3]s
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: %[4]s
authorization:
  mode: Webhook
cgroupDriver: cgroupfs
cgroupRoot: /%[5]s
cgroupsPerQOS: true
failCgroupV1: false
failSwapOn: false
oomScoreAdj: 0
clusterDNS:
- %[6]s
clusterDomain: %[7]s
resolvConf: %[8]s
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%%
  nodefs.inodesFree: 1%%
  imagefs.available: 1%%
podLogsDir: %[9]s/pod-logs
volumePluginDir: %[9]s/volume-plugins
containerRuntimeEndpoint: unix://%[10]s
serializeImagePulls: false
rotateCertificates: false
protectKernelDefaults: false
maxPods: 50
`, nodeIP(i), l.pki("kubelet-serving-"+NodeName(i)+".crt"), l.pki("kubelet-serving-"+NodeName(i)+".key"), l.pki("ca.crt"),
		NodeName(i), KubeDNSIP, ClusterDomain, l.resolvConf(), n, l.containerdSock(i))
}

// renderResolvConf is the resolv.conf handed to pods: only the cluster DNS,
// never the host's resolver.
func renderResolvConf() string {
	return fmt.Sprintf("nameserver %s\n", KubeDNSIP)
}

// renderCorefile serves cluster.local (and reverse zones) from the
// apiserver; there is no upstream, so nothing is forwarded off the machine.
func renderCorefile(l layout) string {
	return fmt.Sprintf(`.:53 {
    bind %s
    errors
    health 127.0.0.1:18080
    ready 127.0.0.1:18181
    kubernetes %s in-addr.arpa ip6.arpa {
        kubeconfig %s kubetutor-lab
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 5
    }
    cache 5
}
`, DNSHostIP, ClusterDomain, l.kubeconfig("coredns"))
}

// flags turns ordered key/value pairs into --key=value arguments.
func flags(kv ...string) []string {
	out := make([]string, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, "--"+kv[i]+"="+kv[i+1])
	}
	return out
}
