package lesson

import (
	"bytes"
	"errors"
	"io/fs"
	"path"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Langs are the languages every lesson is written in.
var Langs = []string{"en", "ja"}

// SpecFile is the name of the language-neutral file of a lesson folder.
const SpecFile = "lesson.yaml"

var idRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// Lesson is a loaded lesson folder.
type Lesson struct {
	// ID is the folder name.
	ID string
	// Spec is lesson.yaml.
	Spec Spec
	// Docs maps a language to its prose.
	Docs map[string]*Doc
	// Root is the display path of the lessons folder, for messages.
	Root string
	// Kinds are the action and check kinds the lesson was decoded with.
	Kinds Kinds

	// specUnreadable is set when lesson.yaml could not be parsed at all, so
	// the linter does not pile step problems on top of the syntax error.
	specUnreadable bool
}

// Title returns the lesson's title in lang, falling back to English.
func (l *Lesson) Title(lang string) string { return l.Doc(lang).Title }

// Doc returns the prose in lang, falling back to English, then to any.
func (l *Lesson) Doc(lang string) *Doc {
	if d, ok := l.Docs[lang]; ok {
		return d
	}
	if d, ok := l.Docs["en"]; ok {
		return d
	}
	for _, d := range l.Docs {
		return d
	}
	return &Doc{Lang: lang, Title: l.ID}
}

// Step returns the step with the given ID.
func (l *Lesson) Step(id string) (Step, bool) {
	for _, s := range l.Spec.Steps {
		if s.ID == id {
			return s, true
		}
	}
	return Step{}, false
}

// ErrNotFound is returned by Load for a lesson ID that does not exist.
var ErrNotFound = errors.New("lesson not found")

// IDs lists the lesson folders of lessons (folders holding lesson.yaml).
func IDs(lessons fs.FS) ([]string, error) {
	ents, err := fs.ReadDir(lessons, ".")
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		if _, err := fs.Stat(lessons, path.Join(e.Name(), SpecFile)); err == nil {
			ids = append(ids, e.Name())
		}
	}
	return ids, nil
}

// Load reads one lesson. Problems are the structural findings of parsing
// (unknown fields, YAML errors, markdown structure); run Lint for the rest.
// The error is ErrNotFound or an I/O error; with problems, the lesson holds
// what could be read.
func Load(lessons fs.FS, root, id string, kinds Kinds) (*Lesson, []Problem, error) {
	dir := id
	raw, err := fs.ReadFile(lessons, path.Join(dir, SpecFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	l := &Lesson{ID: id, Docs: map[string]*Doc{}, Root: root, Kinds: kinds}
	file := path.Join(root, dir, SpecFile)
	spec, probs := ParseSpec(file, raw, kinds)
	l.Spec = spec
	for _, p := range probs {
		if p.ID == "LintYAMLSyntax" {
			l.specUnreadable = true
		}
	}
	for _, lang := range Langs {
		mdFile := path.Join(dir, lang+".md")
		src, err := fs.ReadFile(lessons, mdFile)
		if err != nil {
			probs = append(probs, Problem{File: path.Join(root, mdFile), ID: "LintMissingDoc", Args: map[string]any{"Lang": lang}})
			continue
		}
		doc, ps := ParseDoc(path.Join(root, mdFile), lang, src)
		l.Docs[lang] = doc
		probs = append(probs, ps...)
	}
	return l, probs, nil
}

// LoadAll loads every lesson of lessons, sorted by Spec.Order then ID.
func LoadAll(lessons fs.FS, root string, kinds Kinds) ([]*Lesson, []Problem, error) {
	ids, err := IDs(lessons)
	if err != nil {
		return nil, nil, err
	}
	var all []*Lesson
	var probs []Problem
	for _, id := range ids {
		l, ps, err := Load(lessons, root, id, kinds)
		if err != nil {
			return nil, nil, err
		}
		all = append(all, l)
		probs = append(probs, ps...)
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].Spec.Order != all[j].Spec.Order {
			return all[i].Spec.Order < all[j].Spec.Order
		}
		return all[i].ID < all[j].ID
	})
	return all, probs, nil
}

var yamlLineRE = regexp.MustCompile(`line (\d+): (.*)`)

// ParseSpec parses lesson.yaml strictly, decoding actions and checks with
// kinds: unknown fields and kinds, wrong types and bad durations are
// problems with their line numbers.
func ParseSpec(file string, raw []byte, kinds Kinds) (Spec, []Problem) {
	var spec Spec
	var probs []Problem
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&root); err != nil {
		line, msg := 1, err.Error()
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		if errors.Is(err, errEOF) || strings.Contains(msg, "EOF") {
			msg = "empty file"
		}
		return spec, []Problem{{File: file, Line: line, ID: "LintYAMLSyntax", Args: map[string]any{"Detail": msg}}}
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	walkFields(doc, reflect.TypeOf(spec), func(line int, id string, args map[string]any) {
		probs = append(probs, Problem{File: file, Line: line, ID: id, Args: args})
	})
	add := func(line int, id string, args map[string]any) {
		probs = append(probs, Problem{File: file, Line: line, ID: id, Args: args})
	}
	typeProblems(doc.Decode(&spec), doc.Line, add)
	for i := range spec.Steps {
		s := &spec.Steps[i]
		decodeAction(&s.Action, kinds, add)
		for j := range s.Checks {
			decodeCheck(&s.Checks[j], kinds, add)
		}
		for j := range s.Evidence {
			decodeCheck(&s.Evidence[j], kinds, add)
		}
		for k := range s.Variants {
			v := &s.Variants[k]
			for j := range v.Checks {
				decodeCheck(&v.Checks[j], kinds, add)
			}
			for j := range v.Evidence {
				decodeCheck(&v.Evidence[j], kinds, add)
			}
		}
	}
	setLines(doc, &spec)
	return spec, probs
}

var errEOF = errors.New("EOF")

// typeProblems reports the type errors of a decode (yaml.v3 collects them
// rather than stopping at the first), at their own lines.
func typeProblems(err error, line int, add func(line int, id string, args map[string]any)) {
	if err == nil {
		return
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		add(line, "LintYAMLType", map[string]any{"Detail": err.Error()})
		return
	}
	for _, e := range te.Errors {
		l, msg := 0, e
		if m := yamlLineRE.FindStringSubmatch(e); m != nil {
			l, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		add(l, "LintYAMLType", map[string]any{"Detail": msg})
	}
}

// decodeAction decodes an action's one kind with kinds; unknown kinds and
// extra kinds are kept for the linter's messages.
func decodeAction(a *Action, kinds Kinds, add func(line int, id string, args map[string]any)) {
	n := a.node
	if n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.MappingNode {
		add(n.Line, "LintYAMLType", map[string]any{"Detail": "an action is a mapping with one kind, e.g. wait: {}"})
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		body, ok := kinds.NewAction(k.Value)
		if !ok {
			known := kinds.ActionKinds()
			add(k.Line, "LintUnknownAction", map[string]any{"Field": k.Value, "Known": strings.Join(known, ", "), "Suggest": suggest(k.Value, known)})
			continue
		}
		if a.Kind != "" {
			a.more = append(a.more, k.Value)
			continue
		}
		a.Kind, a.Body, a.Line = k.Value, body, k.Line
		decodeBody(v, body, add)
	}
}

// decodeCheck decodes a check's name, timeout and one kind with kinds.
func decodeCheck(c *Check, kinds Kinds, add func(line int, id string, args map[string]any)) {
	n := c.node
	if n == nil {
		return
	}
	if n.Kind != yaml.MappingNode {
		add(n.Line, "LintYAMLType", map[string]any{"Detail": "a check is a mapping with one kind, e.g. exists: {kind: Service, name: web}"})
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "name":
			typeProblems(v.Decode(&c.Name), v.Line, add)
			continue
		case "timeout":
			typeProblems(v.Decode(&c.Timeout), v.Line, add)
			continue
		}
		body, ok := kinds.NewCheck(k.Value)
		if !ok {
			known := kinds.CheckKinds()
			add(k.Line, "LintUnknownCheck", map[string]any{"Field": k.Value, "Known": strings.Join(known, ", "), "Suggest": suggest(k.Value, append([]string{"name", "timeout"}, known...))})
			continue
		}
		if c.Kind != "" {
			c.more = append(c.more, k.Value)
			continue
		}
		c.Kind, c.Body = k.Value, body
		decodeBody(v, body, add)
	}
}

// decodeBody decodes a kind's fields strictly into body.
func decodeBody(v *yaml.Node, body Body, add func(line int, id string, args map[string]any)) {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return // "wait:" with nothing after it, like "wait: {}"
	}
	walkFields(v, reflect.TypeOf(body), add)
	typeProblems(v.Decode(body), v.Line, add)
}

var (
	durationType = reflect.TypeOf(Duration(0))
	actionType   = reflect.TypeOf(Action{})
	checkType    = reflect.TypeOf(Check{})
)

// UnmarshalYAML reports a bad duration with its line, as yaml.v3 collects
// type errors rather than stopping at the first.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if err := d.UnmarshalText([]byte(n.Value)); err != nil {
		return &yaml.TypeError{Errors: []string{"line " + strconv.Itoa(n.Line) + ": " + err.Error()}}
	}
	return nil
}

// walkFields reports keys of mappings that no field of t declares.
func walkFields(n *yaml.Node, t reflect.Type, add func(line int, id string, args map[string]any)) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n == nil || t == durationType || t == actionType || t == checkType {
		return // actions and checks are decoded with their kinds
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // Decode reports the type error
		}
		fields := structFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				known := make([]string, 0, len(fields))
				for name := range fields {
					known = append(known, name)
				}
				sort.Strings(known)
				add(k.Line, "LintUnknownField", map[string]any{"Field": k.Value, "Known": strings.Join(known, ", "), "Suggest": suggest(k.Value, known)})
				continue
			}
			walkFields(v, ft, add)
		}
	case reflect.Slice:
		if n.Kind == yaml.SequenceNode {
			for _, c := range n.Content {
				walkFields(c, t.Elem(), add)
			}
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			for i := 1; i < len(n.Content); i += 2 {
				walkFields(n.Content[i], t.Elem(), add)
			}
		}
	}
}

// structFields maps YAML names to field types, flattening inline structs.
func structFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if tag == "-" || !f.IsExported() {
			continue
		}
		if strings.Contains(tag, ",inline") {
			for k, v := range structFields(f.Type) {
				out[k] = v
			}
			continue
		}
		out[yamlName(f)] = f.Type
	}
	return out
}

// setLines records the lines of steps (actions and checks record their
// own when decoded).
func setLines(doc *yaml.Node, spec *Spec) {
	steps := mapValue(doc, "steps")
	if steps == nil || steps.Kind != yaml.SequenceNode {
		return
	}
	for i, sn := range steps.Content {
		if i >= len(spec.Steps) {
			break
		}
		spec.Steps[i].Line = sn.Line
		if vs := mapValue(sn, "variants"); vs != nil && vs.Kind == yaml.SequenceNode {
			for j, vn := range vs.Content {
				if j < len(spec.Steps[i].Variants) {
					spec.Steps[i].Variants[j].Line = vn.Line
				}
			}
		}
	}
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// suggest returns the known name closest to s (edit distance ≤ 2 and less
// than half its length), or "".
func suggest(s string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(s), strings.ToLower(k)); d < bestD && d*2 < len(k) {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
