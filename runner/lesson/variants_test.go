package lesson_test

import (
	"strings"
	"testing"

	. "github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

// variantSpec is goodSpec whose second step has variants from line 21.
func variantSpec(variants string) string { return goodSpec + "    variants:\n" + variants }

const nodeLocalVariant = `      - when: {storage: node-local}
        checks:
          - podsReady: {names: [web-0]}
          - exists: {kind: Service, name: web}
        evidence:
          - event: {kind: Pod, name: web-1, reason: FailedScheduling}
`

func TestStepFor(t *testing.T) {
	spec, probs := ParseSpec("lesson.yaml", []byte(variantSpec(nodeLocalVariant)), step.Kinds())
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	s := spec.Steps[1]
	if len(s.Variants) != 1 || s.Variants[0].Line != 22 || s.Variants[0].Checks[1].Line != 25 {
		t.Fatalf("variants %+v", s.Variants)
	}
	for _, tc := range []struct {
		name     string
		traits   Traits
		checks   []string
		evidence int
	}{
		{"node-local picks the variant", Traits{Storage: StorageNodeLocal}, []string{"podsReady", "exists"}, 1},
		{"shared keeps the step's checks", Traits{Storage: StorageShared}, []string{"podsReady"}, 0},
		{"unknown keeps the step's checks", Traits{}, []string{"podsReady"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := spec.For(tc.traits).Steps[1]
			var kinds []string
			for _, c := range got.Checks {
				kinds = append(kinds, c.Kind)
			}
			if strings.Join(kinds, ",") != strings.Join(tc.checks, ",") || len(got.Evidence) != tc.evidence || got.Variants != nil {
				t.Fatalf("checks %v, evidence %d, variants %v", kinds, len(got.Evidence), got.Variants)
			}
		})
	}
	if n := len(s.AllChecks()); n != 4 {
		t.Fatalf("AllChecks: %d, want 4 (1 own + 3 of the variant)", n)
	}
	if len(spec.Steps[1].Variants) != 1 {
		t.Fatal("For changed the spec it was called on")
	}
}

func TestLintVariants(t *testing.T) {
	for _, tc := range []struct {
		name, variants string
		want           []string
	}{
		{"good", nodeLocalVariant, nil},
		{"unknown storage", strings.Replace(nodeLocalVariant, "node-local", "local", 1), []string{"lessons/demo/lesson.yaml:22:LintBadStorage"}},
		{"no when", "      - checks:\n          - podsReady: {names: [web-0]}\n", []string{"lessons/demo/lesson.yaml:22:LintRequired"}},
		{"no checks", "      - when: {storage: shared}\n", []string{"lessons/demo/lesson.yaml:22:LintRequired"}},
		{"twice the same", nodeLocalVariant + nodeLocalVariant, []string{"lessons/demo/lesson.yaml:28:LintDuplicateVariant"}},
		{"unknown field", "      - when: {storage: shared, nodes: 2}\n        checks: [{podsReady: {names: [web-0]}}]\n", []string{"lessons/demo/lesson.yaml:22:LintUnknownField"}},
		{"bad check inside", "      - when: {storage: shared}\n        checks: [{podsReady: {}}]\n", []string{"lessons/demo/lesson.yaml:23:LintRequired"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := lintIDs(t, lessonFS(variantSpec(tc.variants), goodEN, goodJA), fixture(map[string]string{"demo/web.yaml": webYAML}))
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("problems:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(tc.want, "\n     "))
			}
		})
	}
}
