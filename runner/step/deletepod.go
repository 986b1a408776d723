package step

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// DeletePod deletes a pod (its StatefulSet re-creates it with the same
// name). A pod that is already gone counts as deleted.
type DeletePod struct {
	// Name is the pod's name.
	Name string `yaml:"name"`
	// uid is the pod's UID when the step was armed ("" if absent).
	uid types.UID
}

func init() { RegisterAction[DeletePod]("deletePod", `{name: mysql-2}`) }

// Validate implements lesson.Body.
func (a *DeletePod) Validate(v *lesson.Validator) { v.Require(a.Name != "", "name") }

// Describe implements Kind.
func (a *DeletePod) Describe() Msg { return M("KindDeletePod", "Pod", a.Name) }

// Verbs implements Kind.
func (a *DeletePod) Verbs() []Verb { return []Verb{{Resource: "pods", Verb: "delete"}} }

// Prepare implements Preparer: it records which pod the step is about, so
// that a pod deleted by hand and re-created is not deleted again.
func (a *DeletePod) Prepare(ctx context.Context, env *Env) error {
	if p, err := env.Cluster.Client.CoreV1().Pods(env.Namespace()).Get(ctx, a.Name, metav1.GetOptions{}); err == nil {
		a.uid = p.UID
	}
	return nil
}

// Commands implements Action.
func (a *DeletePod) Commands(ctx context.Context, env *Env) (ByHand, error) {
	return ByHand{Lines: []string{env.kubectl("delete", "pod", a.Name)}}, nil
}

// AlreadyDone implements AlreadyDoner: the pod of the armed step is gone,
// going, or was replaced by a new one of the same name.
func (a *DeletePod) AlreadyDone(ctx context.Context, env *Env) (bool, Msg) {
	p, err := env.Cluster.Client.CoreV1().Pods(env.Namespace()).Get(ctx, a.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return true, M("AlreadyDeleted", "Object", "pod/"+a.Name)
	case err != nil:
		return false, Msg{}
	case p.DeletionTimestamp != nil || (a.uid != "" && p.UID != a.uid):
		return true, M("AlreadyDeleted", "Object", "pod/"+a.Name)
	}
	return false, Msg{}
}

// Run implements Action.
func (a *DeletePod) Run(ctx context.Context, env *Env, report Reporter) (Outcome, error) {
	err := env.Cluster.Client.CoreV1().Pods(env.Namespace()).Delete(ctx, a.Name, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return Outcome{Msg: M("OutcomeAlreadyGone", "Object", "pod/"+a.Name)}, nil
	}
	if err != nil {
		return Outcome{}, writeFailed(env, err, M("StepDeleteFailed", "Object", "pod/"+a.Name, "Error", err.Error()))
	}
	return Outcome{Msg: M("OutcomeDeleted", "Object", "pod/"+a.Name)}, nil
}

// TargetPods implements PodTarget.
func (a *DeletePod) TargetPods() ([]string, string) { return []string{a.Name}, "" }
