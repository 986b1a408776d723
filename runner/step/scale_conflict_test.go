package step

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
)

// The StatefulSet controller updates the object all the time: a scale
// that conflicts is read again and retried (seen on the lab).
func TestScaleRetriesConflicts(t *testing.T) {
	sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "mysql", Namespace: ns}, Spec: appsv1.StatefulSetSpec{Replicas: ptr(int32(3))}}
	env, f := newEnv(t, sts)
	conflicts := 2
	f.Scales.PrependReactor("update", "statefulsets", func(k8stesting.Action) (bool, runtime.Object, error) {
		if conflicts > 0 {
			conflicts--
			return true, nil, apierrors.NewConflict(appsv1.Resource("statefulsets"), "mysql", nil)
		}
		return false, nil, nil
	})
	if _, err := (&Scale{StatefulSet: "mysql", Replicas: 5}).Run(context.Background(), env, func(Msg) {}); err != nil {
		t.Fatal(err)
	}
	got, _ := f.Client.AppsV1().StatefulSets(ns).Get(context.Background(), "mysql", metav1.GetOptions{})
	if *got.Spec.Replicas != 5 || conflicts != 0 {
		t.Fatal(*got.Spec.Replicas, conflicts)
	}
}
