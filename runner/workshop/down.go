package workshop

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kubetutor/kubetutor/runner/step"
)

// downWait bounds how long down waits for the namespaces to be gone.
const downWait = 5 * time.Minute

// Report is the final report of a workshop, written by down.
type Report struct {
	// At is when it was written.
	At time.Time `json:"at"`
	// Snapshot is the class at the end, as `workshop status -o json`.
	Snapshot Snapshot `json:"snapshot"`
	// Learners are each learner's detail (step timeline, last events, pods).
	Learners []Detail `json:"learners"`
}

// DownResult is what down did.
type DownResult struct {
	// Report is the final report's file.
	Report string
	// Namespaces are the learner namespaces deleted.
	Namespaces []string
	// Uncordoned are nodes the workshop had left cordoned.
	Uncordoned []string
	// Files are the learners' kubeconfigs removed.
	Files []string
}

// Down ends the workshop: it writes the final report to
// outDir/NAME-report.json, uncordons any node the workshop's drains left
// cordoned, deletes the learners' namespaces (their service accounts go
// with them, which revokes their tokens), cluster role bindings and
// cluster role, waits until the namespaces are gone, and removes the
// learners' kubeconfigs from outDir and the workshop's record. It leaves
// nothing but the report.
func (in *Instructor) Down(ctx context.Context, outDir string) (*DownResult, error) {
	c := in.Class
	res := &DownResult{}
	snap := in.Eval.Refresh()
	rep := Report{At: c.now().UTC(), Snapshot: snap}
	for _, l := range snap.Learners {
		if d, ok := in.Eval.Detail(l.Name); ok {
			rep.Learners = append(rep.Learners, d)
		}
	}
	raw, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(outDir, 0o700); err != nil {
		return nil, problemErr(err, "WorkshopOutDir", "Dir", outDir)
	}
	res.Report = filepath.Join(outDir, c.Name+"-report.json")
	if err := writeFileAtomic(res.Report, append(raw, '\n'), 0o644); err != nil {
		return nil, problemErr(err, "WorkshopWriteFile", "File", res.Report)
	}
	nodes, err := step.UncordonAll(ctx, c.Env(""))
	res.Uncordoned = nodes
	if err != nil {
		return res, err
	}
	sel := metav1.ListOptions{LabelSelector: LabelWorkshop + "=" + c.Name}
	rbac := c.Cluster.Client.RbacV1()
	crbs, err := rbac.ClusterRoleBindings().List(ctx, sel)
	if err != nil {
		return res, problemErr(err, "WorkshopDelete", "What", "ClusterRoleBindings")
	}
	var errs []error
	for _, b := range crbs.Items {
		if err := rbac.ClusterRoleBindings().Delete(ctx, b.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, problemErr(err, "WorkshopDelete", "What", "ClusterRoleBinding "+b.Name))
		}
	}
	if err := rbac.ClusterRoles().Delete(ctx, c.ClusterRoleName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		errs = append(errs, problemErr(err, "WorkshopDelete", "What", "ClusterRole "+c.ClusterRoleName()))
	}
	nss := c.Cluster.Client.CoreV1().Namespaces()
	list, err := nss.List(ctx, sel)
	if err != nil {
		return res, problemErr(err, "WorkshopDelete", "What", "Namespaces")
	}
	for _, n := range list.Items {
		res.Namespaces = append(res.Namespaces, n.Name)
		if err := nss.Delete(ctx, n.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, problemErr(err, "WorkshopDelete", "What", "Namespace "+n.Name))
		}
		p := filepath.Join(outDir, n.Name+".kubeconfig")
		if err := os.Remove(p); err == nil {
			res.Files = append(res.Files, p)
		} else if !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, problemErr(err, "WorkshopWriteFile", "File", p))
		}
	}
	if len(errs) > 0 {
		return res, errors.Join(errs...)
	}
	if err := waitGone(ctx, c, sel); err != nil {
		return res, err
	}
	return res, NewStore(c).Remove()
}

// waitGone watches the workshop's namespaces until none is left.
func waitGone(ctx context.Context, c *Class, sel metav1.ListOptions) error {
	ctx, cancel := context.WithTimeout(ctx, downWait)
	defer cancel()
	nss := c.Cluster.Client.CoreV1().Namespaces()
	for {
		list, err := nss.List(ctx, sel)
		if err != nil {
			return problemErr(err, "WorkshopDelete", "What", "Namespaces")
		}
		left := map[string]bool{}
		for _, n := range list.Items {
			left[n.Name] = true
		}
		if len(left) == 0 {
			return nil
		}
		o := sel
		o.ResourceVersion = list.ResourceVersion
		w, err := nss.Watch(ctx, o)
		if err != nil {
			return problemErr(err, "WorkshopDelete", "What", "Namespaces")
		}
		for ev := range w.ResultChan() {
			if n, ok := ev.Object.(*corev1.Namespace); ok && ev.Type == watch.Deleted {
				delete(left, n.Name)
			}
			if len(left) == 0 {
				break
			}
		}
		w.Stop()
		if len(left) == 0 {
			return nil
		}
		if ctx.Err() != nil {
			return problem("WorkshopNamespacesLeft", "Namespaces", joinComma(keys(left)))
		}
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
