// Package kube is kubetutor's one seam to the cluster: a Cluster bundles every
// client the steps use (typed, dynamic, RESTMapper, scale, pod exec, port
// forwarding) behind interfaces, so the same step code runs against the
// fake clientset in unit tests and a real cluster in e2e.
package kube

import (
	"fmt"
	"path/filepath"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/scale"
)

// Cluster is everything kubetutor needs to act on and watch a cluster, in
// one namespace. Build it with New (real cluster) or NewFromParts (tests).
type Cluster struct {
	// Client is the typed clientset.
	Client kubernetes.Interface
	// Dynamic reads and writes arbitrary kinds (apply, exists, cleanup).
	Dynamic dynamic.Interface
	// Mapper maps kinds to resources.
	Mapper meta.RESTMapper
	// Scales gets and updates the scale subresource.
	Scales scale.ScalesGetter
	// Exec runs commands in containers.
	Exec Executor
	// Forward opens connections to pod ports.
	Forward PortForwarder
	// Namespace is where the lesson runs (-n, else the kubeconfig's, else "default").
	Namespace string
	// Config is the REST config (nil in tests).
	Config *rest.Config
	// Context is the kubeconfig context's name, for messages ("" in tests).
	Context string
	// Kubectl are the flags a kubectl typed by hand needs to reach the same
	// cluster and namespace, beyond what it reads by itself: --kubeconfig
	// when one was given on the command line, --context when it is not the
	// current context, -n when it is not that context's namespace. Empty
	// when the kubeconfig's defaults are where the lesson runs.
	Kubectl []string
}

// Parts are the pieces of a Cluster; tests pass fakes.
type Parts struct {
	Client    kubernetes.Interface
	Dynamic   dynamic.Interface
	Mapper    meta.RESTMapper
	Scales    scale.ScalesGetter
	Exec      Executor
	Forward   PortForwarder
	Namespace string
}

// NewFromParts builds a Cluster from ready-made clients, e.g. the fakes of
// package kubefake. An empty namespace means "default".
func NewFromParts(p Parts) *Cluster {
	ns := p.Namespace
	if ns == "" {
		ns = "default"
	}
	return &Cluster{Client: p.Client, Dynamic: p.Dynamic, Mapper: p.Mapper, Scales: p.Scales,
		Exec: p.Exec, Forward: p.Forward, Namespace: ns}
}

// New builds a Cluster from kubectl's connection flags (--kubeconfig,
// --context, -n, …). It does not contact the cluster beyond what building
// a discovery-backed RESTMapper needs lazily.
func New(flags *genericclioptions.ConfigFlags) (*Cluster, error) {
	cfg, err := flags.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("read kubeconfig: %w (pass --kubeconfig or set KUBECONFIG; `kubetutor lab up` writes one)", err)
	}
	// Watches and exec streams are long-lived; client-side throttling would
	// only slow checks down.
	cfg.QPS, cfg.Burst = 50, 100
	ns, _, err := flags.ToRawKubeConfigLoader().Namespace()
	if err != nil || ns == "" {
		ns = "default"
	}
	raw, _ := flags.ToRawKubeConfigLoader().RawConfig()
	ctxName := raw.CurrentContext
	if flags.Context != nil && *flags.Context != "" {
		ctxName = *flags.Context
	}
	var kubectl []string
	if flags.KubeConfig != nil && *flags.KubeConfig != "" {
		path, err := filepath.Abs(*flags.KubeConfig)
		if err != nil {
			path = *flags.KubeConfig
		}
		kubectl = append(kubectl, "--kubeconfig", path)
	}
	if ctxName != raw.CurrentContext {
		kubectl = append(kubectl, "--context", ctxName)
	}
	defaultNS := "default"
	if c, ok := raw.Contexts[ctxName]; ok && c.Namespace != "" {
		defaultNS = c.Namespace
	}
	if ns != defaultNS {
		kubectl = append(kubectl, "-n", ns)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("build clientset: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("build dynamic client: %w", err)
	}
	mapper, err := flags.ToRESTMapper()
	if err != nil {
		return nil, fmt.Errorf("build REST mapper: %w", err)
	}
	disco, err := flags.ToDiscoveryClient()
	if err != nil {
		return nil, fmt.Errorf("build discovery client: %w", err)
	}
	scales, err := scale.NewForConfig(cfg, mapper, dynamic.LegacyAPIPathResolverFunc, scale.NewDiscoveryScaleKindResolver(disco))
	if err != nil {
		return nil, fmt.Errorf("build scale client: %w", err)
	}
	return &Cluster{
		Client: client, Dynamic: dyn, Mapper: mapper, Scales: scales,
		Exec:      &RESTExecutor{Config: cfg, Client: client},
		Forward:   &RESTPortForwarder{Config: cfg, Client: client},
		Namespace: ns, Config: cfg, Context: ctxName, Kubectl: kubectl,
	}, nil
}

// Server is the API server's URL, for messages ("" in tests).
func (c *Cluster) Server() string {
	if c.Config == nil {
		return ""
	}
	return c.Config.Host
}
