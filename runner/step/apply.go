package step

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// Apply server-side applies manifest files into the lesson's namespace,
// with field manager "kubetutor" (forcing ownership, as `kubectl apply
// --server-side --force-conflicts` does), so applying twice is harmless.
// Container images equal to a reference of lesson.yaml's images are
// replaced by the --image override of that name.
type Apply struct {
	// Files are paths inside the manifests folder, e.g. "mysql/statefulset.yaml".
	Files []string `yaml:"files"`
}

func init() { RegisterAction[Apply]("apply", `{files: [mysql/configmap.yaml]}`) }

// Validate implements lesson.Body.
func (a *Apply) Validate(v *lesson.Validator) { v.Require(len(a.Files) > 0, "files") }

// ManifestFiles implements lesson.ManifestUser: the linter checks the files.
func (a *Apply) ManifestFiles() []string { return a.Files }

// Describe implements Kind.
func (a *Apply) Describe() Msg { return M("KindApply", "Files", strings.Join(a.Files, ", ")) }

// Verbs implements Kind: create and patch on the manifests' kinds, which
// the caller reads from ManifestFiles with the cluster's RESTMapper.
func (a *Apply) Verbs() []Verb { return nil }

// Run implements Action.
func (a *Apply) Run(ctx context.Context, env *Env, report Reporter) (Outcome, error) {
	var applied []string
	for _, f := range a.Files {
		objs, err := ReadManifest(env.Manifests, f)
		if err != nil {
			return Outcome{}, fail(err, M("StepManifestUnreadable", "File", f, "Error", err.Error()), M("HintManifest"))
		}
		for _, obj := range objs {
			env.overrideImages(obj)
			name, err := env.applyObject(ctx, obj)
			if err != nil {
				return Outcome{Output: strings.Join(applied, "\n")}, err
			}
			applied = append(applied, name)
			report(M("ProgressApplied", "Object", name))
		}
	}
	return Outcome{Msg: M("OutcomeApplied", "Count", len(applied), "Objects", strings.Join(applied, ", "), "Namespace", env.Namespace())}, nil
}

// Commands implements Action: `kubectl apply -f` of the copies of the
// files the tutor keeps (ManifestCopy), so the command works from any
// directory. kubectl applies client-side where the tutor applies
// server-side; the objects come out the same.
func (a *Apply) Commands(ctx context.Context, env *Env) (ByHand, error) {
	args := []string{"apply"}
	for _, f := range a.Files {
		p, err := env.ManifestCopy(f)
		if err != nil {
			return ByHand{}, fail(err, M("StepManifestUnreadable", "File", f, "Error", err.Error()), M("HintManifest"))
		}
		args = append(args, "-f", p)
	}
	return ByHand{Lines: []string{env.kubectl(args...)}}, nil
}

// ReadManifest decodes every non-empty YAML document of file in fsys.
func ReadManifest(fsys fs.FS, file string) ([]*unstructured.Unstructured, error) {
	raw, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, err
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096)
	var out []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if len(m) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		if u.GetKind() == "" || u.GetAPIVersion() == "" {
			return nil, fmt.Errorf("%s: a document has no kind or apiVersion", file)
		}
		out = append(out, u)
	}
}

// applyObject server-side applies obj into the namespace; it returns
// "kind/name".
func (e *Env) applyObject(ctx context.Context, obj *unstructured.Unstructured) (string, error) {
	gvk := obj.GroupVersionKind()
	name := strings.ToLower(gvk.Kind) + "/" + obj.GetName()
	mapping, err := e.Cluster.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return name, fail(err, M("StepUnknownKind", "Kind", gvk.String()), M("HintUnknownKind"))
	}
	r := e.Cluster.Dynamic.Resource(mapping.Resource)
	obj.SetManagedFields(nil)
	obj.SetResourceVersion("")
	var client interface {
		Patch(context.Context, string, types.PatchType, []byte, metav1.PatchOptions, ...string) (*unstructured.Unstructured, error)
	} = r
	if mapping.Scope.Name() == "namespace" {
		obj.SetNamespace(e.Namespace())
		client = r.Namespace(e.Namespace())
	}
	data, err := json.Marshal(obj.Object)
	if err != nil {
		return name, err
	}
	force := true
	_, err = client.Patch(ctx, obj.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: FieldManager, Force: &force})
	if err != nil {
		return name, writeFailed(e, err, M("StepApplyFailed", "Object", name, "Namespace", e.Namespace(), "Error", err.Error()))
	}
	return name, nil
}

// overrideImages replaces, in every containers/initContainers list of obj,
// an image equal to a lesson image's reference by its override.
func (e *Env) overrideImages(obj *unstructured.Unstructured) {
	repl := map[string]string{}
	for name, ref := range e.Spec.Images {
		if o, ok := e.Images[name]; ok && o != "" && o != ref {
			repl[ref] = o
		}
	}
	if len(repl) > 0 {
		replaceImages(obj.Object, repl)
	}
}

func replaceImages(v any, repl map[string]string) {
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			if k == "containers" || k == "initContainers" || k == "ephemeralContainers" {
				if list, ok := child.([]any); ok {
					for _, c := range list {
						if cm, ok := c.(map[string]any); ok {
							if img, ok := cm["image"].(string); ok {
								if r, ok := repl[img]; ok {
									cm["image"] = r
								}
							}
						}
					}
				}
			}
			replaceImages(child, repl)
		}
	case []any:
		for _, c := range t {
			replaceImages(c, repl)
		}
	}
}
