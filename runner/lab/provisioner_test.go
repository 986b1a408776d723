package lab

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"
)

func TestStorageMode(t *testing.T) {
	for _, tc := range []struct{ asked, recorded, want string }{
		{"", "", StorageShared},
		{"", StorageNodeLocal, StorageNodeLocal},
		{StorageShared, StorageNodeLocal, StorageShared},
		{StorageNodeLocal, "", StorageNodeLocal},
		{"local", "", ""},
	} {
		got, err := storageMode(tc.asked, tc.recorded)
		if got != tc.want || (err != nil) != (tc.want == "") {
			t.Errorf("storageMode(%q, %q) = %q, %v; want %q", tc.asked, tc.recorded, got, err, tc.want)
		}
	}
}

func claim(name string, mutate ...func(*corev1.PersistentVolumeClaim)) *corev1.PersistentVolumeClaim {
	pvc := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID("uid-" + name[len(name)-1:]),
			Annotations: map[string]string{annSelectedNode: "lab-worker-2", annStorageProv: NodeLocalProvisioner}},
		Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: ptr.To(NodeLocalClass), AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}},
		Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending},
	}
	for _, m := range mutate {
		m(pvc)
	}
	return pvc
}

func TestWantsVolume(t *testing.T) {
	for _, tc := range []struct {
		name string
		pvc  *corev1.PersistentVolumeClaim
		node string
	}{
		{"scheduled", claim("data-0"), "lab-worker-2"},
		{"not yet scheduled", claim("data-0", func(c *corev1.PersistentVolumeClaim) { delete(c.Annotations, annSelectedNode) }), ""},
		{"another class", claim("data-0", func(c *corev1.PersistentVolumeClaim) {
			c.Spec.StorageClassName = ptr.To("standard")
			delete(c.Annotations, annStorageProv)
		}), ""},
		{"bound", claim("data-0", func(c *corev1.PersistentVolumeClaim) { c.Spec.VolumeName = "pvc-x" }), ""},
		{"being deleted", claim("data-0", func(c *corev1.PersistentVolumeClaim) { c.DeletionTimestamp = &metav1.Time{} }), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			node, ok := wantsVolume(tc.pvc)
			if node != tc.node || ok != (tc.node != "") {
				t.Fatalf("wantsVolume = %q, %v", node, ok)
			}
		})
	}
}

func testNode(name string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{hostnameLabel: name}}}
}

// A scheduled claim gets a host-path volume in its node's directory,
// pre-bound to it, that only that node can use; released, the volume and
// its directory go.
func TestProvisionAndDelete(t *testing.T) {
	root := t.TempDir()
	pvc := claim("data-2")
	cs := fake.NewClientset(testNode("lab-worker-2"), pvc)
	p := newProvisioner(cs, root, nil)
	ctx := context.Background()
	if err := p.syncClaim(ctx, pvc); err != nil {
		t.Fatal(err)
	}
	pv, err := cs.CoreV1().PersistentVolumes().Get(ctx, "pvc-uid-2", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "lab-worker-2", "pvc-uid-2")
	terms := pv.Spec.NodeAffinity.Required.NodeSelectorTerms
	switch {
	case pv.Spec.HostPath == nil || pv.Spec.HostPath.Path != dir:
		t.Fatalf("host path %+v, want %s", pv.Spec.HostPath, dir)
	case len(terms) != 1 || terms[0].MatchExpressions[0].Key != hostnameLabel || strings.Join(terms[0].MatchExpressions[0].Values, ",") != "lab-worker-2":
		t.Fatalf("node affinity %+v", terms)
	case pv.Spec.ClaimRef == nil || pv.Spec.ClaimRef.UID != pvc.UID || pv.Spec.StorageClassName != NodeLocalClass:
		t.Fatalf("claimRef %+v class %s", pv.Spec.ClaimRef, pv.Spec.StorageClassName)
	case pv.Spec.Capacity.Storage().String() != "1Gi" || pv.Annotations[annProvisionedBy] != NodeLocalProvisioner:
		t.Fatalf("capacity %s, annotations %v", pv.Spec.Capacity.Storage(), pv.Annotations)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o777 {
		t.Fatalf("directory: %v %v", st, err)
	}
	if err := p.syncClaim(ctx, pvc); err != nil {
		t.Fatal("a second sync must be a no-op:", err)
	}

	// Bound: kept. Released: deleted with its directory.
	pv.Status.Phase = corev1.VolumeBound
	if err := p.syncVolume(ctx, pv); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatal("a bound volume lost its directory")
	}
	pv.Status.Phase = corev1.VolumeReleased
	if err := p.syncVolume(ctx, pv); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatal("directory left:", err)
	}
	if l, _ := cs.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{}); len(l.Items) != 0 {
		t.Fatalf("volumes left: %d", len(l.Items))
	}
}

// A volume whose path is not under the provisioner's root is never
// removed from disk (nor deleted).
func TestDeleteRefusesForeignPath(t *testing.T) {
	outside := t.TempDir()
	pv := &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pvc-x", Annotations: map[string]string{annProvisionedBy: NodeLocalProvisioner}},
		Spec: corev1.PersistentVolumeSpec{PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: outside}}},
		Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeReleased}}
	p := newProvisioner(fake.NewClientset(pv), t.TempDir(), nil)
	if err := p.syncVolume(context.Background(), pv); err == nil {
		t.Fatal("deleted a volume outside its root")
	}
	if _, err := os.Stat(outside); err != nil {
		t.Fatal(err)
	}
}

// Switching modes moves the default class; leaving node-local mode is
// refused while its volumes exist.
func TestConfigureStorage(t *testing.T) {
	standard := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "standard", Annotations: map[string]string{defaultClassAnnotation: "true"}}, Provisioner: "kubernetes.io/host-path"}
	ctx := context.Background()
	defaults := func(cs *fake.Clientset) string {
		l, _ := cs.StorageV1().StorageClasses().List(ctx, metav1.ListOptions{})
		var out []string
		for _, c := range l.Items {
			if c.Annotations[defaultClassAnnotation] == "true" {
				out = append(out, c.Name)
			}
		}
		return strings.Join(out, ",")
	}
	p := procs{l: layout{dir: t.TempDir()}}
	o := Options{Provisioner: []string{"/bin/sh", "-c", "sleep 60", "sh"}} // sh gets --state-dir as $1
	cs := fake.NewClientset(standard)
	if err := configureStorage(ctx, cs, p, o, StorageNodeLocal); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.stop(ctx, provisionerName, 0) })
	if got := defaults(cs); got != NodeLocalClass {
		t.Fatalf("default classes %q", got)
	}
	sc, _ := cs.StorageV1().StorageClasses().Get(ctx, NodeLocalClass, metav1.GetOptions{})
	if *sc.VolumeBindingMode != storagev1.VolumeBindingWaitForFirstConsumer || sc.Provisioner != NodeLocalProvisioner {
		t.Fatalf("%+v", sc)
	}
	if _, ok := p.running(provisionerName); !ok {
		t.Fatal("provisioner not started")
	}
	var objs []runtime.Object
	objs = append(objs, &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pvc-1", Annotations: map[string]string{annProvisionedBy: NodeLocalProvisioner}},
		Spec: corev1.PersistentVolumeSpec{ClaimRef: &corev1.ObjectReference{Namespace: "ns", Name: "data-0"}}})
	for _, o := range objs {
		_ = cs.Tracker().Add(o)
	}
	err := configureStorage(ctx, cs, p, o, StorageShared)
	if err == nil || !strings.Contains(err.Error(), "pvc-1 of ns/data-0") {
		t.Fatalf("switched with node-local volumes left: %v", err)
	}
	_ = cs.CoreV1().PersistentVolumes().Delete(ctx, "pvc-1", metav1.DeleteOptions{})
	if err := configureStorage(ctx, cs, p, o, StorageShared); err != nil {
		t.Fatal(err)
	}
	if got := defaults(cs); got != "standard" {
		t.Fatalf("default classes %q", got)
	}
	if _, ok := p.running(provisionerName); ok {
		t.Fatal("provisioner still runs")
	}
}

func TestIsProvisionerOf(t *testing.T) {
	cmd := func(args ...string) []byte { return []byte(strings.Join(args, "\x00") + "\x00") }
	for _, tc := range []struct {
		name string
		cmd  []byte
		want bool
	}{
		{"ours", cmd("/w/bin/kubetutor", "lab", "provisioner", "--state-dir=/w/.lab"), true},
		{"another lab's", cmd("/w/bin/kubetutor", "lab", "provisioner", "--state-dir=/x/.lab"), false},
		{"lab status", cmd("/w/bin/kubetutor", "lab", "status", "--state-dir=/w/.lab"), false},
	} {
		if got := isProvisionerOf(tc.cmd, "/w/.lab"); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
}
