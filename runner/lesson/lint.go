package lesson

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Lint checks a loaded lesson beyond parsing: the one-of rules, required
// fields, IDs, manifests (which live in manifests, displayed under
// manifestsRoot), and that every language has the same sections and steps in
// the same order as lesson.yaml.
func Lint(l *Lesson, manifests fs.FS, manifestsRoot string) []Problem {
	var probs []Problem
	file := path.Join(l.Root, l.ID, SpecFile)
	add := func(f string, line int, id string, args map[string]any) {
		probs = append(probs, Problem{File: f, Line: line, ID: id, Args: args})
	}
	spec := l.Spec
	if l.specUnreadable {
		return nil // the syntax error is the one thing to fix first
	}
	if len(spec.Steps) == 0 {
		add(file, 1, "LintNoSteps", nil)
	}

	seen := map[string]int{}
	var applied []string
	for _, s := range spec.Steps {
		switch {
		case s.ID == "":
			add(file, s.Line, "LintRequired", map[string]any{"Field": "id"})
		case !idRE.MatchString(s.ID):
			add(file, s.Line, "LintBadID", map[string]any{"ID": s.ID})
		case seen[s.ID] > 0:
			add(file, s.Line, "LintDuplicateID", map[string]any{"ID": s.ID, "First": seen[s.ID]})
		default:
			seen[s.ID] = s.Line
		}
		switch {
		case s.Action.Kind == "":
			add(file, s.Line, "LintNoAction", map[string]any{"Step": s.ID, "Known": strings.Join(l.kindNames(false), ", ")})
		case len(s.Action.more) > 0:
			add(file, s.Action.Line, "LintManyKinds", map[string]any{"Kinds": strings.Join(append([]string{s.Action.Kind}, s.Action.more...), ", ")})
		}
		if s.Action.Body != nil {
			probs = append(probs, Validate(s.Action.Body, s.Action.Kind, file, s.Action.Line)...)
			if m, ok := s.Action.Body.(ManifestUser); ok {
				applied = append(applied, m.ManifestFiles()...)
				for _, f := range m.ManifestFiles() {
					if _, err := fs.Stat(manifests, f); err != nil {
						add(file, s.Action.Line, "LintManifestMissing", map[string]any{"File": path.Join(manifestsRoot, f)})
					}
				}
			}
		}
		probs = append(probs, lintVariants(file, s)...)
		for _, c := range s.AllChecks() {
			switch {
			case c.Kind == "":
				add(file, c.Line, "LintNoCheckKind", map[string]any{"Known": strings.Join(l.kindNames(true), ", ")})
			case len(c.more) > 0:
				add(file, c.Line, "LintManyKinds", map[string]any{"Kinds": strings.Join(append([]string{c.Kind}, c.more...), ", ")})
			}
			if c.Body != nil {
				probs = append(probs, Validate(c.Body, c.Kind, file, c.Line)...)
			}
		}
	}
	probs = append(probs, lintManifests(applied, spec.Images, manifests, manifestsRoot)...)
	probs = append(probs, lintDocs(l)...)
	SortProblems(probs)
	return probs
}

// lintVariants checks a step's variants: each names a known condition,
// none repeats an earlier one's, and each has checks.
func lintVariants(file string, s Step) []Problem {
	var probs []Problem
	seen := map[When]int{}
	for _, v := range s.Variants {
		add := func(id string, args map[string]any) {
			probs = append(probs, Problem{File: file, Line: v.Line, ID: id, Args: args})
		}
		switch v.When.Storage {
		case "", StorageNodeLocal, StorageShared:
		default:
			add("LintBadStorage", map[string]any{"Value": v.When.Storage, "Known": StorageNodeLocal + ", " + StorageShared})
		}
		switch {
		case v.When.IsZero():
			add("LintRequired", map[string]any{"Field": "variants.when"})
		case seen[v.When] > 0:
			add("LintDuplicateVariant", map[string]any{"Step": s.ID, "First": seen[v.When]})
		default:
			seen[v.When] = v.Line
		}
		if len(v.Checks) == 0 {
			add("LintRequired", map[string]any{"Field": "variants.checks"})
		}
	}
	return probs
}

// kindNames lists the lesson's check (or action) kinds for messages.
func (l *Lesson) kindNames(checks bool) []string {
	if l.Kinds == nil {
		return nil
	}
	if checks {
		return l.Kinds.CheckKinds()
	}
	return l.Kinds.ActionKinds()
}

var (
	cpConfigRE = regexp.MustCompile(`cp\s+/mnt/config-map/([A-Za-z0-9._-]+)`)
	imageRefRE = regexp.MustCompile(`^\s*(?:-\s+)?image:\s*["']?([^"'\s#]+)`)
)

// lintManifests checks the applied manifests: every container image is
// declared under "images:" (so `--image NAME=REF` can replace it), and every
// `cp /mnt/config-map/KEY` names a key of a ConfigMap of the lesson.
func lintManifests(files []string, images map[string]string, manifests fs.FS, root string) []Problem {
	var probs []Problem
	keys := map[string]bool{}
	type cpRef struct {
		file, key string
		line      int
	}
	var refs []cpRef
	declared := map[string]bool{}
	for _, ref := range images {
		declared[ref] = true
	}
	for _, f := range files {
		raw, err := fs.ReadFile(manifests, f)
		if err != nil {
			continue // reported as LintManifestMissing
		}
		sc := bufio.NewScanner(bytes.NewReader(raw))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for n := 1; sc.Scan(); n++ {
			for _, m := range cpConfigRE.FindAllStringSubmatch(sc.Text(), -1) {
				refs = append(refs, cpRef{f, m[1], n})
			}
			for _, m := range imageRefRE.FindAllStringSubmatch(sc.Text(), -1) {
				if !declared[m[1]] {
					probs = append(probs, Problem{File: path.Join(root, f), Line: n, ID: "LintUnknownImage", Args: map[string]any{"Ref": m[1]}})
				}
			}
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		for {
			var obj struct {
				Kind string            `yaml:"kind"`
				Data map[string]string `yaml:"data"`
			}
			err := dec.Decode(&obj)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				line := 0
				if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
					line = atoi(m[1])
				}
				probs = append(probs, Problem{File: path.Join(root, f), Line: line, ID: "LintYAMLSyntax", Args: map[string]any{"Detail": err.Error()}})
				break
			}
			if obj.Kind == "ConfigMap" {
				for k := range obj.Data {
					keys[k] = true
				}
			}
		}
	}
	known := make([]string, 0, len(keys))
	for k := range keys {
		known = append(known, k)
	}
	sort.Strings(known)
	for _, r := range refs {
		if !keys[r.key] {
			probs = append(probs, Problem{File: path.Join(root, r.file), Line: r.line, ID: "LintConfigKey", Args: map[string]any{"Key": r.key, "Known": strings.Join(known, ", ")}})
		}
	}
	return probs
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// lintDocs checks each language's sections and steps against lesson.yaml
// and against the other languages.
func lintDocs(l *Lesson) []Problem {
	var probs []Problem
	add := func(f string, line int, id string, args map[string]any) {
		probs = append(probs, Problem{File: f, Line: line, ID: id, Args: args})
	}
	specFile := path.Join(l.Root, l.ID, SpecFile)
	order := map[string]int{}
	for i, s := range l.Spec.Steps {
		if _, dup := order[s.ID]; !dup {
			order[s.ID] = i
		}
	}
	var ref *Doc // the first language, which the others are compared with
	for _, lang := range Langs {
		d, ok := l.Docs[lang]
		if !ok {
			continue
		}
		secSeen := map[string]int{}
		stepSeen := map[string]int{}
		last := -1
		for _, sec := range d.Sections {
			if sec.ID != "" {
				if first, dup := secSeen[sec.ID]; dup {
					add(d.File, sec.Line, "LintDuplicateID", map[string]any{"ID": sec.ID, "First": first})
				}
				secSeen[sec.ID] = sec.Line
			}
			for _, st := range sec.Steps {
				idx, known := order[st.ID]
				switch {
				case !known:
					add(d.File, st.Line, "LintUnknownStep", map[string]any{"Step": st.ID})
				case stepSeen[st.ID] > 0:
					add(d.File, st.Line, "LintDuplicateID", map[string]any{"ID": st.ID, "First": stepSeen[st.ID]})
				case idx < last:
					add(d.File, st.Line, "LintStepOrder", map[string]any{"Step": st.ID})
				}
				if known {
					stepSeen[st.ID] = st.Line
					if idx > last {
						last = idx
					}
				}
			}
		}
		for _, s := range l.Spec.Steps {
			if s.ID != "" && stepSeen[s.ID] == 0 {
				add(specFile, s.Line, "LintStepMissingInDoc", map[string]any{"Step": s.ID, "File": path.Base(d.File)})
			}
		}
		if ref == nil {
			ref = d
			continue
		}
		probs = append(probs, compareDocs(ref, d)...)
	}
	return probs
}

// compareDocs reports where d's sections or step placement differ from ref's.
func compareDocs(ref, d *Doc) []Problem {
	var probs []Problem
	n := len(ref.Sections)
	if len(d.Sections) > n {
		n = len(d.Sections)
	}
	for i := 0; i < n; i++ {
		var want, got string
		line := 0
		if i < len(ref.Sections) {
			want = ref.Sections[i].ID
		}
		if i < len(d.Sections) {
			got, line = d.Sections[i].ID, d.Sections[i].Line
		} else if len(d.Sections) > 0 {
			line = d.Sections[len(d.Sections)-1].Line
		}
		if want != got {
			probs = append(probs, Problem{File: d.File, Line: line, ID: "LintSectionOrder", Args: map[string]any{
				"Want": want, "Got": got, "Other": path.Base(ref.File), "Position": i + 1,
			}})
			return probs // one divergence is enough; the rest would cascade
		}
	}
	compared := map[string]bool{}
	for _, sec := range d.Sections {
		for _, st := range sec.Steps {
			if compared[st.ID] {
				continue // a duplicate, reported already
			}
			compared[st.ID] = true
			ri, _, ok := ref.StepLocation(st.ID)
			if ok && ref.Sections[ri].ID != sec.ID {
				probs = append(probs, Problem{File: d.File, Line: st.Line, ID: "LintStepSection", Args: map[string]any{
					"Step": st.ID, "Section": sec.ID, "Want": ref.Sections[ri].ID, "Other": path.Base(ref.File),
				}})
			}
		}
	}
	return probs
}
