package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
)

// The node-local provisioner serves the StorageClass NodeLocalClass the way
// kind's and minikube's local-path provisioners do: a claim waits until the
// scheduler has chosen a node for its first pod (WaitForFirstConsumer: the
// scheduler writes the node into the claim's selected-node annotation),
// then gets a host-path volume in a directory of that node,
// <state>/local-pv/<node>/<volume>, whose node affinity lets only that node
// use it. A pod of the claim can then never run on another node: drained,
// it stays Pending ("didn't match PersistentVolume's node affinity")
// until its node is
// schedulable again. A released volume is deleted with its directory.
const (
	// NodeLocalProvisioner is the provisioner name of NodeLocalClass.
	NodeLocalProvisioner = "kubetutor.io/node-local"
	// NodeLocalClass is the StorageClass of lab up --storage node-local.
	NodeLocalClass = "node-local"
	// provisionerName is the lab process running the provisioner.
	provisionerName = "node-local-provisioner"

	annSelectedNode  = "volume.kubernetes.io/selected-node"
	annProvisionedBy = "pv.kubernetes.io/provisioned-by"
	annStorageProv   = "volume.kubernetes.io/storage-provisioner"
	hostnameLabel    = "kubernetes.io/hostname"
)

// RunProvisioner runs the node-local provisioner of the lab in o.StateDir
// until ctx ends (`kubetutor lab provisioner`, started by lab up as a lab
// process). It reconciles every claim and volume on start, on every change
// and every 30 s, so nothing is missed while it or the API server was
// down.
func RunProvisioner(ctx context.Context, o Options) error {
	// Only the state dir matters: the provisioner runs from it, perhaps
	// outside any clone of the repository.
	if o.StateDir == "" {
		return errors.New("the provisioner needs --state-dir")
	}
	l := layout{dir: o.StateDir}
	cs, err := clientset(l.kubeconfig("super-admin"))
	if err != nil {
		return err
	}
	pr := newProvisioner(cs, l.localPV(), o.Out)
	return pr.run(ctx)
}

// provisioner reconciles claims of NodeLocalClass and its volumes.
type provisioner struct {
	cs    kubernetes.Interface
	root  string // directories of the volumes: root/<node>/<volume>
	log   io.Writer
	queue workqueue.TypedRateLimitingInterface[string]
	// listers, filled by run
	claims  func(ns, name string) (*corev1.PersistentVolumeClaim, error)
	volumes func(name string) (*corev1.PersistentVolume, error)
}

func newProvisioner(cs kubernetes.Interface, root string, log io.Writer) *provisioner {
	if log == nil {
		log = io.Discard
	}
	return &provisioner{cs: cs, root: root, log: log,
		queue: workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())}
}

// Keys of the queue: "pvc/<ns>/<name>" or "pv/<name>".
func claimKey(ns, name string) string { return "pvc/" + ns + "/" + name }
func volumeKey(name string) string    { return "pv/" + name }

func (p *provisioner) run(ctx context.Context) error {
	f := informers.NewSharedInformerFactory(p.cs, 30*time.Second)
	pvcs, pvs := f.Core().V1().PersistentVolumeClaims(), f.Core().V1().PersistentVolumes()
	enqueue := func(obj any) {
		if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = t.Obj
		}
		switch o := obj.(type) {
		case *corev1.PersistentVolumeClaim:
			p.queue.Add(claimKey(o.Namespace, o.Name))
		case *corev1.PersistentVolume:
			p.queue.Add(volumeKey(o.Name))
		}
	}
	h := cache.ResourceEventHandlerFuncs{AddFunc: enqueue, UpdateFunc: func(_, o any) { enqueue(o) }, DeleteFunc: enqueue}
	if _, err := pvcs.Informer().AddEventHandler(h); err != nil {
		return err
	}
	if _, err := pvs.Informer().AddEventHandler(h); err != nil {
		return err
	}
	p.claims = func(ns, name string) (*corev1.PersistentVolumeClaim, error) {
		return pvcs.Lister().PersistentVolumeClaims(ns).Get(name)
	}
	p.volumes = pvs.Lister().Get
	f.Start(ctx.Done())
	defer f.Shutdown()
	fmt.Fprintf(p.log, "%s node-local provisioner (%s) serving StorageClass %s, volumes under %s\n",
		time.Now().Format(time.RFC3339), NodeLocalProvisioner, NodeLocalClass, p.root)
	go func() {
		<-ctx.Done()
		p.queue.ShutDown()
	}()
	f.WaitForCacheSync(ctx.Done())
	wait.UntilWithContext(ctx, p.work, time.Second)
	return nil
}

// work processes keys until the queue shuts down.
func (p *provisioner) work(ctx context.Context) {
	for {
		key, quit := p.queue.Get()
		if quit {
			return
		}
		err := p.sync(ctx, key)
		if err != nil {
			fmt.Fprintf(p.log, "%s %s: %v (retrying)\n", time.Now().Format(time.RFC3339), key, err)
			p.queue.AddRateLimited(key)
		} else {
			p.queue.Forget(key)
		}
		p.queue.Done(key)
	}
}

func (p *provisioner) sync(ctx context.Context, key string) error {
	if name, ok := strings.CutPrefix(key, "pv/"); ok {
		pv, err := p.volumes(name)
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		return p.syncVolume(ctx, pv)
	}
	ns, name, _ := strings.Cut(strings.TrimPrefix(key, "pvc/"), "/")
	pvc, err := p.claims(ns, name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	return p.syncClaim(ctx, pvc)
}

// wantsVolume reports whether a claim waits for a volume of ours on a node
// the scheduler chose, and which node.
func wantsVolume(pvc *corev1.PersistentVolumeClaim) (string, bool) {
	class := ""
	if pvc.Spec.StorageClassName != nil {
		class = *pvc.Spec.StorageClassName
	}
	node := pvc.Annotations[annSelectedNode]
	ours := class == NodeLocalClass || pvc.Annotations[annStorageProv] == NodeLocalProvisioner
	if !ours || node == "" || pvc.Spec.VolumeName != "" || pvc.DeletionTimestamp != nil || pvc.Status.Phase != corev1.ClaimPending {
		return "", false
	}
	return node, true
}

// syncClaim makes the volume of a claim that waits for one.
func (p *provisioner) syncClaim(ctx context.Context, pvc *corev1.PersistentVolumeClaim) error {
	nodeName, ok := wantsVolume(pvc)
	if !ok {
		return nil
	}
	node, err := p.cs.CoreV1().Nodes().Get(ctx, nodeName, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("node %s of claim %s/%s: %w", nodeName, pvc.Namespace, pvc.Name, err)
	}
	pv := localVolume(pvc, node, p.root)
	dir := pv.Spec.HostPath.Path
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	// World-writable like the host-path provisioner's: the pod's user is
	// not known here (MariaDB's entrypoint chowns its data dir itself).
	if err := os.Chmod(dir, 0o777); err != nil {
		return err
	}
	_, err = p.cs.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(p.log, "%s provisioned %s for %s/%s on %s (%s)\n", time.Now().Format(time.RFC3339), pv.Name, pvc.Namespace, pvc.Name, nodeName, dir)
	return nil
}

// localVolume is the volume of a claim on node: a directory of the node's,
// usable by that node only, pre-bound to the claim.
func localVolume(pvc *corev1.PersistentVolumeClaim, node *corev1.Node, root string) *corev1.PersistentVolume {
	name := "pvc-" + string(pvc.UID)
	host := node.Labels[hostnameLabel]
	if host == "" {
		host = node.Name
	}
	mode := corev1.PersistentVolumeFilesystem
	if pvc.Spec.VolumeMode != nil {
		mode = *pvc.Spec.VolumeMode
	}
	return &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{annProvisionedBy: NodeLocalProvisioner},
			Labels: map[string]string{"kubetutor.io/node": node.Name}},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: pvc.Spec.Resources.Requests[corev1.ResourceStorage]},
			AccessModes:                   pvc.Spec.AccessModes,
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
			StorageClassName:              NodeLocalClass,
			VolumeMode:                    &mode,
			ClaimRef: &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1",
				Namespace: pvc.Namespace, Name: pvc.Name, UID: pvc.UID},
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{
				Path: filepath.Join(root, node.Name, name), Type: ptr.To(corev1.HostPathDirectoryOrCreate)}},
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: hostnameLabel, Operator: corev1.NodeSelectorOpIn, Values: []string{host}}},
			}}}},
		},
	}
}

// syncVolume deletes a released volume of ours and its directory.
func (p *provisioner) syncVolume(ctx context.Context, pv *corev1.PersistentVolume) error {
	if pv.Annotations[annProvisionedBy] != NodeLocalProvisioner || pv.DeletionTimestamp != nil ||
		pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete ||
		(pv.Status.Phase != corev1.VolumeReleased && pv.Status.Phase != corev1.VolumeFailed) {
		return nil
	}
	if pv.Spec.HostPath != nil {
		dir := pv.Spec.HostPath.Path
		if rel, err := filepath.Rel(p.root, dir); err != nil || rel == "." || strings.HasPrefix(rel, "..") {
			return fmt.Errorf("volume %s: %s is not under %s: not removing it", pv.Name, dir, p.root)
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	err := p.cs.CoreV1().PersistentVolumes().Delete(ctx, pv.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &pv.UID}})
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	fmt.Fprintf(p.log, "%s deleted %s (released by %s/%s)\n", time.Now().Format(time.RFC3339), pv.Name, claimNS(pv), claimName(pv))
	return nil
}

func claimNS(pv *corev1.PersistentVolume) string {
	if pv.Spec.ClaimRef == nil {
		return ""
	}
	return pv.Spec.ClaimRef.Namespace
}

func claimName(pv *corev1.PersistentVolume) string {
	if pv.Spec.ClaimRef == nil {
		return ""
	}
	return pv.Spec.ClaimRef.Name
}
