package evidence

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

// ObjectKinds lists the kinds (as lesson.yaml writes them) whose objects
// the lesson's checks judge evidence from, besides pods, claims, nodes and
// events which every History holds: the kinds of exists, absent, sameUID
// and newUID.
func ObjectKinds(steps []lesson.Step) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range steps {
		for _, c := range s.AllChecks() {
			chk, err := step.NewCheck(c)
			if err != nil {
				continue
			}
			for _, v := range chk.Verbs() {
				k := strings.ToLower(strings.Split(v.Kind, ".")[0])
				if v.Kind == "" || v.Verb != "list" || k == "pod" || k == "persistentvolumeclaim" || seen[v.Kind] {
					continue
				}
				seen[v.Kind] = true
				out = append(out, v.Kind)
			}
		}
	}
	return out
}

// Read reads the History of env's namespace with one LIST per kind: the
// lesson's pods and claims (its selector), every event of the namespace,
// the nodes (skipped without the right to list them), and the objects of
// ObjectKinds. epoch is when the current attempt began (zero: never reset).
func Read(ctx context.Context, env *step.Env, epoch time.Time) (*step.History, error) {
	ns, sel := env.Namespace(), env.Spec.Selector
	c := env.Cluster.Client.CoreV1()
	h := &step.History{Namespace: ns, Lesson: env.Lesson, Epoch: epoch, Now: time.Now(),
		Pods: map[string]*corev1.Pod{}, PVCs: map[string]*corev1.PersistentVolumeClaim{}, Nodes: map[string]*corev1.Node{},
		Objects: map[schema.GroupResource]map[string]metav1.Object{},
		Resolve: func(kind string) (schema.GroupResource, error) {
			gvr, _, err := env.Resolve(kind)
			return gvr.GroupResource(), err
		},
	}
	opts := metav1.ListOptions{LabelSelector: sel}
	pods, err := c.Pods(ns).List(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("list pods: %w", err)
	}
	for i := range pods.Items {
		h.Pods[pods.Items[i].Name] = &pods.Items[i]
	}
	pvcs, err := c.PersistentVolumeClaims(ns).List(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("list claims: %w", err)
	}
	for i := range pvcs.Items {
		h.PVCs[pvcs.Items[i].Name] = &pvcs.Items[i]
	}
	events, err := c.Events(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	for i := range events.Items {
		h.Events = append(h.Events, &events.Items[i])
	}
	step.SortEvents(h.Events)
	if nodes, err := c.Nodes().List(ctx, metav1.ListOptions{}); err == nil {
		for i := range nodes.Items {
			h.Nodes[nodes.Items[i].Name] = &nodes.Items[i]
		}
	}
	for _, kind := range ObjectKinds(env.Spec.Steps) {
		gvr, namespaced, err := env.Resolve(kind)
		if err != nil {
			continue // lint and the check itself report an unknown kind
		}
		r := env.Cluster.Dynamic.Resource(gvr)
		objs := map[string]metav1.Object{}
		if namespaced {
			list, err := r.Namespace(ns).List(ctx, opts)
			if err != nil {
				return nil, fmt.Errorf("list %s: %w", gvr.Resource, err)
			}
			for i := range list.Items {
				objs[list.Items[i].GetName()] = &list.Items[i]
			}
		} else {
			list, err := r.List(ctx, opts)
			if err != nil {
				return nil, fmt.Errorf("list %s: %w", gvr.Resource, err)
			}
			for i := range list.Items {
				objs[list.Items[i].GetName()] = &list.Items[i]
			}
		}
		h.Objects[gvr.GroupResource()] = objs
	}
	return h, nil
}
