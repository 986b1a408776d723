package chaos

import (
	"context"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
)

// leftoverKind is one kind of object the harness looks for after the
// lesson: in a namespace (or cluster-wide), with a label selector, and a
// filter for what the selector cannot say.
type leftoverKind struct {
	gvr       schema.GroupVersionResource
	namespace string
	selector  string
	keep      func(u *unstructured.Unstructured) bool
}

// leftoverKinds are what a finished lesson must not leave: every object of
// every namespaced kind the API serves that the lesson's selector matches,
// every PersistentVolumeClaim of the namespace whatever its labels, and
// every PersistentVolume still bound to a claim of the namespace.
func leftoverKinds(disc discovery.DiscoveryInterface, ns, selector string) ([]leftoverKind, error) {
	lists, err := disc.ServerPreferredNamespacedResources()
	if err != nil && len(lists) == 0 {
		return nil, fmt.Errorf("discover the API's kinds: %w", err)
	}
	pvc := schema.GroupVersionResource{Version: "v1", Resource: "persistentvolumeclaims"}
	var out []leftoverKind
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || !slices.Contains(r.Verbs, "list") || !slices.Contains(r.Verbs, "watch") {
				continue
			}
			gvr := gv.WithResource(r.Name)
			if gvr == pvc {
				continue
			}
			out = append(out, leftoverKind{gvr: gvr, namespace: ns, selector: selector})
		}
	}
	out = append(out,
		leftoverKind{gvr: pvc, namespace: ns},
		leftoverKind{gvr: schema.GroupVersionResource{Version: "v1", Resource: "persistentvolumes"},
			keep: func(u *unstructured.Unstructured) bool {
				claimNS, _, _ := unstructured.NestedString(u.Object, "spec", "claimRef", "namespace")
				return claimNS == ns
			}},
	)
	return out, nil
}

func (k leftoverKind) name(u *unstructured.Unstructured) string {
	return k.gvr.Resource + "/" + u.GetName()
}

// list returns the kind's leftovers and the list's resourceVersion.
func (k leftoverKind) list(ctx context.Context, dyn dynamic.Interface) ([]string, string, error) {
	l, err := dyn.Resource(k.gvr).Namespace(k.namespace).List(ctx, metav1.ListOptions{LabelSelector: k.selector})
	if err != nil {
		return nil, "", fmt.Errorf("list %s: %w", k.gvr.Resource, err)
	}
	var out []string
	for i := range l.Items {
		if k.keep == nil || k.keep(&l.Items[i]) {
			out = append(out, k.name(&l.Items[i]))
		}
	}
	return out, l.GetResourceVersion(), nil
}

// Leftovers lists what the lesson left behind now.
func leftovers(ctx context.Context, dyn dynamic.Interface, kinds []leftoverKind) ([]string, error) {
	var out []string
	for _, k := range kinds {
		names, _, err := k.list(ctx, dyn)
		if err != nil {
			return out, err
		}
		out = append(out, names...)
	}
	return out, nil
}

// waitNoLeftovers waits until nothing is left, or ctx ends; it returns
// what is still there then. The lesson's cleanup deletes what it created;
// what those objects owned (ControllerRevisions, EndpointSlices) and the
// volumes of deleted claims go a moment later, by the garbage collector and
// the volume's reclaim policy, so it watches each kind with leftovers until
// one of them is deleted, then looks again.
func waitNoLeftovers(ctx context.Context, dyn dynamic.Interface, kinds []leftoverKind) ([]string, error) {
	for {
		var left []string
		var watchKind *leftoverKind
		var rv string
		for i, k := range kinds {
			names, v, err := k.list(ctx, dyn)
			if err != nil {
				return left, err
			}
			if len(names) > 0 && watchKind == nil {
				watchKind, rv = &kinds[i], v
			}
			left = append(left, names...)
		}
		if len(left) == 0 {
			return nil, nil
		}
		w, err := dyn.Resource(watchKind.gvr).Namespace(watchKind.namespace).Watch(ctx,
			metav1.ListOptions{LabelSelector: watchKind.selector, ResourceVersion: rv})
		if err != nil {
			if ctx.Err() != nil {
				return left, nil
			}
			return left, fmt.Errorf("watch %s: %w", watchKind.gvr.Resource, err)
		}
		deleted := false
		for !deleted {
			select {
			case <-ctx.Done():
				w.Stop()
				return left, nil
			case ev, ok := <-w.ResultChan():
				// A closed watch (the server ends watches now and then) or
				// a deletion: look again.
				deleted = !ok || ev.Type == watch.Deleted || ev.Type == watch.Error
			}
		}
		w.Stop()
	}
}
