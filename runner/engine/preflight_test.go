package engine

import (
	"context"
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubetutor/kubetutor/runner/kube/kubefake"
)

func TestPreflightNamespace(t *testing.T) {
	deleting := metav1.Now()
	cases := []struct {
		name     string
		ns       *corev1.Namespace // nil: none
		getErr   error             // what reading the namespace answers
		status   Status
		msg      string
		hint     string
		stopHere bool // the preflight ends with this item
	}{
		{"exists", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, nil,
			Passed, "PreflightNamespaceExists", "", false},
		{"missing: created", nil, nil,
			Passed, "PreflightNamespaceCreated", "", false},
		{"being deleted", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, DeletionTimestamp: &deleting, Finalizers: []string{"kubernetes"}},
			Status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating}}, nil,
			Failed, "PreflightNamespaceTerminating", "HintNamespaceTerminating", true},
		{"phase Terminating only", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns},
			Status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating}}, nil,
			Failed, "PreflightNamespaceTerminating", "HintNamespaceTerminating", true},
		{"cannot read namespaces", nil, apierrors.NewForbidden(corev1.Resource("namespaces"), ns, errors.New("RBAC")),
			Passed, "PreflightNamespaceAssumed", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objects := []runtime.Object{readyNode("n1"), readyNode("n2"), defaultClass()}
			if tc.ns != nil {
				objects = append(objects, tc.ns)
			}
			c, f := kubefake.New(ns, objects...)
			allow(f)
			if tc.getErr != nil {
				f.Client.PrependReactor("get", "namespaces", func(k8stesting.Action) (bool, runtime.Object, error) {
					return true, nil, tc.getErr
				})
			}
			items := New(c, miniLesson(applyStep), testManifests, Options{}, nil).Preflight(context.Background())
			var found bool
			for i, it := range items {
				if it.Name.ID != "PreflightNamespace" {
					continue
				}
				found = true
				if it.Status != tc.status || it.Msg.ID != tc.msg || it.Hint.ID != tc.hint {
					t.Errorf("got %s %v hint %v, want %s %s hint %q", it.Status, it.Msg, it.Hint, tc.status, tc.msg, tc.hint)
				}
				if it.Msg.Args["Namespace"] != ns {
					t.Errorf("%v does not name the namespace", it.Msg)
				}
				if last := i == len(items)-1; last != tc.stopHere {
					t.Errorf("preflight ended after the namespace: %v, want %v (%d items)", last, tc.stopHere, len(items))
				}
			}
			if !found {
				t.Fatal("no namespace item")
			}
		})
	}
}
