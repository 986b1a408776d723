package lessons_test

import (
	"io/fs"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/manifests"
)

var yamlBlockRE = regexp.MustCompile("(?s)```ya?ml\n(.*?)```")

// TestQuotedManifestsMatch keeps the YAML the lessons quote in their prose
// true to the manifests they apply: every line of a ```yaml block must
// appear, in the same order, in the lesson's manifests (whitespace at the
// ends ignored; "..." / "…" lines mark elisions).
func TestQuotedManifestsMatch(t *testing.T) {
	docs, err := fs.Glob(lessons.FS, "*/*.md")
	if err != nil || len(docs) == 0 {
		t.Fatalf("no lesson docs: %v", err)
	}
	for _, doc := range docs {
		id := path.Dir(doc)
		var lines []string
		files, _ := fs.Glob(manifests.FS, id+"/*.yaml")
		for _, f := range files {
			raw, _ := fs.ReadFile(manifests.FS, f)
			for _, l := range strings.Split(string(raw), "\n") {
				lines = append(lines, strings.TrimSpace(l))
			}
		}
		raw, _ := fs.ReadFile(lessons.FS, doc)
		for _, m := range yamlBlockRE.FindAllStringSubmatchIndex(string(raw), -1) {
			block := string(raw)[m[2]:m[3]]
			startLine := strings.Count(string(raw)[:m[2]], "\n") + 1
			if !strings.Contains(block, "kind:") && !strings.Contains(block, "- name:") && !strings.Contains(block, "command:") {
				continue // not a manifest excerpt
			}
			pos := 0
			for i, l := range strings.Split(strings.TrimRight(block, "\n"), "\n") {
				l = strings.TrimSpace(l)
				if l == "" || l == "..." || l == "…" || strings.HasPrefix(l, "# …") || strings.HasPrefix(l, "# ...") {
					continue
				}
				found := false
				for j := pos; j < len(lines); j++ {
					if lines[j] == l {
						pos, found = j+1, true
						break
					}
				}
				if !found {
					t.Errorf("%s:%d: %q is not in manifests/%s (in this order)", doc, startLine+i, l, id)
					break
				}
			}
		}
	}
}
