package workshop

import (
	"context"
	"math"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubetutor/kubetutor/runner/engine"
	"github.com/kubetutor/kubetutor/runner/step"
)

// Capacity is what the cluster's schedulable nodes can still give to a
// workshop: their allocatable CPU and memory minus what pods outside the
// workshop request, and the storage the default class publishes.
type Capacity struct {
	// Nodes counts the schedulable nodes.
	Nodes int
	// AllocCPU and AllocMemory are the nodes' allocatable sums.
	AllocCPU, AllocMemory resource.Quantity
	// UsedCPU and UsedMemory are requested by pods outside the workshop.
	UsedCPU, UsedMemory resource.Quantity
	// Storage is the capacity published for the default StorageClass
	// (CSIStorageCapacity); nil when the cluster publishes none.
	Storage *resource.Quantity
}

// FreeCPU is what the nodes can still give in CPU.
func (c Capacity) FreeCPU() resource.Quantity { return sub(c.AllocCPU, c.UsedCPU) }

// FreeMemory is what the nodes can still give in memory.
func (c Capacity) FreeMemory() resource.Quantity { return sub(c.AllocMemory, c.UsedMemory) }

func sub(a, b resource.Quantity) resource.Quantity {
	a = a.DeepCopy()
	a.Sub(b)
	return a
}

// MeasureCapacity reads the nodes, the pods on them (ignoring the
// namespaces in ours: the workshop's own, on a second init) and the
// published storage capacity. It needs cluster-wide list rights.
func MeasureCapacity(ctx context.Context, client kubernetes.Interface, ours map[string]bool) (Capacity, error) {
	var c Capacity
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return c, problemErr(err, "WorkshopCapacityUnknown")
	}
	usable := map[string]bool{}
	for i := range nodes.Items {
		n := &nodes.Items[i]
		if !engine.Schedulable(n) {
			continue
		}
		usable[n.Name] = true
		c.Nodes++
		c.AllocCPU.Add(n.Status.Allocatable[corev1.ResourceCPU])
		c.AllocMemory.Add(n.Status.Allocatable[corev1.ResourceMemory])
	}
	pods, err := client.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "status.phase!=Succeeded,status.phase!=Failed"})
	if err != nil {
		return c, problemErr(err, "WorkshopCapacityUnknown")
	}
	for i := range pods.Items {
		p := &pods.Items[i]
		if !usable[p.Spec.NodeName] || ours[p.Namespace] || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		cpu, mem := podRequests(p.Spec, false)
		c.UsedCPU.Add(cpu)
		c.UsedMemory.Add(mem)
	}
	c.Storage = publishedStorage(ctx, client)
	return c, nil
}

// publishedStorage sums the CSIStorageCapacity of the default
// StorageClass; nil when none is published (or it cannot be read).
func publishedStorage(ctx context.Context, client kubernetes.Interface) *resource.Quantity {
	classes, err := client.StorageV1().StorageClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil
	}
	def := ""
	for _, sc := range classes.Items {
		if sc.Annotations["storageclass.kubernetes.io/is-default-class"] == "true" {
			def = sc.Name
		}
	}
	caps, err := client.StorageV1().CSIStorageCapacities("").List(ctx, metav1.ListOptions{})
	if err != nil || def == "" {
		return nil
	}
	var total resource.Quantity
	found := false
	for _, sc := range caps.Items {
		if sc.StorageClassName == def && sc.Capacity != nil {
			total.Add(*sc.Capacity)
			found = true
		}
	}
	if !found {
		return nil
	}
	return &total
}

// Shortfalls says, one message per resource, where n learners at peak
// need more than the cluster has; empty when they fit. Storage counts only
// when the cluster publishes it.
func (c Capacity) Shortfalls(peak Footprint, n int) []step.Msg {
	need := peak.Times(n)
	var out []step.Msg
	check := func(id string, need, free, alloc, used, per resource.Quantity) {
		if need.Cmp(free) <= 0 {
			return
		}
		fit := 0
		if per.MilliValue() > 0 && free.MilliValue() > 0 {
			fit = int(math.Floor(float64(free.MilliValue()) / float64(per.MilliValue())))
		}
		out = append(out, step.M(id, "Learners", n, "Need", need.String(), "Free", free.String(),
			"Alloc", alloc.String(), "Used", used.String(), "Nodes", c.Nodes, "Per", per.String(), "Fit", fit))
	}
	check("WorkshopShortCPU", need.CPU, c.FreeCPU(), c.AllocCPU, c.UsedCPU, peak.CPU)
	check("WorkshopShortMemory", need.Memory, c.FreeMemory(), c.AllocMemory, c.UsedMemory, peak.Memory)
	if c.Storage != nil {
		check("WorkshopShortStorage", need.Storage, *c.Storage, *c.Storage, resource.Quantity{}, peak.Storage)
	}
	return out
}

// podRequests are a pod's effective requests (the larger of its
// containers' sum and its largest init container); with defaults, the
// LimitRange's defaults fill requests a container does not state, as in a
// learner's namespace.
func podRequests(spec corev1.PodSpec, defaults bool) (cpu, mem resource.Quantity) {
	req := func(c corev1.Container) (resource.Quantity, resource.Quantity) {
		cpu, ok := c.Resources.Requests[corev1.ResourceCPU]
		if !ok && defaults {
			cpu = DefaultCPU
		}
		mem, ok := c.Resources.Requests[corev1.ResourceMemory]
		if !ok && defaults {
			mem = DefaultMemory
		}
		return cpu, mem
	}
	for _, c := range spec.Containers {
		a, b := req(c)
		cpu.Add(a)
		mem.Add(b)
	}
	for _, c := range spec.InitContainers {
		a, b := req(c)
		maxQ(&cpu, a)
		maxQ(&mem, b)
	}
	return cpu, mem
}
