package step

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/retry"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// Scale sets a StatefulSet's replicas through the scale subresource
// (client-go scale, like `kubectl scale`). Setting the current number again
// is harmless.
type Scale struct {
	// StatefulSet is the name of the StatefulSet.
	StatefulSet string `yaml:"statefulSet"`
	// Replicas is the new number of replicas.
	Replicas int `yaml:"replicas"`
}

func init() { RegisterAction[Scale]("scale", `{statefulSet: mysql, replicas: 5}`) }

// Validate implements lesson.Body.
func (a *Scale) Validate(v *lesson.Validator) {
	v.Require(a.StatefulSet != "", "statefulSet")
	v.Require(a.Replicas >= 0, "replicas")
}

// Verbs implements Kind.
func (a *Scale) Verbs() []Verb {
	return []Verb{{Group: "apps", Resource: "statefulsets", Subresource: "scale", Verb: "get"},
		{Group: "apps", Resource: "statefulsets", Subresource: "scale", Verb: "update"}}
}

var statefulSets = schema.GroupResource{Group: "apps", Resource: "statefulsets"}

// Describe implements Kind.
func (a *Scale) Describe() Msg {
	return M("KindScale", "StatefulSet", a.StatefulSet, "Replicas", a.Replicas)
}

// Commands implements Action.
func (a *Scale) Commands(ctx context.Context, env *Env) (ByHand, error) {
	return ByHand{Lines: []string{env.kubectl("scale", "statefulset", a.StatefulSet, fmt.Sprintf("--replicas=%d", a.Replicas))}}, nil
}

// AlreadyDone implements AlreadyDoner: the StatefulSet already asks for
// that many replicas.
func (a *Scale) AlreadyDone(ctx context.Context, env *Env) (bool, Msg) {
	sc, err := env.Cluster.Scales.Scales(env.Namespace()).Get(ctx, statefulSets, a.StatefulSet, metav1.GetOptions{})
	if err != nil || int(sc.Spec.Replicas) != a.Replicas {
		return false, Msg{}
	}
	return true, M("AlreadyScaled", "StatefulSet", a.StatefulSet, "Replicas", a.Replicas)
}

// Run implements Action.
func (a *Scale) Run(ctx context.Context, env *Env, report Reporter) (Outcome, error) {
	scales := env.Cluster.Scales.Scales(env.Namespace())
	var from int32
	// The controller updates the StatefulSet's status all the time, so an
	// update of the scale can conflict: read again and retry, as kubectl
	// scale does.
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		sc, err := scales.Get(ctx, statefulSets, a.StatefulSet, metav1.GetOptions{})
		if err != nil {
			return err
		}
		from = sc.Spec.Replicas
		if int(from) == a.Replicas {
			return nil
		}
		sc.Spec.Replicas = int32(a.Replicas)
		_, err = scales.Update(ctx, statefulSets, sc, metav1.UpdateOptions{FieldManager: FieldManager})
		return err
	})
	if err != nil {
		return Outcome{}, writeFailed(env, err, M("StepScaleFailed", "StatefulSet", a.StatefulSet, "Error", err.Error()))
	}
	return Outcome{Msg: M("OutcomeScaled", "StatefulSet", a.StatefulSet, "From", from, "To", a.Replicas)}, nil
}
