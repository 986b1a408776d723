package lab

import (
	"fmt"
	"path/filepath"
)

// Addresses of the lab. All of them are local to the machine: /32 addresses
// on lo inside LabCIDR, bridges the lab creates for PodCIDR, and service IPs
// that only kube-proxy's rules give a meaning to. Blackhole routes cover all
// three ranges, so nothing in them can leave through a real interface.
const (
	LabCIDR       = "10.213.0.0/16"
	PodCIDR       = "10.244.0.0/16"
	ServiceCIDR   = "10.96.0.0/16"
	APIServerIP   = "10.213.0.10" // kube-apiserver advertises this (and binds 127.0.0.1)
	DNSHostIP     = "10.213.0.53" // CoreDNS listens here
	KubeDNSIP     = "10.96.0.10"  // the kube-dns Service
	KubernetesIP  = "10.96.0.1"   // the kubernetes Service
	APIServerPort = 6443
	// APIServerURL is the server of every kubeconfig the lab writes.
	APIServerURL   = "https://127.0.0.1:6443"
	etcdClientPort = 23790
	etcdPeerPort   = 23800
	ClusterDomain  = "cluster.local"
	// hostPathPV is where the controller-manager's host-path provisioner
	// always writes (hard-coded upstream); the lab symlinks it to its state.
	hostPathPV = "/tmp/hostpath_pv"
)

// NodeName is the name of worker i (1-based).
func NodeName(i int) string { return fmt.Sprintf("lab-worker-%d", i) }

// nodeIP is the InternalIP of worker i, a /32 on lo.
func nodeIP(i int) string { return fmt.Sprintf("10.213.0.%d", i) }

// bridgeName is the CNI bridge of worker i.
func bridgeName(i int) string { return fmt.Sprintf("lab-br%d", i) }

// layout names every path of the state dir.
type layout struct{ dir string }

func (l layout) pki(name string) string { return filepath.Join(l.dir, "pki", name) }
func (l layout) kubeconfig(name string) string {
	return filepath.Join(l.dir, "kubeconfigs", name+".conf")
}
func (l layout) adminKubeconfig() string { return filepath.Join(l.dir, "kubeconfig") }
func (l layout) logs() string            { return filepath.Join(l.dir, "logs") }
func (l layout) pids() string            { return filepath.Join(l.dir, "pids") }
func (l layout) etcdData() string        { return filepath.Join(l.dir, "etcd") }
func (l layout) pv() string              { return filepath.Join(l.dir, "pv") }
func (l layout) localPV() string         { return filepath.Join(l.dir, "local-pv") }
func (l layout) config(name string) string {
	return filepath.Join(l.dir, "config", name)
}
func (l layout) resolvConf() string { return l.config("resolv.conf") }
func (l layout) created() string    { return filepath.Join(l.dir, "created.json") }
func (l layout) node(i int) string  { return filepath.Join(l.dir, "nodes", NodeName(i)) }
func (l layout) containerdSock(i int) string {
	return filepath.Join(l.node(i), "containerd.sock")
}
func (l layout) cniConfDir(i int) string { return filepath.Join(l.node(i), "cni", "net.d") }
func (l layout) kubeletDir(i int) string { return filepath.Join(l.node(i), "kubelet") }
