package workshop

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

// Default requests of containers that state none: the learner
// namespaces' LimitRange sets them, and sizing counts them the same way.
var (
	DefaultCPU    = resource.MustParse("50m")
	DefaultMemory = resource.MustParse("64Mi")
)

// Footprint is what one learner's lesson requests of the cluster at its
// peak. Each dimension is its own maximum over the lesson's steps.
type Footprint struct {
	// Pods and Claims are the most pods and PersistentVolumeClaims at once.
	Pods, Claims int
	// CPU and Memory are the most requested at once by the pods.
	CPU, Memory resource.Quantity
	// Storage is the most requested at once by the claims.
	Storage resource.Quantity
	// Step is the first step after which the most pods run.
	Step string
	// PodCPU, PodMemory and ClaimStorage are the largest single pod's
	// requests and the largest claim: the quota's headroom for one pod
	// re-created while the old one terminates.
	PodCPU, PodMemory, ClaimStorage resource.Quantity
}

// workload is a pod template the lesson's manifests create, and how many.
type workload struct {
	replicas    int
	cpu, memory resource.Quantity
	// claims are the sizes of the claims each replica gets
	// (volumeClaimTemplates).
	claims []resource.Quantity
	sts    bool
}

// Peak walks the lesson's steps the way they change the cluster — apply
// creates the manifests' workloads, scale sets a StatefulSet's replicas,
// deletePVCs removes claims, cleanup removes all — and returns the most
// each step leaves requested. A StatefulSet's claims outlive a scale-down:
// they count until deleted. For the MySQL lesson: 5 pods and 5 claims,
// after scale-up.
func Peak(env *step.Env, l *lesson.Lesson) (Footprint, error) {
	var f Footprint
	work := map[string]*workload{}
	claims := map[string]int{} // StatefulSet → replicas whose claims exist
	for _, s := range l.Spec.Steps {
		switch a := s.Action.Body.(type) {
		case lesson.ManifestUser:
			for _, file := range a.ManifestFiles() {
				objs, err := step.ReadManifest(env.Manifests, file)
				if err != nil {
					return f, problemErr(err, "WorkshopManifest", "File", file)
				}
				for _, o := range objs {
					w, err := parseWorkload(o.GetKind(), o.UnstructuredContent())
					if err != nil {
						return f, problemErr(err, "WorkshopManifest", "File", file)
					}
					if w != nil {
						work[o.GetKind()+"/"+o.GetName()] = w
					}
				}
			}
		case *step.Scale:
			if w, ok := work["StatefulSet/"+a.StatefulSet]; ok {
				w.replicas = a.Replicas
			}
		case *step.DeletePVCs:
			for name := range claims {
				left := 0
				if w := work[name]; w != nil {
					left = w.replicas
				}
				if n := len(a.Names); n > 0 {
					left = max(left, claims[name]-n)
				}
				claims[name] = left
			}
		case *step.Cleanup:
			work, claims = map[string]*workload{}, map[string]int{}
		}
		var pods, nclaims int
		var cpu, mem, storage resource.Quantity
		for name, w := range work {
			pods += w.replicas
			for range w.replicas {
				cpu.Add(w.cpu)
				mem.Add(w.memory)
			}
			if w.sts {
				claims[name] = max(claims[name], w.replicas)
			}
			maxQ(&f.PodCPU, w.cpu)
			maxQ(&f.PodMemory, w.memory)
			for _, c := range w.claims {
				maxQ(&f.ClaimStorage, c)
			}
		}
		for name, n := range claims {
			if w := work[name]; w != nil {
				nclaims += n * len(w.claims)
				for range n {
					for _, c := range w.claims {
						storage.Add(c)
					}
				}
			}
		}
		if pods > f.Pods {
			f.Pods, f.Step = pods, s.ID
		}
		f.Claims = max(f.Claims, nclaims)
		maxQ(&f.CPU, cpu)
		maxQ(&f.Memory, mem)
		maxQ(&f.Storage, storage)
	}
	return f, nil
}

func maxQ(dst *resource.Quantity, q resource.Quantity) {
	if q.Cmp(*dst) > 0 {
		*dst = q.DeepCopy()
	}
}

// parseWorkload reads the pods a manifest object makes; nil for objects
// that make none.
func parseWorkload(kind string, obj map[string]any) (*workload, error) {
	conv := runtime.DefaultUnstructuredConverter
	switch kind {
	case "StatefulSet":
		var s appsv1.StatefulSet
		if err := conv.FromUnstructured(obj, &s); err != nil {
			return nil, err
		}
		w := podWorkload(s.Spec.Template.Spec, replicas(s.Spec.Replicas))
		w.sts = true
		for _, t := range s.Spec.VolumeClaimTemplates {
			w.claims = append(w.claims, t.Spec.Resources.Requests[corev1.ResourceStorage])
		}
		return w, nil
	case "Deployment":
		var d appsv1.Deployment
		if err := conv.FromUnstructured(obj, &d); err != nil {
			return nil, err
		}
		return podWorkload(d.Spec.Template.Spec, replicas(d.Spec.Replicas)), nil
	case "ReplicaSet":
		var r appsv1.ReplicaSet
		if err := conv.FromUnstructured(obj, &r); err != nil {
			return nil, err
		}
		return podWorkload(r.Spec.Template.Spec, replicas(r.Spec.Replicas)), nil
	case "Pod":
		var p corev1.Pod
		if err := conv.FromUnstructured(obj, &p); err != nil {
			return nil, err
		}
		return podWorkload(p.Spec, 1), nil
	}
	return nil, nil
}

func replicas(r *int32) int {
	if r == nil {
		return 1
	}
	return int(*r)
}

// podWorkload is n pods of spec, with the requests of a learner's
// namespace (the LimitRange's defaults where a container states none).
func podWorkload(spec corev1.PodSpec, n int) *workload {
	w := &workload{replicas: n}
	w.cpu, w.memory = podRequests(spec, true)
	return w
}

// Quota is the learner namespace's ResourceQuota: the peak plus one pod and
// one claim of headroom (a pod re-created while the old one still
// terminates counts twice for a moment).
func (f Footprint) Quota() corev1.ResourceList {
	add := func(a, b resource.Quantity) resource.Quantity {
		a = a.DeepCopy()
		a.Add(b)
		return a
	}
	return corev1.ResourceList{
		corev1.ResourcePods:                   *resource.NewQuantity(int64(f.Pods+1), resource.DecimalSI),
		corev1.ResourceRequestsCPU:            add(f.CPU, f.PodCPU),
		corev1.ResourceRequestsMemory:         add(f.Memory, f.PodMemory),
		corev1.ResourcePersistentVolumeClaims: *resource.NewQuantity(int64(f.Claims+1), resource.DecimalSI),
		corev1.ResourceRequestsStorage:        add(f.Storage, f.ClaimStorage),
	}
}

// Times is the footprint of n learners.
func (f Footprint) Times(n int) Footprint {
	out := Footprint{Pods: f.Pods * n, Claims: f.Claims * n, Step: f.Step}
	for range n {
		out.CPU.Add(f.CPU)
		out.Memory.Add(f.Memory)
		out.Storage.Add(f.Storage)
	}
	return out
}

// String is the footprint in one line, for messages and tests.
func (f Footprint) String() string {
	return fmt.Sprintf("%d pods, %s CPU, %s memory, %d claims, %s storage", f.Pods, f.CPU.String(), f.Memory.String(), f.Claims, f.Storage.String())
}

// quotaString lists a ResourceList sorted by name.
func quotaString(l corev1.ResourceList) string {
	var parts []string
	for _, k := range []corev1.ResourceName{corev1.ResourcePods, corev1.ResourceRequestsCPU, corev1.ResourceRequestsMemory, corev1.ResourcePersistentVolumeClaims, corev1.ResourceRequestsStorage} {
		if q, ok := l[k]; ok {
			parts = append(parts, string(k)+"="+q.String())
		}
	}
	return strings.Join(parts, " ")
}
