package app

import (
	"strings"
	"testing"
)

// Bad input gets a clear error in the user's language before anything
// touches a cluster.
func TestWorkshopFlagErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"push without --to", []string{"workshop", "push", "k8s", "--behind"}, "--to STEP"},
		{"push without learners", []string{"workshop", "push", "k8s", "--to", "cleanup"}, "--learners 01,02 or --behind"},
		{"push with both", []string{"workshop", "push", "k8s", "--to", "cleanup", "--behind", "--learners", "01"}, "not both"},
		{"status output", []string{"workshop", "status", "k8s", "-o", "yaml"}, "use -o text or -o json"},
		{"serve elsewhere without token", []string{"workshop", "serve", "k8s", "--addr", "0.0.0.0:8080"}, "give --token"},
		{"serve bad addr", []string{"workshop", "serve", "k8s", "--addr", "8080"}, "HOST:PORT"},
		{"init bad name", []string{"workshop", "init", "K8s_0612", "--learners", "3"}, "lower-case letters"},
		{"init no learners", []string{"workshop", "init", "k8s"}, "--learners must be at least 1"},
		{"init names file", []string{"workshop", "init", "k8s", "--names", "/nonexistent"}, "cannot read the names file"},
		{"watch without a cluster", []string{"workshop", "watch", "k8s"}, "/nonexistent"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := run(t, nil, append([]string{"--lang", "en", "--kubeconfig", "/nonexistent"}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	// The same in Japanese.
	_, _, err := run(t, nil, "--lang", "ja", "workshop", "push", "k8s", "--behind")
	if err == nil || !strings.Contains(err.Error(), "進める先のステップ") {
		t.Fatalf("ja: %v", err)
	}
}
