package step

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// resolve maps a kind as lessons write it ("ConfigMap", "StatefulSet",
// "StatefulSet.apps", "pvc" is not accepted: use the Kind) to its resource.
func (e *Env) resolve(kind string) (schema.GroupVersionResource, bool, error) {
	k, group, _ := strings.Cut(kind, ".")
	var mapping *meta.RESTMapping
	var err error
	if group != "" {
		mapping, err = e.Cluster.Mapper.RESTMapping(schema.GroupKind{Group: group, Kind: k})
	} else {
		var gvr schema.GroupVersionResource
		gvr, err = e.Cluster.Mapper.ResourceFor(schema.GroupVersionResource{Resource: strings.ToLower(k)})
		if err == nil {
			var gvk schema.GroupVersionKind
			gvk, err = e.Cluster.Mapper.KindFor(gvr)
			if err == nil {
				mapping, err = e.Cluster.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
			}
		}
	}
	if err != nil {
		return schema.GroupVersionResource{}, false, fail(fmt.Errorf("kind %q: %w", kind, err), M("StepUnknownKind", "Kind", kind), M("HintUnknownKind"))
	}
	return mapping.Resource, mapping.Scope.Name() == meta.RESTScopeNameNamespace, nil
}

// Resolve maps a kind as lessons write it to its resource and whether it
// is namespaced (evidence readers and workshop watches use it).
func (e *Env) Resolve(kind string) (schema.GroupVersionResource, bool, error) { return e.resolve(kind) }
