package step

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// DeletePod deletes a pod (its StatefulSet re-creates it with the same
// name). A pod that is already gone counts as deleted.
type DeletePod struct {
	// Name is the pod's name.
	Name string `yaml:"name"`
}

func init() { RegisterAction[DeletePod]("deletePod", `{name: mysql-2}`) }

// Validate implements lesson.Body.
func (a *DeletePod) Validate(v *lesson.Validator) { v.Require(a.Name != "", "name") }

// Describe implements Kind.
func (a *DeletePod) Describe() Msg { return M("KindDeletePod", "Pod", a.Name) }

// Verbs implements Kind.
func (a *DeletePod) Verbs() []Verb { return []Verb{{Resource: "pods", Verb: "delete"}} }

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
