package lesson

import "testing"

const fuzzEN = "# Demo lesson\n\nA small demo.\n\n## Deploy <!-- section: deploy -->\n\n### Apply <!-- step: apply-web -->\n\n```yaml\n## not a heading <!-- step: nope -->\n```\n"

func FuzzParseDoc(f *testing.F) {
	f.Add([]byte(fuzzEN))
	f.Add([]byte("## <!-- section: -->\n```\n### x <!-- step: y -->\n~~~"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, _ := ParseDoc("en.md", "en", b)
		l := &Lesson{ID: "x", Docs: map[string]*Doc{"en": d, "ja": d}}
		_ = lintDocs(l)
	})
}
