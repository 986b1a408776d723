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
		kinds := setFields(s.Action)
		switch {
		case len(kinds) == 0:
			add(file, s.Line, "LintNoAction", map[string]any{"Step": s.ID, "Known": strings.Join(ActionKinds(), ", ")})
		case len(kinds) > 1:
			add(file, s.Line, "LintManyKinds", map[string]any{"Kinds": strings.Join(kinds, ", ")})
		}
		for _, f := range actionRequired(s.Action) {
			add(file, s.Line, "LintRequired", map[string]any{"Field": f})
		}
		if s.Action.Apply != nil {
			applied = append(applied, s.Action.Apply.Files...)
			for _, f := range s.Action.Apply.Files {
				if _, err := fs.Stat(manifests, f); err != nil {
					add(file, s.Line, "LintManifestMissing", map[string]any{"File": path.Join(manifestsRoot, f)})
				}
			}
		}
		for _, c := range s.Checks {
			kinds := setFields(c)
			switch {
			case len(kinds) == 0:
				add(file, c.Line, "LintNoCheckKind", map[string]any{"Known": strings.Join(CheckKinds(), ", ")})
			case len(kinds) > 1:
				add(file, c.Line, "LintManyKinds", map[string]any{"Kinds": strings.Join(kinds, ", ")})
			}
			for _, f := range checkRequired(c) {
				add(file, c.Line, "LintRequired", map[string]any{"Field": f})
			}
		}
	}
	probs = append(probs, lintManifests(applied, spec.Images, manifests, manifestsRoot)...)
	probs = append(probs, lintDocs(l)...)
	SortProblems(probs)
	return probs
}

// actionRequired lists the missing required fields of an action.
func actionRequired(a Action) []string {
	var miss []string
	need := func(ok bool, f string) {
		if !ok {
			miss = append(miss, f)
		}
	}
	switch {
	case a.Apply != nil:
		need(len(a.Apply.Files) > 0, "apply.files")
	case a.Exec != nil:
		need(a.Exec.Pod != "", "exec.pod")
		need(len(a.Exec.Command) > 0, "exec.command")
	case a.DeletePod != nil:
		need(a.DeletePod.Name != "", "deletePod.name")
	case a.Cordon != nil:
		need(a.Cordon.Pod != "" || a.Cordon.Node != "", "cordon.pod|cordon.node")
	case a.Drain != nil:
		need(a.Drain.Pod != "" || a.Drain.Node != "", "drain.pod|drain.node")
	case a.Scale != nil:
		need(a.Scale.StatefulSet != "", "scale.statefulSet")
		need(a.Scale.Replicas >= 0, "scale.replicas")
	case a.SQL != nil:
		need((a.SQL.Pod == "") != (a.SQL.Service == ""), "sql.pod|sql.service")
		need(len(a.SQL.Statements) > 0, "sql.statements")
	case a.DeletePVCs != nil:
		need(len(a.DeletePVCs.Names) > 0 || a.DeletePVCs.Selector != "", "deletePVCs.names|deletePVCs.selector")
	}
	return miss
}

// checkRequired lists the missing required fields of a check.
func checkRequired(c Check) []string {
	var miss []string
	need := func(ok bool, f string) {
		if !ok {
			miss = append(miss, f)
		}
	}
	switch {
	case c.PodsReady != nil:
		need(len(c.PodsReady.Names) > 0 || c.PodsReady.Selector != "", "podsReady.names|podsReady.selector")
	case c.PodCondition != nil:
		need(c.PodCondition.Pod != "", "podCondition.pod")
		need(c.PodCondition.Status == "True" || c.PodCondition.Status == "False", "podCondition.status (True|False)")
	case c.Exists != nil:
		need(c.Exists.Kind != "", "exists.kind")
		need(c.Exists.Name != "" || c.Exists.Selector != "", "exists.name|exists.selector")
	case c.Absent != nil:
		need(c.Absent.Kind != "", "absent.kind")
		need(c.Absent.Name != "" || c.Absent.Selector != "", "absent.name|absent.selector")
	case c.SameUID != nil:
		need(c.SameUID.Kind != "", "sameUID.kind")
		need(c.SameUID.Name != "", "sameUID.name")
	case c.NodeChanged != nil:
		need(c.NodeChanged.Pod != "", "nodeChanged.pod")
	case c.RestartsUnchanged != nil:
		need(c.RestartsUnchanged.Pod != "", "restartsUnchanged.pod")
	case c.PVCs != nil:
		need(len(c.PVCs.Names) > 0 || c.PVCs.Selector != "", "pvcs.names|pvcs.selector")
	case c.SQLContains != nil:
		need((c.SQLContains.Pod == "") != (c.SQLContains.Service == ""), "sqlContains.pod|sqlContains.service")
		need(c.SQLContains.Query != "", "sqlContains.query")
		need(c.SQLContains.Contains != "", "sqlContains.contains")
	case c.ValuesSeen != nil:
		need((c.ValuesSeen.Pod == "") != (c.ValuesSeen.Service == ""), "valuesSeen.pod|valuesSeen.service")
		need(c.ValuesSeen.Query != "", "valuesSeen.query")
		need(len(c.ValuesSeen.Include)+len(c.ValuesSeen.Exclude) > 0, "valuesSeen.include|valuesSeen.exclude")
	}
	return miss
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
