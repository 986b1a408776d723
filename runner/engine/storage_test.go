package engine

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubetutor/kubetutor/runner/kube/kubefake"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

func class(name, provisioner string, mode storagev1.VolumeBindingMode, isDefault bool) *storagev1.StorageClass {
	sc := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Provisioner: provisioner, VolumeBindingMode: &mode}
	if isDefault {
		sc.Annotations = map[string]string{defaultClassAnnotation: "true"}
	}
	return sc
}

// boundClaim is a claim of ns bound to a volume with the given node
// affinity terms (each a list of hostnames).
func boundClaim(name string, terms ...[]string) []runtime.Object {
	pv := &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv-" + name}}
	if len(terms) > 0 {
		sel := &corev1.NodeSelector{}
		for _, hosts := range terms {
			sel.NodeSelectorTerms = append(sel.NodeSelectorTerms, corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{
				{Key: hostnameLabel, Operator: corev1.NodeSelectorOpIn, Values: hosts}}})
		}
		pv.Spec.NodeAffinity = &corev1.VolumeNodeAffinity{Required: sel}
	}
	pvc := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: corev1.PersistentVolumeClaimSpec{VolumeName: pv.Name}}
	return []runtime.Object{pv, pvc}
}

func TestDetectStorage(t *testing.T) {
	wffc, immediate := storagev1.VolumeBindingWaitForFirstConsumer, storagev1.VolumeBindingImmediate
	for _, tc := range []struct {
		name    string
		objects []runtime.Object
		kind    string
		pinned  string
	}{
		{"lab default: host paths", []runtime.Object{class("standard", "kubernetes.io/host-path", immediate, true)}, lesson.StorageShared, ""},
		{"lab node-local", []runtime.Object{class("standard", "kubernetes.io/host-path", immediate, false), class("node-local", "kubetutor.io/node-local", wffc, true)}, lesson.StorageNodeLocal, ""},
		{"kind", []runtime.Object{class("standard", "rancher.io/local-path", wffc, true)}, lesson.StorageNodeLocal, ""},
		{"cloud class binding late", []runtime.Object{class("gp3", "ebs.csi.aws.com", wffc, true)}, "", ""},
		{"no default class", []runtime.Object{class("standard", "rancher.io/local-path", wffc, false)}, "", ""},
		{"a bound volume pinned to a node", append(boundClaim("data-0", []string{"lab-worker-2"}), class("x", "example.com/x", wffc, true)), lesson.StorageNodeLocal, "pv-data-0 → lab-worker-2"},
		{"a zone is not a node", append(boundClaim("data-0", []string{"a", "b"}), class("x", "example.com/x", wffc, true)), "", ""},
		{"terms for two nodes", append(boundClaim("data-0", []string{"a"}, []string{"b"}), class("x", "example.com/x", wffc, true)), "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := kubefake.New(ns, tc.objects...)
			s, err := DetectStorage(context.Background(), c.Client, ns)
			if err != nil {
				t.Fatal(err)
			}
			if s.Kind != tc.kind || strings.Join(s.Pinned, ",") != tc.pinned {
				t.Fatalf("kind %q pinned %v, want %q %q", s.Kind, s.Pinned, tc.kind, tc.pinned)
			}
		})
	}
}

// With node-local volumes, preflight warns (the lesson drains) and the
// engine runs the steps' node-local variants.
func TestNodeLocalPicksVariants(t *testing.T) {
	variant := drainStep
	variant.Variants = []lesson.Variant{{When: lesson.When{Storage: lesson.StorageNodeLocal},
		Checks: []lesson.Check{step.CheckOf(&step.NewUID{ObjectRef: step.ObjectRef{Kind: "Pod", Name: "mini-0"}}),
			step.CheckOf(&step.PodCondition{Pod: "mini-0", Type: "PodScheduled", Status: "False", Reason: "Unschedulable", Message: "PersistentVolume's node affinity"})}}}
	for _, tc := range []struct {
		name   string
		class  *storagev1.StorageClass
		status Status
		msg    string
		checks string
	}{
		{"node-local", class("node-local", "kubetutor.io/node-local", storagev1.VolumeBindingWaitForFirstConsumer, true), Warning, "PreflightStorageNodeLocal", "newUID,podCondition"},
		{"shared", defaultClass(), Passed, "PreflightStorageClassFound", "nodeChanged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, f := kubefake.New(ns, readyNode("n1"), readyNode("n2"), tc.class)
			allow(f)
			e := New(c, miniLesson(applyStep, variant), testManifests, Options{}, nil)
			if c := e.Step(1).Checks; len(c) != 1 || c[0].Kind != "nodeChanged" {
				t.Fatalf("before preflight a step has its own checks, got %v", c)
			}
			var it PreflightItem
			for _, x := range e.Preflight(context.Background()) {
				if x.Name.ID == "PreflightStorageClass" {
					it = x
				}
			}
			if it.Status != tc.status || it.Msg.ID != tc.msg {
				t.Fatalf("preflight %s %v", it.Status, it.Msg)
			}
			if tc.status == Warning && it.Hint.ID != "HintStorageNodeLocal" {
				t.Fatalf("hint %v", it.Hint)
			}
			var kinds []string
			for _, c := range e.Steps()[1].Checks {
				kinds = append(kinds, c.Kind)
			}
			if strings.Join(kinds, ",") != tc.checks {
				t.Fatalf("checks %v, want %s", kinds, tc.checks)
			}
		})
	}
}

// A lesson that never moves pods is told about node-local volumes without
// a warning.
func TestNodeLocalWithoutDrain(t *testing.T) {
	c, f := kubefake.New(ns, readyNode("n1"), class("standard", "rancher.io/local-path", storagev1.VolumeBindingWaitForFirstConsumer, true))
	allow(f)
	e := New(c, miniLesson(applyStep), testManifests, Options{}, nil)
	for _, it := range e.Preflight(context.Background()) {
		if it.Name.ID == "PreflightStorageClass" && (it.Status != Passed || it.Msg.ID != "PreflightStorageNodeLocal") {
			t.Fatalf("%s %v", it.Status, it.Msg)
		}
	}
}
