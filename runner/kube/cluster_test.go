package kube

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericclioptions"
)

const kubeconfig = `apiVersion: v1
kind: Config
current-context: lab
clusters:
- name: lab
  cluster: {server: "https://127.0.0.1:6443"}
users:
- name: admin
  user: {token: x}
contexts:
- name: lab
  context: {cluster: lab, user: admin}
- name: team
  context: {cluster: lab, user: admin, namespace: team}
`

// TestKubectlFlags: a hand-typed kubectl carries --context and -n only
// where they differ from what it reads from the kubeconfig by itself, and
// --kubeconfig when one was given on the command line.
func TestKubectlFlags(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", path)
	for _, tc := range []struct {
		name                string
		kubeconfig, ctx, ns string
		want                string
	}{
		{name: "defaults", want: ""},
		{name: "namespace", ns: "alice", want: "-n alice"},
		{name: "the default namespace named", ns: "default", want: ""},
		{name: "another context and its namespace", ctx: "team", want: "--context team"},
		{name: "another context, another namespace", ctx: "team", ns: "alice", want: "--context team -n alice"},
		{name: "the current context named", ctx: "lab", ns: "team", want: "-n team"},
		{name: "a kubeconfig flag", kubeconfig: path, want: "--kubeconfig " + path},
	} {
		t.Run(tc.name, func(t *testing.T) {
			flags := genericclioptions.NewConfigFlags(true)
			flags.KubeConfig, flags.Context, flags.Namespace = &tc.kubeconfig, &tc.ctx, &tc.ns
			c, err := New(flags)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(c.Kubectl, " "); got != tc.want {
				t.Errorf("flags %q, want %q", got, tc.want)
			}
		})
	}
}
