package kube

import (
	"context"
	"fmt"
	"io"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
)

// Executor runs a command in a container of a pod and streams its output,
// like `kubectl exec`. It is an interface so tests can stub it (kubectl's
// RemoteExecutor exists for the same reason).
type Executor interface {
	// Exec runs command in container of pod in namespace. A command that ran
	// but exited non-zero returns an error wrapping ExitError.
	Exec(ctx context.Context, namespace, pod, container string, command []string, stdout, stderr io.Writer) error
}

// ExitError reports a command's non-zero exit status.
type ExitError struct{ Code int }

func (e ExitError) Error() string { return fmt.Sprintf("command exited with status %d", e.Code) }

// RESTExecutor is the Executor of a real cluster (client-go remotecommand,
// WebSocket first, SPDY as fallback, as kubectl does).
type RESTExecutor struct {
	Config *rest.Config
	Client kubernetes.Interface
}

// Exec implements Executor.
func (e *RESTExecutor) Exec(ctx context.Context, namespace, pod, container string, command []string, stdout, stderr io.Writer) error {
	req := e.Client.CoreV1().RESTClient().Post().
		Resource("pods").Namespace(namespace).Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{
			Container: container, Command: command, Stdout: true, Stderr: true,
		}, scheme.ParameterCodec)
	ws, err := remotecommand.NewWebSocketExecutor(e.Config, "GET", req.URL().String())
	if err != nil {
		return fmt.Errorf("exec in %s/%s: %w", namespace, pod, err)
	}
	spdy, err := remotecommand.NewSPDYExecutor(e.Config, "POST", req.URL())
	if err != nil {
		return fmt.Errorf("exec in %s/%s: %w", namespace, pod, err)
	}
	ex, err := remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	if err != nil {
		return fmt.Errorf("exec in %s/%s: %w", namespace, pod, err)
	}
	err = ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: stdout, Stderr: stderr})
	if err != nil {
		if ce, ok := err.(interface{ ExitStatus() int }); ok {
			return fmt.Errorf("exec %q in %s/%s: %w", command, namespace, pod, ExitError{Code: ce.ExitStatus()})
		}
		return fmt.Errorf("exec %q in %s/%s: %w", command, namespace, pod, err)
	}
	return nil
}
