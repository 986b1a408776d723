package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
)

// record is what Up remembers in the state dir for Down and Status.
type record struct {
	Workers int    `json:"workers"`
	BinDir  string `json:"binDir"`
	// VarLibKubelet is true when Up created /var/lib/kubelet (the kubelet
	// always uses /var/lib/kubelet/device-plugins), so Down removes it.
	VarLibKubelet bool `json:"varLibKubelet"`
	// Storage is the storage mode the last Up applied.
	Storage string `json:"storage,omitempty"`
}

func readRecord(l layout) (record, bool) {
	b, err := os.ReadFile(l.created())
	if err != nil {
		return record{}, false
	}
	var r record
	if json.Unmarshal(b, &r) != nil {
		return record{}, false
	}
	return r, true
}

func writeRecord(l layout, r record) error {
	b, _ := json.MarshalIndent(r, "", "  ")
	return os.WriteFile(l.created(), b, 0o644)
}

// prepare makes sure the runtime packages, binaries and images exist. The
// Debian rootfses (network and disk bound) are made while the Go build
// (CPU bound) runs.
func prepare(ctx context.Context, o Options, r reporter) (binaries, imageSet, error) {
	if err := r.step("runtime packages (containerd, runc, CNI plugins, iptables, debootstrap)", func() error {
		return ensurePackages(ctx)
	}); err != nil {
		return binaries{}, imageSet{}, err
	}
	gov, err := goVersion(ctx)
	if err != nil {
		return binaries{}, imageSet{}, err
	}
	b, key, err := binDir(o, gov)
	if err != nil {
		return binaries{}, imageSet{}, err
	}
	src, err := mehdbSourceHash(o.RepoDir)
	if err != nil {
		return binaries{}, imageSet{}, err
	}
	s := newImageSet(o, b, mehdbImageKey(gov, src))
	type rootfsNeed struct {
		recipe rootfsRecipe
		images string
	}
	var needs []rootfsNeed
	if !s.core.complete() && !mariadbRootfs().complete(o) {
		needs = append(needs, rootfsNeed{mariadbRootfs(), MariaDBImage})
	}
	if !(s.mehdb.complete() && s.jump.complete()) && !smallRootfs().complete(o) {
		needs = append(needs, rootfsNeed{smallRootfs(), MehdbImage + ", " + JumpImage})
	}
	rootfs := make(chan error, 1)
	go func() {
		for _, n := range needs {
			if err := r.step("Debian rootfs for "+n.images, func() error {
				_, err := ensureRootfs(ctx, o, n.recipe)
				return err
			}); err != nil {
				rootfs <- err
				return
			}
		}
		rootfs <- nil
	}()
	err = r.step("binaries "+key+" (Kubernetes "+KubernetesVersion+", etcd "+EtcdVersion+", CoreDNS "+CoreDNSVersion+")", func() error {
		return ensureBinaries(ctx, o, b)
	})
	if rerr := <-rootfs; err == nil {
		err = rerr
	}
	if err != nil {
		return b, s, err
	}
	if err := r.step("images "+PauseImage+", "+MariaDBImage, func() error {
		return ensureCoreImages(ctx, o, b, s.core)
	}); err != nil {
		return b, s, err
	}
	if err := r.step("images "+MehdbImage+", "+JumpImage, func() error {
		return ensureAppImages(ctx, o, s)
	}); err != nil {
		return b, s, err
	}
	return b, s, nil
}

// Up builds what is missing and starts every part of the lab that is not
// running. It is idempotent: run again, it only checks and reports — and,
// given another Options.Storage, switches the running lab's storage mode.
func Up(ctx context.Context, o Options) error {
	o, err := o.complete()
	if err != nil {
		return err
	}
	if err := requireRoot(); err != nil {
		return err
	}
	if err := claimMachine(ctx, o); err != nil {
		return err
	}
	start := time.Now()
	r := reporter{out: o.Out}
	r.printf("Starting the offline lab (%d workers) in %s\n", o.Workers, o.StateDir)
	b, s, err := prepare(ctx, o, r)
	if err != nil {
		return err
	}
	l := layout{dir: o.StateDir}
	p := procs{l: l}
	for _, d := range []string{l.dir, l.config(""), l.logs(), l.pids()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	rec, ok := readRecord(l)
	if !ok {
		_, statErr := os.Stat("/var/lib/kubelet")
		rec.VarLibKubelet = os.IsNotExist(statErr)
	}
	mode, err := storageMode(o.Storage, rec.Storage)
	if err != nil {
		return err
	}
	rec.Workers, rec.BinDir = o.Workers, b.dir
	if err := writeRecord(l, rec); err != nil {
		return err
	}
	if err := os.WriteFile(l.resolvConf(), []byte(renderResolvConf()), 0o644); err != nil {
		return err
	}
	steps := []struct {
		name string
		fn   func() error
	}{
		{"network (lo addresses, blackhole routes, forward guard)", func() error { return setupNetwork(ctx, l, o.Workers) }},
		{"certificates and kubeconfigs", func() error { return ensurePKI(l, o.Workers) }},
		{"etcd", func() error { return startEtcd(ctx, p, b) }},
		{"kube-apiserver", func() error { return startAPIServer(ctx, p, b) }},
	}
	for _, st := range steps {
		if err := r.step(st.name, st.fn); err != nil {
			return err
		}
	}
	cs, err := clientset(l.kubeconfig("super-admin"))
	if err != nil {
		return err
	}
	startedAt := make([]time.Time, o.Workers)
	steps = []struct {
		name string
		fn   func() error
	}{
		{"RBAC, StorageClass standard, kube-dns Service", func() error { return bootstrapObjects(ctx, cs) }},
		{"kube-controller-manager and kube-scheduler", func() error { return startControllers(ctx, p, b) }},
		{"storage " + describeStorage(mode), func() error {
			if err := configureStorage(ctx, cs, p, o, mode); err != nil {
				return err
			}
			rec.Storage = mode
			return writeRecord(l, rec)
		}},
		{"CoreDNS", func() error { return startCoreDNS(ctx, p, b) }},
		{fmt.Sprintf("containerd on %d nodes (images imported)", o.Workers), func() error {
			return forEachNode(o.Workers, func(i int) error { return startContainerd(ctx, p, i, s) })
		}},
		{"kubelets", func() error {
			return forEachNode(o.Workers, func(i int) error {
				now := time.Now()
				started, err := startKubelet(p, i, b)
				if started {
					startedAt[i-1] = now
				}
				return err
			})
		}},
		{"kube-proxy", func() error { return startKubeProxy(p, b) }},
		{"pod networks", func() error {
			return forEachNode(o.Workers, func(i int) error { return configureCNI(ctx, cs, l, i) })
		}},
		// Asked as the learner's admin: it proves that identity is authorised
		// too (its ClusterRoleBinding is in the RBAC cache), not only the
		// bootstrap one.
		{"nodes Ready", func() error {
			admin, err := newClient(l)
			if err != nil {
				return err
			}
			return waitNodesReady(ctx, admin, o.Workers, startedAt)
		}},
	}
	for _, st := range steps {
		if err := r.step(st.name, st.fn); err != nil {
			return err
		}
	}
	rel, err := filepath.Rel(o.RepoDir, l.adminKubeconfig())
	if err != nil || strings.HasPrefix(rel, "..") {
		rel = l.adminKubeconfig()
	}
	r.printf("Lab ready in %s. Use it with:\n  export KUBECONFIG=%s\n", time.Since(start).Round(time.Second), rel)
	return nil
}

// forEachNode runs fn for workers 1..n concurrently and joins the errors.
func forEachNode(n int, fn func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 1; i <= n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i-1] = fn(i)
		}(i)
	}
	wg.Wait()
	return joinErrors(errs)
}

// newClient returns a clientset for the admin kubeconfig of a running lab.
func newClient(l layout) (kubernetes.Interface, error) { return clientset(l.adminKubeconfig()) }
