package step

import (
	"context"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// DeletePVCs deletes PersistentVolumeClaims by name or selector — a
// StatefulSet never deletes its claims by itself. Claims already gone count
// as deleted.
type DeletePVCs struct {
	// Names of the claims.
	Names []string `yaml:"names"`
	// Selector is a label selector of the claims.
	Selector string `yaml:"selector"`
}

func init() { RegisterAction[DeletePVCs]("deletePVCs", `{names: [data-mysql-3, data-mysql-4]}`) }

// Validate implements lesson.Body.
func (a *DeletePVCs) Validate(v *lesson.Validator) {
	v.Require(len(a.Names) > 0 || a.Selector != "", "names|selector")
}

// Describe implements Kind.
func (a *DeletePVCs) Describe() Msg { return M("KindDeletePVCs", "What", namesOr(a.Names, a.Selector)) }

// Verbs implements Kind.
func (a *DeletePVCs) Verbs() []Verb {
	return []Verb{{Resource: "persistentvolumeclaims", Verb: "delete"}, {Resource: "persistentvolumeclaims", Verb: "list"}}
}

// Run implements Action.
func (a *DeletePVCs) Run(ctx context.Context, env *Env, report Reporter) (Outcome, error) {
	pvcs := env.Cluster.Client.CoreV1().PersistentVolumeClaims(env.Namespace())
	names := a.Names
	if len(names) == 0 {
		l, err := pvcs.List(ctx, metav1.ListOptions{LabelSelector: a.Selector})
		if err != nil {
			return Outcome{}, fail(err, M("StepError", "Error", err.Error()), applyHint(err))
		}
		for _, p := range l.Items {
			names = append(names, p.Name)
		}
	}
	var deleted []string
	for _, n := range names {
		err := pvcs.Delete(ctx, n, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return Outcome{}, writeFailed(env, err, M("StepDeleteFailed", "Object", "persistentvolumeclaim/"+n, "Error", err.Error()))
		}
		deleted = append(deleted, n)
		report(M("ProgressDeleted", "Object", "persistentvolumeclaim/"+n))
	}
	return Outcome{Msg: M("OutcomeDeletedPVCs", "Count", len(deleted), "Names", strings.Join(deleted, ", "))}, nil
}

// Commands implements Action.
func (a *DeletePVCs) Commands(ctx context.Context, env *Env) (ByHand, error) {
	if len(a.Names) == 0 {
		return ByHand{Lines: []string{env.kubectl("delete", "pvc", "-l", a.Selector)}}, nil
	}
	return ByHand{Lines: []string{env.kubectl(append([]string{"delete", "pvc"}, a.Names...)...)}}, nil
}

// namesOr describes claims by their names, or by the selector when no
// names are given.
func namesOr(names []string, selector string) string {
	if len(names) == 0 {
		return selector
	}
	return strings.Join(names, ", ")
}
