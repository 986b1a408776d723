package kubefake

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

func TestShared(t *testing.T) {
	c, _ := New("ns")
	gvr := schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	data := []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","namespace":"ns","labels":{"app":"mysql"}},"data":{"a":"b"}}`)
	w, err := c.Dynamic.Resource(gvr).Namespace("ns").Watch(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Dynamic.Resource(gvr).Namespace("ns").Patch(context.Background(), "x", types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: "kubetutor"})
	if err != nil {
		t.Fatal(err)
	}
	ev := <-w.ResultChan()
	t.Logf("event %v %T", ev.Type, ev.Object)
	cm, err := c.Client.CoreV1().ConfigMaps("ns").Get(context.Background(), "x", metav1.GetOptions{})
	t.Log(cm, err)
	l, err := c.Dynamic.Resource(gvr).Namespace("ns").List(context.Background(), metav1.ListOptions{LabelSelector: "app=mysql"})
	t.Log(l, err)
	_, err = c.Dynamic.Resource(gvr).Namespace("ns").Patch(context.Background(), "x", types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: "kubetutor"})
	t.Log(err)
}
