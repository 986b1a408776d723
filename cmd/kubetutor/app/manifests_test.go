package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestManifests(t *testing.T) {
	cache := t.TempDir()
	env := map[string]string{"XDG_CACHE_HOME": cache}
	out, _, err := run(t, env, "manifests", "mysql")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "mysql/configmap.yaml\t"+filepath.Join(cache, "kubetutor", "manifests")) {
		t.Fatalf("output:\n%s", out)
	}
	copyPath := strings.Split(lines[2], "\t")[1]
	want, _ := os.ReadFile("../../../manifests/mysql/statefulset.yaml")
	if got, err := os.ReadFile(copyPath); err != nil || string(got) != string(want) {
		t.Fatalf("the copy %s is not the manifest: %v", copyPath, err)
	}

	dir := t.TempDir()
	for _, lang := range []string{"en", "ja"} {
		out, errOut, err := run(t, env, "--lang", lang, "manifests", "mysql", "--export", dir)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "✓ "+filepath.Join(dir, "mysql", "services.yaml")) || !strings.Contains(errOut, "kubectl apply -f") {
			t.Fatalf("%s: %q %q", lang, out, errOut)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "mysql", "statefulset.yaml")); string(got) != string(want) {
		t.Fatal("exported file differs")
	}
	// A changed file is never overwritten, and nothing else is written.
	changed := filepath.Join(dir, "mysql", "services.yaml")
	os.WriteFile(changed, []byte("# mine\n"), 0o644)
	os.Remove(filepath.Join(dir, "mysql", "configmap.yaml"))
	for lang, msg := range map[string]string{"en": "already exists with other content", "ja": "既にあり、内容が違います"} {
		_, _, err = run(t, env, "--lang", lang, "manifests", "mysql", "--export", dir)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Fatalf("%s: err = %v", lang, err)
		}
	}
	if got, _ := os.ReadFile(changed); string(got) != "# mine\n" {
		t.Fatal("overwrote a changed file")
	}
	if _, err := os.Stat(filepath.Join(dir, "mysql", "configmap.yaml")); err == nil {
		t.Fatal("wrote files before failing")
	}
	if _, _, err := run(t, env, "manifests", "nope"); err == nil || !strings.Contains(err.Error(), "unknown lesson") {
		t.Fatalf("err = %v", err)
	}
}
