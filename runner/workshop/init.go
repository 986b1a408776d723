package workshop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubetutor/kubetutor/runner/engine"
	"github.com/kubetutor/kubetutor/runner/step"
)

// Names of the objects init creates in (or for) each learner namespace.
const (
	learnerRole  = "kubetutor-learner"
	quotaName    = "kubetutor"
	managedBy    = "app.kubernetes.io/managed-by"
	minTokenTTL  = 10 * time.Minute // the API server's minimum (MinTokenAgeSec)
	initParallel = 8
)

// ClusterRoleName is the workshop's ClusterRole of learners' cluster-wide
// reads; each learner's ClusterRoleBinding is named after it.
func (c *Class) ClusterRoleName() string { return "kubetutor-workshop-" + c.Name }

// InitOptions are the choices of `workshop init`.
type InitOptions struct {
	// Learners are the learners' names (see Learners).
	Learners []string
	// OutDir receives NAME-<learner>.kubeconfig per learner.
	OutDir string
	// TokenTTL is how long the learners' tokens last (at least 10 min).
	TokenTTL time.Duration
	// Report is told when a learner is ready (err nil) or not.
	Report func(learner, kubeconfig string, err error)
}

// InitResult is what init found and made.
type InitResult struct {
	// Peak is one learner's footprint; Quota the namespace's quota.
	Peak  Footprint
	Quota corev1.ResourceList
	// Capacity is what the cluster could give before init.
	Capacity Capacity
	// Rights are the learners' rights.
	Rights Rights
	// Kubeconfigs are the files written, by learner.
	Kubeconfigs map[string]string
}

// Init creates (or brings up to date: it is idempotent, every object is
// server-side applied) the workshop's learners: per learner a namespace
// labelled with the workshop, a service account with the generated Role
// and the workshop's ClusterRole of reads, a ResourceQuota and a
// LimitRange sized from the lesson's peak, the workshop ConfigMap that
// tells the learner's tutor which steps are the instructor's, and a
// kubeconfig with a fresh token. Before creating anything it checks that
// the cluster holds every learner at the lesson's peak, and refuses with
// the numbers if not.
func Init(ctx context.Context, c *Class, o InitOptions) (*InitResult, error) {
	if o.TokenTTL < minTokenTTL {
		return nil, problem("WorkshopTokenTTL", "TTL", o.TokenTTL.String())
	}
	env := c.Env("")
	res := &InitResult{Rights: LearnerRights(env, c.Lesson), Kubeconfigs: map[string]string{}}
	var err error
	if res.Peak, err = Peak(env, c.Lesson); err != nil {
		return nil, err
	}
	res.Quota = res.Peak.Quota()
	ours := map[string]bool{}
	for _, l := range o.Learners {
		ours[c.Namespace(l)] = true
	}
	if res.Capacity, err = MeasureCapacity(ctx, c.Cluster.Client, ours); err != nil {
		return nil, err
	}
	if short := res.Capacity.Shortfalls(res.Peak, len(o.Learners)); len(short) > 0 {
		return res, &CapacityError{Shortfalls: short}
	}
	cr := &rbacv1.ClusterRole{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
		ObjectMeta: metav1.ObjectMeta{Name: c.ClusterRoleName(), Labels: c.labels("")},
		Rules:      res.Rights.ClusterRead,
	}
	if err := applyObjects(ctx, c.Cluster.Dynamic, cr); err != nil {
		return res, err
	}
	if err := os.MkdirAll(o.OutDir, 0o700); err != nil {
		return res, problemErr(err, "WorkshopOutDir", "Dir", o.OutDir)
	}
	var mu sync.Mutex
	var errs []error
	forEach(ctx, o.Learners, initParallel, func(l string) {
		path, err := c.initLearner(ctx, l, res, o)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", l, err))
		} else {
			res.Kubeconfigs[l] = path
		}
		if o.Report != nil {
			o.Report(l, path, err)
		}
	})
	return res, errors.Join(errs...)
}

// CapacityError is init's refusal: n learners do not fit.
type CapacityError struct {
	Shortfalls []step.Msg
}

func (e *CapacityError) Error() string {
	s := "the cluster cannot hold the workshop"
	for _, m := range e.Shortfalls {
		s += "; " + m.String()
	}
	return s
}

func (c *Class) labels(learner string) map[string]string {
	l := map[string]string{LabelWorkshop: c.Name, LabelLesson: c.Lesson.ID, managedBy: "kubetutor"}
	if learner != "" {
		l[LabelLearner] = learner
	}
	return l
}

func (c *Class) initLearner(ctx context.Context, learner string, res *InitResult, o InitOptions) (string, error) {
	ns := c.Namespace(learner)
	labels := c.labels(learner)
	meta := func(kind, apiVersion, name string) (metav1.TypeMeta, metav1.ObjectMeta) {
		return metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}, metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels}
	}
	nsObj := &corev1.Namespace{}
	nsObj.TypeMeta, nsObj.ObjectMeta = meta("Namespace", "v1", ns)
	nsObj.Namespace = ""
	sa := &corev1.ServiceAccount{}
	sa.TypeMeta, sa.ObjectMeta = meta("ServiceAccount", "v1", LearnerServiceAccount)
	role := &rbacv1.Role{Rules: res.Rights.Role}
	role.TypeMeta, role.ObjectMeta = meta("Role", "rbac.authorization.k8s.io/v1", learnerRole)
	subject := []rbacv1.Subject{{Kind: "ServiceAccount", Name: LearnerServiceAccount, Namespace: ns}}
	rb := &rbacv1.RoleBinding{Subjects: subject, RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: learnerRole}}
	rb.TypeMeta, rb.ObjectMeta = meta("RoleBinding", "rbac.authorization.k8s.io/v1", learnerRole)
	crb := &rbacv1.ClusterRoleBinding{Subjects: subject, RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: c.ClusterRoleName()}}
	crb.TypeMeta, crb.ObjectMeta = meta("ClusterRoleBinding", "rbac.authorization.k8s.io/v1", c.ClusterRoleName()+"-"+learner)
	crb.Namespace = ""
	quota := &corev1.ResourceQuota{Spec: corev1.ResourceQuotaSpec{Hard: res.Quota}}
	quota.TypeMeta, quota.ObjectMeta = meta("ResourceQuota", "v1", quotaName)
	lr := &corev1.LimitRange{Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
		Type:           corev1.LimitTypeContainer,
		DefaultRequest: corev1.ResourceList{corev1.ResourceCPU: DefaultCPU, corev1.ResourceMemory: DefaultMemory},
	}}}}
	lr.TypeMeta, lr.ObjectMeta = meta("LimitRange", "v1", quotaName)
	w := &engine.Workshop{Name: c.Name, Lesson: c.Lesson.ID, InstructorSteps: res.Rights.InstructorSteps}
	// A second init keeps the learner's epoch (a reset).
	if old, err := c.Cluster.Client.CoreV1().ConfigMaps(ns).Get(ctx, engine.WorkshopConfigMap, metav1.GetOptions{}); err == nil {
		if ow, err := engine.ParseWorkshop(old); err == nil {
			w.Epoch = ow.Epoch
		}
	}
	cm := w.ConfigMap(ns)
	cm.Labels = labels
	if err := applyObjects(ctx, c.Cluster.Dynamic, nsObj, sa, role, rb, crb, quota, lr, cm); err != nil {
		return "", err
	}
	ttl := int64(o.TokenTTL.Seconds())
	tr, err := c.Cluster.Client.CoreV1().ServiceAccounts(ns).CreateToken(ctx, LearnerServiceAccount,
		&authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{ExpirationSeconds: &ttl}}, metav1.CreateOptions{})
	if err != nil {
		return "", problemErr(err, "WorkshopToken", "Namespace", ns)
	}
	path := filepath.Join(o.OutDir, ns+".kubeconfig")
	if err := c.writeKubeconfig(path, ns, tr.Status.Token); err != nil {
		return "", err
	}
	return path, nil
}

// writeKubeconfig writes a kubeconfig for a learner: the instructor's
// server and CA, the learner's token, and the learner's namespace in the
// context, readable only by its owner.
func (c *Class) writeKubeconfig(path, ns, token string) error {
	cfg := c.Cluster.Config
	if cfg == nil {
		return problem("WorkshopNoServer")
	}
	ca := cfg.TLSClientConfig.CAData
	if len(ca) == 0 && cfg.TLSClientConfig.CAFile != "" {
		raw, err := os.ReadFile(cfg.TLSClientConfig.CAFile)
		if err != nil {
			return problemErr(err, "WorkshopCA", "File", cfg.TLSClientConfig.CAFile)
		}
		ca = raw
	}
	k := clientcmdapi.NewConfig()
	k.Clusters[c.Name] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: ca,
		TLSServerName: cfg.TLSClientConfig.ServerName, InsecureSkipTLSVerify: cfg.TLSClientConfig.Insecure}
	k.AuthInfos[ns] = &clientcmdapi.AuthInfo{Token: token}
	k.Contexts[ns] = &clientcmdapi.Context{Cluster: c.Name, AuthInfo: ns, Namespace: ns}
	k.CurrentContext = ns
	raw, err := clientcmd.Write(*k)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(path, raw, 0o600); err != nil {
		return problemErr(err, "WorkshopWriteFile", "File", path)
	}
	return nil
}

// writeFileAtomic writes data to path through a temp file in the same
// directory, fsync and rename.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// resources of the kinds init applies.
var resources = map[string]schema.GroupVersionResource{
	"Namespace":          {Version: "v1", Resource: "namespaces"},
	"ServiceAccount":     {Version: "v1", Resource: "serviceaccounts"},
	"ConfigMap":          {Version: "v1", Resource: "configmaps"},
	"ResourceQuota":      {Version: "v1", Resource: "resourcequotas"},
	"LimitRange":         {Version: "v1", Resource: "limitranges"},
	"Role":               {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles"},
	"RoleBinding":        {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"},
	"ClusterRole":        {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"},
	"ClusterRoleBinding": {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings"},
}

// applyObjects server-side applies typed objects (TypeMeta set), in order,
// with kubetutor's field manager: a second init changes only what differs.
func applyObjects(ctx context.Context, dyn dynamic.Interface, objs ...runtime.Object) error {
	for _, o := range objs {
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			return err
		}
		meta := u["metadata"].(map[string]any)
		delete(meta, "creationTimestamp")
		kind, _ := u["kind"].(string)
		gvr, ok := resources[kind]
		if !ok {
			return fmt.Errorf("apply: no resource known for kind %q", kind)
		}
		name, _ := meta["name"].(string)
		ns, _ := meta["namespace"].(string)
		data, err := json.Marshal(u)
		if err != nil {
			return err
		}
		force := true
		r := dyn.Resource(gvr)
		opts := metav1.PatchOptions{FieldManager: step.FieldManager, Force: &force}
		if ns != "" {
			_, err = r.Namespace(ns).Patch(ctx, name, types.ApplyPatchType, data, opts)
		} else {
			_, err = r.Patch(ctx, name, types.ApplyPatchType, data, opts)
		}
		if err != nil {
			what := kind + " " + name
			if ns != "" {
				what += " in " + ns
			}
			if apierrors.IsForbidden(err) {
				return problemErr(err, "WorkshopForbidden", "What", what)
			}
			return problemErr(err, "WorkshopApply", "What", what)
		}
	}
	return nil
}

// forEach calls f for every item, at most n at a time, and returns when
// all have returned (or ctx ended before the rest started).
func forEach[T any](ctx context.Context, items []T, n int, f func(T)) {
	sem := make(chan struct{}, max(1, n))
	var wg sync.WaitGroup
	for _, it := range items {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			f(it)
		}()
	}
	wg.Wait()
}
