package workshop

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubetutor/kubetutor/runner/engine"
	"github.com/kubetutor/kubetutor/runner/kube/kubefake"
)

func bigNode(name, cpu, mem string) *corev1.Node {
	n := readyNode(name)
	n.Status.Allocatable = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)}
	return n
}

func tokens(f *kubefake.Fakes) {
	f.Client.PrependReactor("create", "serviceaccounts", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "token" {
			return false, nil, nil
		}
		return true, &authnv1.TokenRequest{Status: authnv1.TokenRequestStatus{Token: "token-of-" + a.GetNamespace()}}, nil
	})
}

func TestInit(t *testing.T) {
	cl, f := classOn(t, t0, bigNode("n1", "2", "8Gi"), bigNode("n2", "2", "8Gi"))
	cl.Cluster.Config = &rest.Config{Host: "https://10.0.0.1:6443", TLSClientConfig: rest.TLSClientConfig{CAData: []byte("CA")}}
	tokens(f)
	out := t.TempDir()
	learners, _ := Learners("k8s", 3, nil)
	ctx := context.Background()
	for range 2 { // idempotent
		res, err := Init(ctx, cl, InitOptions{Learners: learners, OutDir: out, TokenTTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Kubeconfigs) != 3 {
			t.Fatal(res.Kubeconfigs)
		}
	}
	ns, err := f.Client.CoreV1().Namespaces().Get(ctx, "k8s-02", metav1.GetOptions{})
	if err != nil || ns.Labels[LabelWorkshop] != "k8s" || ns.Labels[LabelLearner] != "02" || ns.Labels[LabelLesson] != "mysql" {
		t.Fatal(err, ns.Labels)
	}
	q, err := f.Client.CoreV1().ResourceQuotas("k8s-02").Get(ctx, quotaName, metav1.GetOptions{})
	if err != nil || quotaString(q.Spec.Hard) != "pods=6 requests.cpu=900m requests.memory=1920Mi persistentvolumeclaims=6 requests.storage=6Gi" {
		t.Fatal(err, q.Spec.Hard)
	}
	cm, err := f.Client.CoreV1().ConfigMaps("k8s-02").Get(ctx, engine.WorkshopConfigMap, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if w, err := engine.ParseWorkshop(cm); err != nil || w.Name != "k8s" || strings.Join(w.InstructorSteps, ",") != "drain-node,uncordon-node" {
		t.Fatal(err, w)
	}
	rb, err := f.Client.RbacV1().RoleBindings("k8s-02").Get(ctx, learnerRole, metav1.GetOptions{})
	if err != nil || rb.Subjects[0].Name != LearnerServiceAccount || rb.Subjects[0].Namespace != "k8s-02" {
		t.Fatal(err, rb)
	}
	if _, err := f.Client.RbacV1().ClusterRoleBindings().Get(ctx, "kubetutor-workshop-k8s-02", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(out, "k8s-02.kubeconfig")
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatal(err, st.Mode())
	}
	k, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	kc := k.Contexts[k.CurrentContext]
	if kc.Namespace != "k8s-02" || k.AuthInfos[kc.AuthInfo].Token != "token-of-k8s-02" || k.Clusters[kc.Cluster].Server != "https://10.0.0.1:6443" ||
		string(k.Clusters[kc.Cluster].CertificateAuthorityData) != "CA" {
		t.Fatalf("%+v", kc)
	}
}

// Init refuses, with the numbers and before creating anything, a class
// the cluster cannot hold.
func TestInitRefusesWhatDoesNotFit(t *testing.T) {
	busy := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "busy", Namespace: "other"}, Spec: corev1.PodSpec{NodeName: "n1",
		Containers: []corev1.Container{{Name: "c", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	cl, f := classOn(t, t0, bigNode("n1", "2", "4Gi"), busy)
	cl.Cluster.Config = &rest.Config{Host: "https://x"}
	tokens(f)
	learners, _ := Learners("k8s", 2, nil) // 2 × 1600Mi > 3Gi free
	_, err := Init(context.Background(), cl, InitOptions{Learners: learners, OutDir: t.TempDir(), TokenTTL: time.Hour})
	var ce *CapacityError
	if !errors.As(err, &ce) || len(ce.Shortfalls) != 1 {
		t.Fatalf("%v", err)
	}
	m := ce.Shortfalls[0].String()
	for _, want := range []string{"WorkshopShortMemory", "Need=3200Mi", "Free=3Gi", "Used=1Gi", "Fit=1"} {
		if !strings.Contains(m, want) {
			t.Errorf("%s lacks %s", m, want)
		}
	}
	if nss, _ := f.Client.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{}); len(nss.Items) != 0 {
		t.Fatalf("created %d namespaces", len(nss.Items))
	}
}

func TestLearners(t *testing.T) {
	cases := []struct {
		name  string
		n     int
		names string
		want  string
	}{
		{"numbered", 3, "", "01,02,03"},
		{"wider", 100, "", "001"},
		{"named", 0, "# class\nalice\n\nbob\n", "alice,bob"},
		{"bad name", 0, "Alice\n", "WorkshopBadLearner"},
		{"duplicate", 0, "a\na\n", "WorkshopDupLearner"},
		{"count mismatch", 3, "a\nb\n", "WorkshopNamesCount"},
		{"none", 0, "", "WorkshopNoLearners"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			var err error
			if tc.names != "" || tc.name == "named" {
				got, err = Learners("k8s", tc.n, strings.NewReader(tc.names))
			} else {
				got, err = Learners("k8s", tc.n, nil)
			}
			s := strings.Join(got, ",")
			if err != nil {
				s = err.Error()
			}
			if !strings.HasPrefix(s, tc.want) {
				t.Fatalf("got %q, want %q…", s, tc.want)
			}
		})
	}
}
