package engine

import (
	"context"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// nodeLocalProvisioners make volumes that live on one node and carry a node
// affinity to it: the pods of a claim can only run on that node.
var nodeLocalProvisioners = map[string]bool{
	"kubetutor.io/node-local":      true, // the offline lab's --storage node-local
	"rancher.io/local-path":        true, // kind, k3s
	"kubernetes.io/no-provisioner": true, // local PersistentVolumes made by hand
	"hostpath.csi.k8s.io":          true, // minikube's csi-hostpath-driver addon
	"openebs.io/local":             true,
	"local.csi.openebs.io":         true,
	"topolvm.io":                   true,
}

// hostnameLabel is the node label that local volumes' node affinity names.
const hostnameLabel = "kubernetes.io/hostname"

// Storage is how a cluster's volumes relate to its nodes.
type Storage struct {
	// Kind is lesson.StorageNodeLocal, lesson.StorageShared, or "" when it
	// cannot be told (no default class, or a class that binds volumes at
	// scheduling time through a provisioner kubetutor does not know).
	Kind string
	// Class, Provisioner and Binding describe the default StorageClass
	// (empty when there is none).
	Class, Provisioner, Binding string
	// Classes counts the cluster's StorageClasses.
	Classes int
	// Pinned names volumes of the namespace's claims whose node affinity
	// allows a single node, as "pv → node" (read when allowed).
	Pinned []string
}

// DetectStorage tells whether the volumes a lesson's claims get are pinned
// to one node, from the default StorageClass (its provisioner and binding
// mode) and from the volumes already bound to claims in namespace (their
// node affinity). Reading volumes is cluster-scoped and may be forbidden to
// a learner: it is then skipped. The error is the StorageClasses' list
// error. The TUI and the workshop call it too, to judge steps with the
// variants that run on the cluster (lesson.Spec.For).
func DetectStorage(ctx context.Context, c kubernetes.Interface, namespace string) (Storage, error) {
	var s Storage
	classes, err := c.StorageV1().StorageClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		return s, err
	}
	s.Classes = len(classes.Items)
	if sc := findDefaultClass(classes.Items); sc != nil {
		s.Class, s.Provisioner = sc.Name, sc.Provisioner
		s.Binding = string(storagev1.VolumeBindingImmediate)
		if sc.VolumeBindingMode != nil {
			s.Binding = string(*sc.VolumeBindingMode)
		}
		switch {
		case nodeLocalProvisioners[sc.Provisioner]:
			s.Kind = lesson.StorageNodeLocal
		case s.Binding == string(storagev1.VolumeBindingImmediate):
			// Made before any pod is scheduled, so not for one node.
			s.Kind = lesson.StorageShared
		}
	}
	s.Pinned = pinnedVolumes(ctx, c, namespace)
	if len(s.Pinned) > 0 {
		s.Kind = lesson.StorageNodeLocal
	}
	return s, nil
}

// findDefaultClass returns the default StorageClass, nil if none.
func findDefaultClass(classes []storagev1.StorageClass) *storagev1.StorageClass {
	for i := range classes {
		a := classes[i].Annotations
		if a[defaultClassAnnotation] == "true" || a["storageclass.beta.kubernetes.io/is-default-class"] == "true" {
			return &classes[i]
		}
	}
	return nil
}

// pinnedVolumes lists the volumes bound to namespace's claims that only one
// node can use, best effort.
func pinnedVolumes(ctx context.Context, c kubernetes.Interface, namespace string) []string {
	claims, err := c.CoreV1().PersistentVolumeClaims(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil
	}
	var out []string
	for _, pvc := range claims.Items {
		if pvc.Spec.VolumeName == "" {
			continue
		}
		pv, err := c.CoreV1().PersistentVolumes().Get(ctx, pvc.Spec.VolumeName, metav1.GetOptions{})
		if err != nil {
			return out // forbidden to a learner: the class decides
		}
		if node := pinnedNode(pv); node != "" {
			out = append(out, pv.Name+" → "+node)
		}
	}
	sort.Strings(out)
	return out
}

// pinnedNode returns the one node a volume's node affinity allows, or ""
// when it allows more (a zone, no affinity at all).
func pinnedNode(pv *corev1.PersistentVolume) string {
	if pv.Spec.NodeAffinity == nil || pv.Spec.NodeAffinity.Required == nil {
		return ""
	}
	node := ""
	for _, t := range pv.Spec.NodeAffinity.Required.NodeSelectorTerms {
		one := ""
		for _, r := range t.MatchExpressions {
			if r.Key == hostnameLabel && r.Operator == corev1.NodeSelectorOpIn && len(r.Values) == 1 {
				one = r.Values[0]
			}
		}
		for _, r := range t.MatchFields {
			if r.Key == "metadata.name" && r.Operator == corev1.NodeSelectorOpIn && len(r.Values) == 1 {
				one = r.Values[0]
			}
		}
		if one == "" || (node != "" && node != one) {
			return "" // a term that allows other nodes
		}
		node = one
	}
	return node
}

// movesPods reports whether a lesson has steps that make pods leave their
// node (drain, cordon) or variants for a storage kind: what node-local
// volumes change.
func movesPods(l *lesson.Lesson) bool {
	for _, s := range l.Spec.Steps {
		switch s.Action.Kind {
		case "drain", "cordon":
			return true
		}
		for _, v := range s.Variants {
			if v.When.Storage != "" {
				return true
			}
		}
	}
	return false
}

// pinnedSample shortens the list of pinned volumes for a message.
func pinnedSample(p []string) string {
	if len(p) > 3 {
		return strings.Join(p[:3], ", ") + ", …"
	}
	return strings.Join(p, ", ")
}
