package i18n

import (
	"io/fs"
	"path"
	"sort"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// TestEveryIDInEveryLanguage fails when a message ID exists in one
// language only, or twice within one language, across all message files.
func TestEveryIDInEveryLanguage(t *testing.T) {
	files, err := fs.Glob(FS, "*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no message files: %v", err)
	}
	ids := map[string]map[string]string{} // lang → id → file
	for _, f := range files {
		parts := strings.Split(path.Base(f), ".")
		if len(parts) != 3 {
			t.Errorf("%s: name it <area>.<lang>.toml", f)
			continue
		}
		lang := parts[1]
		raw, err := fs.ReadFile(FS, f)
		if err != nil {
			t.Fatal(err)
		}
		var msgs map[string]any
		if err := toml.Unmarshal(raw, &msgs); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if ids[lang] == nil {
			ids[lang] = map[string]string{}
		}
		for id, v := range msgs {
			if s, ok := v.(string); !ok || strings.TrimSpace(s) == "" {
				t.Errorf("%s: %s is not a non-empty string", f, id)
			}
			if other, dup := ids[lang][id]; dup {
				t.Errorf("%s: %s is also in %s", f, id, other)
			}
			ids[lang][id] = f
		}
	}
	var langs []string
	for l := range ids {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	if len(langs) < 2 {
		t.Fatalf("only languages %v", langs)
	}
	for _, a := range langs {
		for _, b := range langs {
			if a == b {
				continue
			}
			var missing []string
			for id, f := range ids[a] {
				if _, ok := ids[b][id]; !ok {
					missing = append(missing, id+" ("+f+")")
				}
			}
			sort.Strings(missing)
			for _, m := range missing {
				t.Errorf("%s has no %s translation of %s", b, b, m)
			}
		}
	}
}
