// Package kubefake builds a kube.Cluster from client-go's fakes, for unit
// tests of steps and the engine: a fake clientset, a fake dynamic client
// sharing its object store, a static
// RESTMapper of the built-in kinds, a fake scale client backed by the
// clientset's StatefulSets, and scriptable exec and port-forward stubs.
package kubefake

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/meta/testrestmapper"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	dynfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"
	metadatafake "k8s.io/client-go/metadata/fake"
	scalefake "k8s.io/client-go/scale/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubetutor/kubetutor/runner/kube"
)

// Fakes are the fakes behind a test Cluster, to seed objects, add
// reactors and inspect actions.
type Fakes struct {
	Client  *fake.Clientset
	Dynamic *dynfake.FakeDynamicClient
	// Metadata answers from the same object store, as metadata only.
	Metadata *metadatafake.FakeMetadataClient
	Scales   *scalefake.FakeScaleClient
	Exec     *Exec
	Forward  *Forward
	// DynamicWatching, when set, is called each time a watch of the
	// dynamic client is established, with its resource: from then on the
	// watch sees every change (the fakes replay nothing between a list and
	// a watch, unlike an API server), so a test can change objects then.
	DynamicWatching func(resource string)
}

// New returns a Cluster on fakes in namespace ns, seeded with objects. The
// typed and the dynamic client share one object store.
func New(ns string, objects ...runtime.Object) (*kube.Cluster, *Fakes) {
	f := &Fakes{
		Client:  fake.NewClientset(objects...),
		Dynamic: dynfake.NewSimpleDynamicClient(scheme.Scheme),
		Exec:    &Exec{},
		Forward: &Forward{},
	}
	// One object store behind both clients, as on a real API server.
	tracker := f.Client.Tracker()
	f.Dynamic.PrependReactor("*", "*", sharedReaction(tracker))
	f.Dynamic.PrependWatchReactor("*", func(a k8stesting.Action) (bool, watch.Interface, error) {
		w, err := tracker.Watch(a.GetResource(), a.GetNamespace())
		if err != nil {
			return true, nil, err
		}
		if f.DynamicWatching != nil {
			f.DynamicWatching(a.GetResource().Resource)
		}
		return true, watch.Filter(w, func(ev watch.Event) (watch.Event, bool) {
			ev.Object = toUnstructured(ev.Object)
			return ev, true
		}), nil
	})
	mapper := testrestmapper.TestOnlyStaticRESTMapper(scheme.Scheme)
	f.Metadata = metadatafake.NewSimpleMetadataClient(metadatafake.NewTestScheme())
	f.Metadata.PrependReactor("list", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		gvk, err := mapper.KindFor(a.GetResource())
		if err != nil {
			return true, nil, err
		}
		l, err := tracker.List(a.GetResource(), gvk, a.GetNamespace())
		if err != nil {
			return true, nil, err
		}
		items, err := meta.ExtractList(l)
		if err != nil {
			return true, nil, err
		}
		out := &metav1.List{}
		for _, it := range items {
			out.Items = append(out.Items, runtime.RawExtension{Object: partial(it, gvk)})
		}
		return true, out, nil
	})
	f.Metadata.PrependWatchReactor("*", func(a k8stesting.Action) (bool, watch.Interface, error) {
		gvk, err := mapper.KindFor(a.GetResource())
		if err != nil {
			return true, nil, err
		}
		w, err := tracker.Watch(a.GetResource(), a.GetNamespace())
		if err != nil {
			return true, nil, err
		}
		if f.DynamicWatching != nil {
			f.DynamicWatching(a.GetResource().Resource)
		}
		return true, watch.Filter(w, func(ev watch.Event) (watch.Event, bool) {
			ev.Object = partial(ev.Object, gvk)
			return ev, true
		}), nil
	})
	f.Scales = &scalefake.FakeScaleClient{}
	client := f.Client
	f.Scales.AddReactor("get", "statefulsets", func(a k8stesting.Action) (bool, runtime.Object, error) {
		ga := a.(k8stesting.GetAction)
		sts, err := client.AppsV1().StatefulSets(ga.GetNamespace()).Get(context.Background(), ga.GetName(), metav1.GetOptions{})
		if err != nil {
			return true, nil, err
		}
		return true, stsScale(sts), nil
	})
	f.Scales.AddReactor("update", "statefulsets", func(a k8stesting.Action) (bool, runtime.Object, error) {
		ua := a.(k8stesting.UpdateAction)
		sc := ua.GetObject().(*autoscalingv1.Scale)
		sts, err := client.AppsV1().StatefulSets(ua.GetNamespace()).Get(context.Background(), sc.Name, metav1.GetOptions{})
		if err != nil {
			return true, nil, err
		}
		r := sc.Spec.Replicas
		sts.Spec.Replicas = &r
		if sts, err = client.AppsV1().StatefulSets(ua.GetNamespace()).Update(context.Background(), sts, metav1.UpdateOptions{}); err != nil {
			return true, nil, err
		}
		return true, stsScale(sts), nil
	})
	f.Scales.AddReactor("patch", "statefulsets", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, fmt.Errorf("kubefake: patch of scale not supported; use update")
	})
	c := kube.NewFromParts(kube.Parts{
		Client: f.Client, Dynamic: f.Dynamic, Metadata: f.Metadata, Mapper: mapper,
		Scales: f.Scales, Exec: f.Exec, Forward: f.Forward, Namespace: ns,
	})
	return c, f
}

// partial is the metadata of obj, as the metadata client returns it.
func partial(obj runtime.Object, gvk schema.GroupVersionKind) runtime.Object {
	m, err := meta.Accessor(obj)
	if err != nil {
		return obj
	}
	p := meta.AsPartialObjectMetadata(m)
	p.TypeMeta = metav1.TypeMeta{APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind}
	return p
}

func stsScale(sts *appsv1.StatefulSet) *autoscalingv1.Scale {
	r := int32(1)
	if sts.Spec.Replicas != nil {
		r = *sts.Spec.Replicas
	}
	return &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Name: sts.Name, Namespace: sts.Namespace},
		Spec:       autoscalingv1.ScaleSpec{Replicas: r},
		Status:     autoscalingv1.ScaleStatus{Replicas: sts.Status.Replicas},
	}
}

// ExecCall is one recorded Exec.
type ExecCall struct {
	Namespace, Pod, Container string
	Command                   []string
}

// Exec is a scriptable kube.Executor: Handler (if set) answers each call,
// else it succeeds with no output.
type Exec struct {
	mu      sync.Mutex
	Calls   []ExecCall
	Handler func(call ExecCall, stdout, stderr io.Writer) error
}

// Exec implements kube.Executor.
func (e *Exec) Exec(ctx context.Context, namespace, pod, container string, command []string, stdout, stderr io.Writer) error {
	call := ExecCall{namespace, pod, container, command}
	e.mu.Lock()
	e.Calls = append(e.Calls, call)
	h := e.Handler
	e.mu.Unlock()
	if h == nil {
		return nil
	}
	return h(call, stdout, stderr)
}

// Recorded returns a copy of the calls so far.
func (e *Exec) Recorded() []ExecCall {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]ExecCall(nil), e.Calls...)
}

// Forward is a scriptable kube.PortForwarder: Handler serves the server
// side of each connection (e.g. a tiny fake MySQL server), else dialing fails.
type Forward struct {
	mu      sync.Mutex
	Dials   []string // "pod:port"
	Handler func(pod string, port int, server net.Conn)
}

// DialPod implements kube.PortForwarder with net.Pipe.
func (f *Forward) DialPod(ctx context.Context, namespace, pod string, port int) (net.Conn, error) {
	f.mu.Lock()
	f.Dials = append(f.Dials, fmt.Sprintf("%s:%d", pod, port))
	h := f.Handler
	f.mu.Unlock()
	if h == nil {
		return nil, fmt.Errorf("kubefake: no port-forward handler for %s/%s:%d", namespace, pod, port)
	}
	client, server := net.Pipe()
	go h(pod, port, server)
	return client, nil
}

// Dialed returns the pods dialed so far, as "pod:port".
func (f *Forward) Dialed() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.Dials...)
}

// Output is a helper for Exec handlers: it writes s to w.
func Output(w io.Writer, s string) { _, _ = io.Copy(w, bytes.NewBufferString(s)) }

// sharedReaction serves the dynamic client from the typed clientset's
// tracker: objects go in typed and come out unstructured.
func sharedReaction(tracker k8stesting.ObjectTracker) k8stesting.ReactionFunc {
	react := k8stesting.ObjectReaction(tracker)
	return func(a k8stesting.Action) (bool, runtime.Object, error) {
		switch act := a.(type) {
		case k8stesting.CreateActionImpl:
			act.Object = toTyped(act.Object)
			a = act
		case k8stesting.UpdateActionImpl:
			act.Object = toTyped(act.Object)
			a = act
		}
		handled, obj, err := react(a)
		if obj != nil {
			obj = toUnstructured(obj)
		}
		return handled, obj, err
	}
}

func toTyped(obj runtime.Object) runtime.Object {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return obj
	}
	typed, err := scheme.Scheme.New(u.GroupVersionKind())
	if err != nil {
		return obj
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, typed); err != nil {
		return obj
	}
	return typed
}

func toUnstructured(obj runtime.Object) runtime.Object {
	if _, ok := obj.(runtime.Unstructured); ok {
		return obj
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return obj
	}
	u := &unstructured.Unstructured{Object: m}
	if gvks, _, err := scheme.Scheme.ObjectKinds(obj); err == nil && len(gvks) > 0 {
		u.SetGroupVersionKind(gvks[0])
		if items, ok := m["items"].([]any); ok {
			kind := gvks[0].Kind
			if len(kind) > 4 && kind[len(kind)-4:] == "List" {
				kind = kind[:len(kind)-4]
			}
			for _, it := range items {
				if im, ok := it.(map[string]any); ok {
					im["apiVersion"] = gvks[0].GroupVersion().String()
					im["kind"] = kind
				}
			}
		}
	}
	return u
}
