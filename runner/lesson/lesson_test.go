package lesson_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	. "github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

const goodSpec = `order: 2
selector: app=demo
timeout: 90s
images:
  web: example.local/web:1
steps:
  - id: apply-web
    timeout: 3m
    action:
      apply:
        files: [demo/web.yaml]
    checks:
      - podsReady: {names: [web-0]}
        timeout: 4m
      - exists: {kind: Service, name: web}
  - id: scale-web
    action:
      scale: {statefulSet: web, replicas: 2}
    checks:
      - podsReady: {names: [web-0, web-1], inOrder: true}
`

const goodEN = "# Demo lesson\n\nA small demo.\nSecond line.\n\n## Deploy <!-- section: deploy -->\n\nIntro.\n\n### Apply the web app <!-- step: apply-web -->\n\nApplies it.\n\n```yaml\n## not a heading <!-- step: nope -->\n```\n\n### A sub-heading\n\n## Scale <!-- section: scale -->\n\n#### Scale to two <!-- step: scale-web -->\n\nMore.\n"

const goodJA = "# デモ\n\n小さなデモです。\n二行目。\n\n## デプロイ <!-- section: deploy -->\n\n### Web を適用する <!-- step: apply-web -->\n\n本文。\n\n## スケール <!-- section: scale -->\n\n### 2 台にする <!-- step: scale-web -->\n"

const webYAML = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  a.cnf: x\n---\napiVersion: apps/v1\nkind: StatefulSet\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: example.local/web:1\n          command: [sh, -c, 'cp /mnt/config-map/a.cnf /etc/']\n"

func fixture(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for k, v := range files {
		m[k] = &fstest.MapFile{Data: []byte(v)}
	}
	return m
}

func lessonFS(spec, en, ja string) fstest.MapFS {
	files := map[string]string{"demo/lesson.yaml": spec}
	if en != "" {
		files["demo/en.md"] = en
	}
	if ja != "" {
		files["demo/ja.md"] = ja
	}
	return fixture(files)
}

func TestLoadGood(t *testing.T) {
	l, probs, err := Load(lessonFS(goodSpec, goodEN, goodJA), "lessons", "demo", step.Kinds())
	if err != nil || len(probs) > 0 {
		t.Fatalf("Load: err=%v problems=%v", err, probs)
	}
	if got := len(l.Spec.Steps); got != 2 {
		t.Fatalf("steps = %d, want 2", got)
	}
	s := l.Spec.Steps[0]
	if s.Line != 7 || s.Checks[1].Line != 15 {
		t.Errorf("lines: step %d check %d, want 7 and 15", s.Line, s.Checks[1].Line)
	}
	if s.Action.Kind != "apply" || s.Checks[0].Kind != "podsReady" {
		t.Errorf("kinds: %q %q", s.Action.Kind, s.Checks[0].Kind)
	}
	en := l.Doc("en")
	if en.Title != "Demo lesson" || en.Summary != "A small demo. Second line." {
		t.Errorf("title/summary: %q / %q", en.Title, en.Summary)
	}
	if ja := l.Doc("ja"); ja.Summary != "小さなデモです。二行目。" {
		t.Errorf("ja summary joined with a space: %q", ja.Summary)
	}
	if len(en.Sections) != 2 || en.Sections[0].ID != "deploy" || en.Sections[1].Steps[0].ID != "scale-web" {
		t.Fatalf("sections: %+v", en.Sections)
	}
	if len(en.Sections[0].Steps) != 1 {
		t.Errorf("a step marker inside a code block counted: %+v", en.Sections[0].Steps)
	}
	st := en.Sections[0].Steps[0]
	if st.Title != "Apply the web app" || strings.Contains(en.Sections[0].Markdown, "<!-- section") || !strings.Contains(en.Sections[0].Markdown, "### Apply the web app\n") {
		t.Errorf("markers not stripped: %q / %q", st.Title, en.Sections[0].Markdown)
	}
	if !strings.Contains(st.Markdown, "Applies it.") || strings.Contains(st.Markdown, "## Scale") {
		t.Errorf("step markdown: %q", st.Markdown)
	}
	if probs := Lint(l, fixture(map[string]string{"demo/web.yaml": webYAML}), "manifests"); len(probs) > 0 {
		t.Errorf("Lint: %v", probs)
	}
}

func TestCheckTimeoutCascade(t *testing.T) {
	l, _, _ := Load(lessonFS(goodSpec, goodEN, goodJA), "lessons", "demo", step.Kinds())
	s0, s1 := l.Spec.Steps[0], l.Spec.Steps[1]
	for _, tc := range []struct {
		name string
		spec Spec
		step Step
		chk  Check
		want time.Duration
	}{
		{"check wins", l.Spec, s0, s0.Checks[0], 4 * time.Minute},
		{"step wins", l.Spec, s0, s0.Checks[1], 3 * time.Minute},
		{"lesson wins", l.Spec, s1, s1.Checks[0], 90 * time.Second},
		{"default", Spec{}, Step{}, Check{}, DefaultTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.spec.CheckTimeout(tc.step, tc.chk); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// lintIDs loads and lints a fixture and returns "file:line:ID" strings.
func lintIDs(t *testing.T, fsys fstest.MapFS, manifests fstest.MapFS) []string {
	t.Helper()
	l, probs, err := Load(fsys, "lessons", "demo", step.Kinds())
	if err != nil {
		t.Fatal(err)
	}
	probs = append(probs, Lint(l, manifests, "manifests")...)
	SortProblems(probs)
	var out []string
	for _, p := range probs {
		out = append(out, p.File+":"+itoa(p.Line)+":"+p.ID)
	}
	return out
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

func TestLintProblems(t *testing.T) {
	manifests := fixture(map[string]string{"demo/web.yaml": webYAML})
	for _, tc := range []struct {
		name     string
		spec     string
		en, ja   string
		mfs      fstest.MapFS
		want     []string
		wantArgs map[string]any
	}{
		{
			name: "unknown field",
			spec: strings.Replace(goodSpec, "    timeout: 3m\n", "    timout: 3m\n", 1),
			want: []string{"lessons/demo/lesson.yaml:8:LintUnknownField"},
		},
		{
			name: "unknown action kind",
			spec: strings.Replace(goodSpec, "      scale: {", "      scael: {", 1),
			want: []string{"lessons/demo/lesson.yaml:16:LintNoAction", "lessons/demo/lesson.yaml:18:LintUnknownAction"},
		},
		{
			name: "unknown check kind",
			spec: strings.Replace(goodSpec, "      - exists:", "      - exist:", 1),
			want: []string{"lessons/demo/lesson.yaml:15:LintUnknownCheck", "lessons/demo/lesson.yaml:15:LintNoCheckKind"},
		},
		{
			name: "two action kinds",
			spec: strings.Replace(goodSpec, "      scale: {statefulSet: web, replicas: 2}\n", "      scale: {statefulSet: web, replicas: 2}\n      wait: {}\n", 1),
			want: []string{"lessons/demo/lesson.yaml:18:LintManyKinds"}, // at the action's first kind
		},
		{
			name: "duplicate step id",
			spec: strings.Replace(goodSpec, "id: scale-web", "id: apply-web", 1),
			en:   strings.Replace(goodEN, "step: scale-web", "step: apply-web", 1),
			ja:   strings.Replace(goodJA, "step: scale-web", "step: apply-web", 1),
			want: []string{"lessons/demo/en.md:22:LintDuplicateID", "lessons/demo/ja.md:14:LintDuplicateID", "lessons/demo/lesson.yaml:16:LintDuplicateID"},
		},
		{
			name: "missing manifest",
			spec: strings.Replace(goodSpec, "demo/web.yaml", "demo/nope.yaml", 1),
			want: []string{"lessons/demo/lesson.yaml:10:LintManifestMissing"},
		},
		{
			name: "bad duration",
			spec: strings.Replace(goodSpec, "timeout: 90s", "timeout: soon", 1),
			want: []string{"lessons/demo/lesson.yaml:3:LintYAMLType"},
		},
		{
			name: "yaml syntax",
			spec: "steps:\n  - id: a\n   action: [\n",
			want: []string{"lessons/demo/lesson.yaml:1:LintYAMLSyntax"},
		},
		{
			name: "step missing in ja",
			ja:   strings.Replace(goodJA, "### 2 台にする <!-- step: scale-web -->", "### 2 台にする", 1),
			want: []string{"lessons/demo/lesson.yaml:16:LintStepMissingInDoc"},
		},
		{
			name: "missing language",
			ja:   "-",
			want: []string{"lessons/demo/ja.md:0:LintMissingDoc"},
		},
		{
			name: "unknown step in doc",
			en:   goodEN + "\n### Extra <!-- step: extra -->\n",
			want: []string{"lessons/demo/en.md:26:LintUnknownStep"},
		},
		{
			name: "steps out of order",
			en:   "# T\n\n## Deploy <!-- section: deploy -->\n\n### B <!-- step: scale-web -->\n\n## Scale <!-- section: scale -->\n\n### A <!-- step: apply-web -->\n",
			want: []string{"lessons/demo/en.md:9:LintStepOrder", "lessons/demo/ja.md:8:LintStepSection", "lessons/demo/ja.md:14:LintStepSection"},
		},
		{
			name: "sections out of order between languages",
			ja:   "# デモ\n\n## スケール <!-- section: scale -->\n\n### Web <!-- step: apply-web -->\n\n## デプロイ <!-- section: deploy -->\n\n### 2 台 <!-- step: scale-web -->\n",
			want: []string{"lessons/demo/ja.md:3:LintSectionOrder"},
		},
		{
			name: "section without marker and bad marker",
			en:   strings.Replace(strings.Replace(goodEN, "## Scale <!-- section: scale -->", "## Scale", 1), "<!-- section: deploy -->", "<!-- section: Deploy! -->", 1),
			want: []string{"lessons/demo/en.md:6:LintBadMarker", "lessons/demo/en.md:20:LintSectionNoMarker", "lessons/demo/ja.md:6:LintSectionOrder"},
		},
		{
			name: "configmap key missing",
			mfs:  fixture(map[string]string{"demo/web.yaml": strings.Replace(webYAML, "cp /mnt/config-map/a.cnf", "cp /mnt/config-map/master.cnf", 1)}),
			want: []string{"manifests/demo/web.yaml:16:LintConfigKey"},
		},
		{
			name: "undeclared image",
			mfs:  fixture(map[string]string{"demo/web.yaml": strings.Replace(webYAML, "example.local/web:1", "docker.io/web:2", 1)}),
			want: []string{"manifests/demo/web.yaml:15:LintUnknownImage"},
		},
		{
			name: "required field",
			spec: strings.Replace(goodSpec, "{statefulSet: web, replicas: 2}", "{replicas: 2}", 1),
			want: []string{"lessons/demo/lesson.yaml:18:LintRequired"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, en, ja, mfs := goodSpec, goodEN, goodJA, manifests
			if tc.spec != "" {
				spec = tc.spec
			}
			if tc.en != "" {
				en = tc.en
			}
			if tc.ja == "-" {
				ja = ""
			} else if tc.ja != "" {
				ja = tc.ja
			}
			if tc.mfs != nil {
				mfs = tc.mfs
			}
			got := lintIDs(t, lessonFS(spec, en, ja), mfs)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("problems:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(tc.want, "\n     "))
			}
		})
	}
}

func FuzzParseSpec(f *testing.F) {
	f.Add([]byte(goodSpec))
	f.Add([]byte("steps: [{id: a, action: {wait: {}}, checks: [{pvcs: {count: 3}}]}]"))
	f.Add([]byte("timeout: -1s\nimages: {a: b}\nsteps: 3"))
	f.Fuzz(func(t *testing.T, b []byte) {
		spec, _ := ParseSpec("lesson.yaml", b, step.Kinds())
		l := &Lesson{ID: "x", Spec: spec, Docs: map[string]*Doc{}, Kinds: step.Kinds()}
		_ = Lint(l, fstest.MapFS{}, "manifests")
	})
}
