package step

import (
	"context"
	"errors"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
)

// An API server that just restarted answers Forbidden for a moment (seen
// on the lab): checks retry; if it lasts, the timeout names the error and
// hints at permissions.
func TestTransientForbiddenIsRetried(t *testing.T) {
	env, f := newEnv(t, mysqlPod("mysql-0", true))
	denials := 2
	f.Client.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		if denials > 0 {
			denials--
			return true, nil, apierrors.NewForbidden(corev1.Resource("pods"), "", errors.New("RBAC: not yet"))
		}
		return false, nil, nil
	})
	c := &PodsReady{Names: []string{"mysql-0"}}
	if err := c.Wait(context.Background(), env, nil); err != nil {
		t.Fatal(err)
	}
	denials = 1000
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	fl := asFailure(t, c.Wait(ctx, env, nil))
	if fl.Msg.ID != "StateAPIError" || fl.Hint.ID != "HintForbidden" || !fl.TimedOut {
		t.Fatal(fl)
	}
}
