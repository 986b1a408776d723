package step

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/kubetutor/kubetutor/i18n"
	"github.com/kubetutor/kubetutor/runner/l10n"
	"github.com/kubetutor/kubetutor/runner/lesson"
)

// TestEveryKind walks every registered action and check kind and fails when
// one of the facets a kind declares in its file is missing or wrong: its
// example parses and validates, its description is translated in every
// language, its fields are documented, an action's example can be done by
// hand (kubectl commands, or a translated note on why there is nothing to
// type), and the README's tables list it.
func TestEveryKind(t *testing.T) {
	cat, err := l10n.LoadCatalog(i18n.FS)
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	docs := fieldDocs(t)
	k := Kinds()
	if len(k.ActionKinds()) < 11 || len(k.CheckKinds()) < 13 {
		t.Fatalf("kinds: %v %v", k.ActionKinds(), k.CheckKinds())
	}
	for _, check := range []bool{false, true} {
		names := k.ActionKinds()
		if check {
			names = k.CheckKinds()
		}
		for _, name := range names {
			t.Run(name, func(t *testing.T) {
				example, ok := Example(name, check)
				if !ok || example == "" {
					t.Fatal("no example registered")
				}
				section := "actions"
				key := "action"
				if check {
					section, key = "checks", "checks"
				}
				src := "steps:\n  - id: x\n"
				if check {
					src += "    action: {wait: {}}\n    checks:\n      - " + name + ": " + example + "\n"
				} else {
					src += "    action:\n      " + name + ": " + example + "\n"
				}
				spec, probs := lesson.ParseSpec("lesson.yaml", []byte(src), k)
				if len(probs) > 0 {
					t.Fatalf("example %s does not parse: %v", example, probs)
				}
				var body lesson.Body
				var desc Msg
				if check {
					c := spec.Steps[0].Checks[0]
					body = c.Body
					desc = Describe(c)
				} else {
					body = spec.Steps[0].Action.Body
					desc = DescribeAction(spec.Steps[0].Action)
				}
				if p := lesson.Validate(body, name, "lesson.yaml", 1); len(p) > 0 {
					t.Errorf("example %s does not validate: %v", example, p)
				}
				if !strings.EqualFold(desc.ID, "Kind"+name) {
					t.Errorf("%s describes itself with %s; use one message Kind<Name>", key, desc.ID)
				}
				for _, lang := range l10n.Supported {
					got := desc.Text(cat.Translator(lang))
					if got == desc.ID || strings.Contains(got, "<no value>") || strings.TrimSpace(got) == "" {
						t.Errorf("%s: %s is not translated: %q", lang, desc.ID, got)
					}
				}
				typ := reflect.TypeOf(body).Elem()
				for _, f := range fieldsOf(typ) {
					if !docs[typ.Name()+"."+f] && !docs[f] {
						t.Errorf("field %s.%s has no doc comment (lesson authors read it)", typ.Name(), f)
					}
				}
				if !check {
					byHand(t, cat, body)
				}
				if !regexp.MustCompile("(?m)^\\| `" + name + "`").Match(readme) {
					t.Errorf("the README's table of %s does not list `%s`", section, name)
				}
			})
		}
	}
}

// byHand checks the commands of an action's example on a cluster holding
// what the examples name (mysql-2 on node-1, the StatefulSet mysql, …).
func byHand(t *testing.T, cat *l10n.Catalog, body lesson.Body) {
	t.Helper()
	env, _ := byHandEnv(t)
	h, err := body.(Action).Commands(context.Background(), env)
	if err != nil {
		t.Fatalf("Commands: %v", err)
	}
	if len(h.Lines) == 0 && h.Note.IsZero() {
		t.Error("Commands gives no command and no note saying why")
	}
	for _, l := range h.Lines {
		if !strings.HasPrefix(l, "kubectl ") {
			t.Errorf("command %q is not a kubectl command line", l)
		}
	}
	if !h.Note.IsZero() {
		for _, lang := range l10n.Supported {
			if got := h.Note.Text(cat.Translator(lang)); got == h.Note.ID || strings.Contains(got, "<no value>") {
				t.Errorf("%s: note %s is not translated: %q", lang, h.Note.ID, got)
			}
		}
	}
}

// fieldsOf lists the exported yaml fields of a kind's struct, inline
// groups flattened to their own names (documented where they are declared).
func fieldsOf(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		if strings.Contains(f.Tag.Get("yaml"), "inline") {
			for _, g := range fieldsOf(f.Type) {
				out = append(out, f.Type.Name()+"."+g)
			}
			continue
		}
		out = append(out, f.Name)
	}
	return out
}

// fieldDocs returns "Type.Field" of every struct field of the package that
// has a doc comment.
func fieldDocs(t *testing.T) map[string]bool {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, p := range pkgs {
		for _, f := range p.Files {
			ast.Inspect(f, func(n ast.Node) bool {
				ts, ok := n.(*ast.TypeSpec)
				if !ok {
					return true
				}
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					return false
				}
				for _, fl := range st.Fields.List {
					if fl.Doc == nil {
						continue
					}
					for _, n := range fl.Names {
						out[ts.Name.Name+"."+n.Name] = true
					}
				}
				return false
			})
		}
	}
	return out
}

// TestMessagesTranslated fails when a message ID the package uses (M("…"))
// is missing from a language's catalogue.
func TestMessagesTranslated(t *testing.T) {
	ids := map[string]bool{}
	re := regexp.MustCompile(`\bM\("([A-Za-z]+)"`)
	files, _ := os.ReadDir(".")
	for _, f := range files {
		if !strings.HasSuffix(f.Name(), ".go") || strings.HasSuffix(f.Name(), "_test.go") {
			continue
		}
		src, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			ids[m[1]] = true
		}
	}
	for _, lang := range l10n.Supported {
		have := map[string]bool{}
		files, _ := fs.Glob(i18n.FS, "*."+lang+".toml")
		for _, f := range files {
			raw, _ := fs.ReadFile(i18n.FS, f)
			var msgs map[string]any
			if err := toml.Unmarshal(raw, &msgs); err != nil {
				t.Fatal(err)
			}
			for id := range msgs {
				have[id] = true
			}
		}
		for id := range ids {
			if !have[id] {
				t.Errorf("%s: message %s is used but not in the catalogue", lang, id)
			}
		}
	}
}
