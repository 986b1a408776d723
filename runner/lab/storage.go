package lab

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// Storage modes of the lab (lab up --storage).
const (
	// StorageShared is the default: StorageClass standard, the
	// controller-manager's host-path provisioner, volumes bound at once and
	// usable from every node (they all live on the one host), so a pod
	// moved to another node keeps its data.
	StorageShared = "shared"
	// StorageNodeLocal is like kind's and minikube's local-path storage:
	// StorageClass node-local (default) with WaitForFirstConsumer, served
	// by the lab's own provisioner (see RunProvisioner): each volume is
	// pinned to the node of its claim's first pod.
	StorageNodeLocal = "node-local"
)

const defaultClassAnnotation = "storageclass.kubernetes.io/is-default-class"

// storageMode returns the mode Up applies: the one asked for, else the one
// recorded by the last Up, else StorageShared.
func storageMode(asked, recorded string) (string, error) {
	switch asked {
	case "":
		if recorded != "" {
			return recorded, nil
		}
		return StorageShared, nil
	case StorageShared, StorageNodeLocal:
		return asked, nil
	}
	return "", fmt.Errorf("unknown storage mode %q: use %s or %s", asked, StorageShared, StorageNodeLocal)
}

// describeStorage is a line for lab up and lab status.
func describeStorage(mode string) string {
	if mode == StorageNodeLocal {
		return "node-local: default StorageClass " + NodeLocalClass + " (WaitForFirstConsumer), each volume pinned to its node"
	}
	return "shared: default StorageClass standard (host paths), a volume follows its pod to any node"
}

// configureStorage makes mode the running lab's storage: which StorageClass
// is the default, and whether the node-local provisioner runs. Leaving
// node-local mode is refused while volumes of it remain (nothing would
// delete them).
func configureStorage(ctx context.Context, cs kubernetes.Interface, p procs, o Options, mode string) error {
	classes := cs.StorageV1().StorageClasses()
	if mode == StorageShared {
		left, err := nodeLocalVolumes(ctx, cs)
		if err != nil {
			return err
		}
		if len(left) > 0 {
			return fmt.Errorf("%d node-local volume(s) remain (%s): delete their claims (or run lab down), then switch to --storage %s",
				len(left), strings.Join(left, ", "), StorageShared)
		}
		if err := classes.Delete(ctx, NodeLocalClass, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete StorageClass %s: %w", NodeLocalClass, err)
		}
		if err := p.stop(ctx, provisionerName, 5*time.Second); err != nil {
			return err
		}
		return setDefaultClass(ctx, cs, "standard", true)
	}
	if len(o.Provisioner) == 0 {
		return errors.New("node-local storage runs its provisioner from the kubetutor binary: use kubetutor lab up --storage node-local")
	}
	if err := setDefaultClass(ctx, cs, "standard", false); err != nil {
		return err
	}
	sc := &storagev1.StorageClass{
		ObjectMeta:        metav1.ObjectMeta{Name: NodeLocalClass, Annotations: map[string]string{defaultClassAnnotation: "true"}},
		Provisioner:       NodeLocalProvisioner,
		ReclaimPolicy:     ptr.To(corev1.PersistentVolumeReclaimDelete),
		VolumeBindingMode: ptr.To(storagev1.VolumeBindingWaitForFirstConsumer),
	}
	if _, err := classes.Create(ctx, sc, metav1.CreateOptions{}); ignoreExists(err) != nil {
		return fmt.Errorf("create StorageClass %s: %w", NodeLocalClass, err)
	}
	if err := setDefaultClass(ctx, cs, NodeLocalClass, true); err != nil {
		return err
	}
	args := append(append([]string(nil), o.Provisioner[1:]...), "--state-dir="+p.l.dir)
	_, err := p.start(provisionerName, o.Provisioner[0], args, nil)
	return err
}

// setDefaultClass sets or clears the default-class annotation of a class.
func setDefaultClass(ctx context.Context, cs kubernetes.Interface, name string, isDefault bool) error {
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, defaultClassAnnotation, fmt.Sprint(isDefault))
	_, err := cs.StorageV1().StorageClasses().Patch(ctx, name, types.MergePatchType, []byte(patch), metav1.PatchOptions{})
	if err != nil {
		return fmt.Errorf("mark StorageClass %s default=%v: %w", name, isDefault, err)
	}
	return nil
}

// nodeLocalVolumes names the volumes the node-local provisioner made that
// still exist, with their claims.
func nodeLocalVolumes(ctx context.Context, cs kubernetes.Interface) ([]string, error) {
	l, err := cs.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, pv := range l.Items {
		if pv.Annotations[annProvisionedBy] == NodeLocalProvisioner {
			out = append(out, fmt.Sprintf("%s of %s/%s", pv.Name, claimNS(&pv), claimName(&pv)))
		}
	}
	sort.Strings(out)
	return out, nil
}
