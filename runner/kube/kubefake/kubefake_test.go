package kubefake

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// The dynamic and the typed fake share one store: an object applied
// through the dynamic client is visible to the typed one, and watches of
// the dynamic client see it as unstructured.
func TestSharedStore(t *testing.T) {
	c, _ := New("ns")
	gvr := schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	w, err := c.Dynamic.Resource(gvr).Namespace("ns").Watch(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	data := []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","namespace":"ns","labels":{"app":"mysql"}},"data":{"a":"b"}}`)
	for i := 0; i < 2; i++ {
		if _, err := c.Dynamic.Resource(gvr).Namespace("ns").Patch(context.Background(), "x", types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: "kubetutor"}); err != nil {
			t.Fatal(err)
		}
	}
	if ev := <-w.ResultChan(); ev.Object.(*unstructured.Unstructured).GetName() != "x" {
		t.Fatal(ev)
	}
	cm, err := c.Client.CoreV1().ConfigMaps("ns").Get(context.Background(), "x", metav1.GetOptions{})
	if err != nil || cm.Data["a"] != "b" {
		t.Fatal(cm, err)
	}
	l, err := c.Dynamic.Resource(gvr).Namespace("ns").List(context.Background(), metav1.ListOptions{LabelSelector: "app=mysql"})
	if err != nil || len(l.Items) != 1 {
		t.Fatal(l, err)
	}
}
