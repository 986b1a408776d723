package step

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubetutor/kubetutor/i18n"
	"github.com/kubetutor/kubetutor/runner/l10n"
)

// The errors below are built the way the API server's admission plugins
// build them (k8s.io/apiserver v0.34: namespace lifecycle, resourcequota,
// webhook errors, validating policy dispatcher; limitranger and
// pod-security-admission in k8s.io/kubernetes), so the texts match.

var (
	stsResource  = schema.GroupResource{Group: "apps", Resource: "statefulsets"}
	podsResource = corev1.Resource("pods")
)

func terminatingErr(withCause bool) error {
	err := apierrors.NewForbidden(stsResource, "mysql",
		fmt.Errorf("unable to create new content in namespace %s because it is being terminated", ns))
	if withCause {
		err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, metav1.StatusCause{
			Type: corev1.NamespaceTerminatingCause, Message: "namespace " + ns + " is being terminated", Field: "metadata.namespace"})
	}
	return err
}

// webhookErr is what errors.ToStatusErr makes of a webhook's denial.
func webhookErr(code int32, reason string) error {
	msg := `admission webhook "deny.example.com" denied the request`
	if reason != "" {
		msg += ": " + reason
	} else {
		msg += " without explanation"
	}
	return &apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure, Code: code, Message: msg}}
}

// policyErr is what the ValidatingAdmissionPolicy dispatcher returns: a
// Forbidden turned into the decision's reason (Invalid by default).
func policyErr() error {
	msg := "ValidatingAdmissionPolicy 'no-root' with binding 'no-root-binding' denied request: containers must not run as root"
	err := apierrors.NewForbidden(podsResource, "jumpod", errors.New(msg))
	err.ErrStatus.Reason, err.ErrStatus.Code = metav1.StatusReasonInvalid, http.StatusUnprocessableEntity
	return err
}

func TestRefusal(t *testing.T) {
	cases := []struct {
		name       string
		err        error
		diag, hint string         // "" diag: not a refusal
		args       map[string]any // expected arguments of the diagnosis
	}{
		{"namespace terminating", terminatingErr(true), "DiagNamespaceTerminating", "HintNamespaceTerminating", map[string]any{"Namespace": ns}},
		{"namespace terminating, no cause", terminatingErr(false), "DiagNamespaceTerminating", "HintNamespaceTerminating", nil},
		{"quota exceeded",
			apierrors.NewForbidden(podsResource, "mysql-3", errors.New("exceeded quota: compute, requested: pods=1, used: pods=4, limited: pods=4")),
			"DiagQuota", "HintQuota", map[string]any{"Quota": "compute", "Detail": "requested: pods=1, used: pods=4, limited: pods=4"}},
		{"quota needs limits",
			apierrors.NewForbidden(podsResource, "mysql-0", errors.New("failed quota: compute: must specify limits.cpu for: mysql")),
			"DiagQuota", "HintQuota", map[string]any{"Quota": "compute", "Detail": "must specify limits.cpu for: mysql"}},
		{"limit range",
			apierrors.NewForbidden(podsResource, "jumpod", utilerrors.NewAggregate([]error{
				errors.New("maximum memory usage per Container is 128Mi, but limit is 256Mi"),
				errors.New("minimum cpu usage per Container is 200m, but request is 100m")})),
			"DiagLimitRange", "HintLimitRange", map[string]any{"Detail": "[maximum memory usage per Container is 128Mi, but limit is 256Mi, minimum cpu usage per Container is 200m, but request is 100m]"}},
		{"limit ratio",
			apierrors.NewForbidden(podsResource, "jumpod", errors.New("cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000")),
			"DiagLimitRange", "HintLimitRange", nil},
		{"pod security",
			apierrors.NewForbidden(podsResource, "jumpod", errors.New(`violates PodSecurity "restricted:latest": runAsNonRoot != true (pod or container "jump" must set securityContext.runAsNonRoot=true)`)),
			"DiagPodSecurity", "HintPodSecurity", map[string]any{"Level": "restricted:latest"}},
		{"webhook", webhookErr(http.StatusBadRequest, "no databases on Fridays"), "DiagWebhookDenied", "HintAdmissionDenied",
			map[string]any{"Name": "deny.example.com", "Detail": "no databases on Fridays"}},
		{"webhook, Forbidden", webhookErr(http.StatusForbidden, "ask the platform team"), "DiagWebhookDenied", "HintAdmissionDenied", map[string]any{"Name": "deny.example.com"}},
		{"webhook without explanation", webhookErr(http.StatusBadRequest, ""), "DiagWebhookDenied", "HintAdmissionDenied", map[string]any{"Detail": ""}},
		{"admission policy", policyErr(), "DiagPolicyDenied", "HintAdmissionDenied",
			map[string]any{"Name": "no-root", "Detail": "containers must not run as root"}},
		{"RBAC", apierrors.NewForbidden(podsResource, "mysql-2", errors.New(`User "alice" cannot delete resource "pods" in API group "" in the namespace "tutor"`)), "", "HintForbidden", nil},
		{"conflict", apierrors.NewConflict(stsResource, "mysql", errors.New("the object has been modified")), "", "HintConflict", nil},
		{"invalid", apierrors.NewInvalid(schema.GroupKind{Kind: "ConfigMap"}, "mysql", nil), "", "HintInvalid", nil},
		{"not an API error", errors.New("connection refused"), "", "HintAPI", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env, _ := newEnv(t)
			f := writeFailed(env, tc.err, M("StepApplyFailed", "Object", "x", "Namespace", ns, "Error", tc.err.Error()))
			if f.Msg.ID != "StepApplyFailed" || !errors.Is(f, tc.err) {
				t.Errorf("message %v, err %v: the action's own message and the API's words must stay", f.Msg, f.Err)
			}
			if f.Hint.ID != tc.hint {
				t.Errorf("hint %s, want %s", f.Hint.ID, tc.hint)
			}
			if tc.diag == "" {
				if len(f.Diagnoses) != 0 {
					t.Errorf("diagnoses %v, want none", f.Diagnoses)
				}
				return
			}
			if len(f.Diagnoses) != 1 || f.Diagnoses[0].ID != tc.diag {
				t.Fatalf("diagnoses %v, want %s", f.Diagnoses, tc.diag)
			}
			for k, v := range tc.args {
				if got := f.Diagnoses[0].Args[k]; got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

// TestRefusalWords renders every refusal's diagnosis and hint in every
// language: each is translated, names what it is about and never says the
// user lacks a permission.
func TestRefusalWords(t *testing.T) {
	cat, err := l10n.LoadCatalog(i18n.FS)
	if err != nil {
		t.Fatal(err)
	}
	errs := []error{terminatingErr(true),
		apierrors.NewForbidden(podsResource, "mysql-3", errors.New("exceeded quota: compute, requested: pods=1, used: pods=4, limited: pods=4")),
		apierrors.NewForbidden(podsResource, "jumpod", errors.New("maximum memory usage per Container is 128Mi, but limit is 256Mi")),
		apierrors.NewForbidden(podsResource, "jumpod", errors.New(`violates PodSecurity "restricted:latest": privileged`)),
		webhookErr(http.StatusBadRequest, ""), policyErr()}
	for _, lang := range l10n.Supported {
		tr := cat.Translator(lang)
		forbidden := M("HintForbidden").Text(tr)
		for _, e := range errs {
			diag, hint, ok := refusal(e, ns)
			if !ok {
				t.Fatalf("%v: not recognised", e)
			}
			for _, m := range []Msg{diag, hint} {
				text := m.Text(tr)
				if text == m.ID || strings.Contains(text, "<no value>") {
					t.Errorf("%s %s: %q", lang, m, text)
				}
				if text == forbidden {
					t.Errorf("%s %s: says the user lacks a permission", lang, m)
				}
				for _, k := range []string{"Namespace", "Quota", "Name", "Level"} {
					if v, _ := m.Args[k].(string); v != "" && !strings.Contains(text, v) {
						t.Errorf("%s %s: %q does not name %s", lang, m, text, v)
					}
				}
			}
		}
	}
}

// An apply into a namespace being deleted says so, not "lacks a permission".
func TestApplyIntoTerminatingNamespace(t *testing.T) {
	env, f := newEnv(t)
	env.Manifests = fstest.MapFS{"mysql/cm.yaml": {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: mysql, labels: {app: mysql}}\n")}}
	f.Dynamic.PrependReactor("patch", "configmaps", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, terminatingErr(true)
	})
	_, err := (&Apply{Files: []string{"mysql/cm.yaml"}}).Run(context.Background(), env, func(Msg) {})
	fl := asFailure(t, err)
	if fl.Msg.ID != "StepApplyFailed" || fl.Hint.ID != "HintNamespaceTerminating" || len(fl.Diagnoses) != 1 || fl.Diagnoses[0].ID != "DiagNamespaceTerminating" {
		t.Fatal(fl)
	}
}
