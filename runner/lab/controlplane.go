package lab

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// etcdArgs runs a single-member etcd on loopback, plain HTTP (it is reached
// only from this machine's loopback).
func etcdArgs(l layout) []string {
	client := fmt.Sprintf("http://127.0.0.1:%d", etcdClientPort)
	peer := fmt.Sprintf("http://127.0.0.1:%d", etcdPeerPort)
	return flags(
		"name", "lab",
		"data-dir", l.etcdData(),
		"listen-client-urls", client,
		"advertise-client-urls", client,
		"listen-peer-urls", peer,
		"initial-advertise-peer-urls", peer,
		"initial-cluster", "lab="+peer,
		"log-level", "warn",
	)
}

// apiserverArgs binds to loopback only, so every client (kubeconfigs, the
// components, tests) talks to 127.0.0.1 and a stopped lab can never make a
// client send packets towards a real interface. It advertises APIServerIP
// (a lo address) because the kubernetes Service may not point at loopback.
func apiserverArgs(l layout) []string {
	return flags(
		"etcd-servers", fmt.Sprintf("http://127.0.0.1:%d", etcdClientPort),
		"bind-address", "127.0.0.1",
		"advertise-address", APIServerIP,
		"secure-port", fmt.Sprint(APIServerPort),
		"service-cluster-ip-range", ServiceCIDR,
		"client-ca-file", l.pki("ca.crt"),
		"tls-cert-file", l.pki("apiserver.crt"),
		"tls-private-key-file", l.pki("apiserver.key"),
		"kubelet-client-certificate", l.pki("apiserver-kubelet-client.crt"),
		"kubelet-client-key", l.pki("apiserver-kubelet-client.key"),
		"kubelet-preferred-address-types", "InternalIP",
		"service-account-issuer", "https://kubernetes.default.svc."+ClusterDomain,
		"service-account-key-file", l.pki("sa.pub"),
		"service-account-signing-key-file", l.pki("sa.key"),
		"authorization-mode", "Node,RBAC",
		"enable-admission-plugins", "NodeRestriction",
		"allow-privileged", "true",
		"profiling", "false",
	)
}

func controllerManagerArgs(l layout) []string {
	kc := l.kubeconfig("controller-manager")
	return flags(
		"kubeconfig", kc,
		"authentication-kubeconfig", kc,
		"authorization-kubeconfig", kc,
		"bind-address", "127.0.0.1",
		"secure-port", "10257",
		"leader-elect", "false",
		"root-ca-file", l.pki("ca.crt"),
		"cluster-signing-cert-file", l.pki("ca.crt"),
		"cluster-signing-key-file", l.pki("ca.key"),
		"service-account-private-key-file", l.pki("sa.key"),
		"use-service-account-credentials", "true",
		"allocate-node-cidrs", "true",
		"cluster-cidr", PodCIDR,
		"node-cidr-mask-size", "24",
		"service-cluster-ip-range", ServiceCIDR,
		"enable-hostpath-provisioner", "true",
		"profiling", "false",
	)
}

func schedulerArgs(l layout) []string {
	kc := l.kubeconfig("scheduler")
	return flags(
		"kubeconfig", kc,
		"authentication-kubeconfig", kc,
		"authorization-kubeconfig", kc,
		"bind-address", "127.0.0.1",
		"secure-port", "10259",
		"leader-elect", "false",
		"profiling", "false",
	)
}

// startEtcd starts etcd unless it runs and waits until it is healthy.
func startEtcd(ctx context.Context, p procs, b binaries) error {
	if _, err := p.start("etcd", b.path("etcd"), etcdArgs(p.l), nil); err != nil {
		return err
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/health", etcdClientPort)
	c := &http.Client{Timeout: 2 * time.Second}
	return waitFor(ctx, 60*time.Second, "etcd (see .lab/logs/etcd.log)", func(ctx context.Context) error {
		return httpOK(ctx, c, url)
	})
}

// startAPIServer starts kube-apiserver unless it runs and waits for /readyz.
func startAPIServer(ctx context.Context, p procs, b binaries) error {
	if _, err := p.start("kube-apiserver", b.path("kube-apiserver"), apiserverArgs(p.l), nil); err != nil {
		return err
	}
	c, err := httpsClient(p.l, "super-admin")
	if err != nil {
		return err
	}
	url := APIServerURL + "/readyz"
	return waitFor(ctx, 120*time.Second, "kube-apiserver (see .lab/logs/kube-apiserver.log)", func(ctx context.Context) error {
		return httpOK(ctx, c, url)
	})
}

// startControllers starts controller-manager and scheduler unless they run
// and waits for their health endpoints.
func startControllers(ctx context.Context, p procs, b binaries) error {
	if _, err := p.start("kube-controller-manager", b.path("kube-controller-manager"), controllerManagerArgs(p.l), nil); err != nil {
		return err
	}
	if _, err := p.start("kube-scheduler", b.path("kube-scheduler"), schedulerArgs(p.l), nil); err != nil {
		return err
	}
	c, err := httpsClient(p.l, "super-admin")
	if err != nil {
		return err
	}
	c.Transport.(*http.Transport).TLSClientConfig.InsecureSkipVerify = true // self-signed serving certs
	for name, url := range map[string]string{
		"kube-controller-manager": "https://127.0.0.1:10257/healthz",
		"kube-scheduler":          "https://127.0.0.1:10259/healthz",
	} {
		if err := waitFor(ctx, 60*time.Second, name+" (see .lab/logs/"+name+".log)", func(ctx context.Context) error {
			return httpOK(ctx, c, url)
		}); err != nil {
			return err
		}
	}
	return nil
}
