package lessons_test

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/manifests"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

// created is one object, or one family of objects, that a lesson's steps
// make: an applied manifest's object, the pods of a workload, the claims of
// a StatefulSet's volumeClaimTemplates.
type created struct {
	what   string // for messages: "mysql/statefulset.yaml: StatefulSet mysql"
	group  string
	kind   string
	name   string // "" for pods and claims a controller names
	labels labels.Set
}

// createdBy lists what applying obj makes. A workload's pods carry its pod
// template's labels; a StatefulSet's claims carry their template's labels
// plus the StatefulSet's matchLabels (the controller adds them).
func createdBy(file string, obj *unstructured.Unstructured) []created {
	gvk := obj.GroupVersionKind()
	what := fmt.Sprintf("%s: %s %s", file, gvk.Kind, obj.GetName())
	out := []created{{what: what, group: gvk.Group, kind: gvk.Kind, name: obj.GetName(), labels: obj.GetLabels()}}
	if l, found, _ := unstructured.NestedStringMap(obj.Object, "spec", "template", "metadata", "labels"); found {
		out = append(out, created{what: what + ", its pods", kind: "Pod", labels: l})
	} else if _, found, _ := unstructured.NestedMap(obj.Object, "spec", "template"); found {
		out = append(out, created{what: what + ", its pods", kind: "Pod", labels: labels.Set{}})
	}
	if gvk.Kind != "StatefulSet" {
		return out
	}
	sel, _, _ := unstructured.NestedStringMap(obj.Object, "spec", "selector", "matchLabels")
	vcts, _, _ := unstructured.NestedSlice(obj.Object, "spec", "volumeClaimTemplates")
	for _, v := range vcts {
		vct, _ := v.(map[string]any)
		name, _, _ := unstructured.NestedString(vct, "metadata", "name")
		l, _, _ := unstructured.NestedStringMap(vct, "metadata", "labels")
		set := labels.Set{}
		for k, v := range l {
			set[k] = v
		}
		for k, v := range sel {
			set[k] = v
		}
		out = append(out, created{what: fmt.Sprintf("%s, its claims %s-%s-N", what, name, obj.GetName()), kind: "PersistentVolumeClaim", labels: set})
	}
	return out
}

// TestCleanupCoversWhatStepsCreate keeps every lesson's promise that its
// cleanup step deletes everything its steps created: for every object an
// apply step creates (and the pods and claims its workloads make), the
// lesson's selector matches it (cleanup deletes what the selector matches),
// cleanup deletes its kind, and one of the cleanup step's absent checks
// waits for it to go (same kind, and its name or a selector matching it).
func TestCleanupCoversWhatStepsCreate(t *testing.T) {
	all, probs, err := lesson.LoadAll(lessons.FS, "lessons", step.Kinds())
	if err != nil || len(probs) > 0 {
		t.Fatalf("load lessons: %v %v", err, probs)
	}
	if len(all) < 3 {
		t.Fatalf("only %d lessons", len(all))
	}
	deletes := map[string]bool{} // "group/resource" cleanup deletes
	for _, v := range (&step.Cleanup{}).Verbs() {
		if v.Verb == "delete" {
			deletes[v.Group+"/"+v.Resource] = true
		}
	}
	for _, l := range all {
		t.Run(l.ID, func(t *testing.T) {
			var cleanup *lesson.Step
			var made []created
			for i, s := range l.Spec.Steps {
				if _, ok := s.Action.Body.(*step.Cleanup); ok {
					if cleanup != nil {
						t.Errorf("lesson.yaml:%d: a second cleanup step", s.Line)
					}
					cleanup = &l.Spec.Steps[i]
					continue
				}
				m, ok := s.Action.Body.(lesson.ManifestUser)
				if !ok {
					continue
				}
				for _, f := range m.ManifestFiles() {
					objs, err := step.ReadManifest(manifests.FS, f)
					if err != nil {
						t.Fatalf("%s: %v", f, err)
					}
					for _, o := range objs {
						made = append(made, createdBy(f, o)...)
					}
				}
			}
			if cleanup == nil {
				t.Fatal("no step with a cleanup action")
			}
			if len(made) == 0 {
				t.Fatal("no step creates anything: is the test still reading the manifests?")
			}
			sel, err := labels.Parse(l.Spec.Selector)
			if err != nil || l.Spec.Selector == "" {
				t.Fatalf("selector %q: %v", l.Spec.Selector, err)
			}
			for _, c := range made {
				if !sel.Matches(c.labels) {
					t.Errorf("%s: the lesson's selector %q does not match its labels %v, so cleanup leaves it behind", c.what, l.Spec.Selector, c.labels)
				}
				gvr, _ := meta.UnsafeGuessKindToResource(schema.GroupVersionKind{Group: c.group, Kind: c.kind})
				if !deletes[gvr.Group+"/"+gvr.Resource] {
					t.Errorf("%s: cleanup does not delete %s (runner/step/cleanup.go cleanupKinds)", c.what, gvr.Resource)
				}
				if !awaitedGone(cleanup, c) {
					t.Errorf("%s: no absent check of step %s (lesson.yaml:%d) waits for it: add `- absent: {kind: %s, selector: %q}`",
						c.what, cleanup.ID, cleanup.Line, c.kind, l.Spec.Selector)
				}
			}
		})
	}
}

// awaitedGone reports whether one of the step's absent checks covers c.
func awaitedGone(s *lesson.Step, c created) bool {
	for _, ch := range s.Checks {
		a, ok := ch.Body.(*step.Absent)
		if !ok {
			continue
		}
		kind, _, _ := strings.Cut(a.Kind, ".")
		if kind != c.kind {
			continue
		}
		if a.Name != "" && a.Name == c.name {
			return true
		}
		if a.Selector != "" {
			if sel, err := labels.Parse(a.Selector); err == nil && sel.Matches(c.labels) {
				return true
			}
		}
	}
	return false
}
