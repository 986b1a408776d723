package render

import (
	"encoding/json"
	"fmt"
	"io/fs"

	"github.com/kubetutor/kubetutor/assets"
)

// titleMarker starts the title (a level-1 heading) in the NoTTY style.
// Plain text has no bold, so renderLines swaps the marker for a rule of ═
// under the title. Like the block placeholders it is a plain word glamour
// leaves alone.
const titleMarker = "KTUTORTITLE "

// colourless derives the NoColor or NoTTY glamour style from dark.json, so
// the three keep one layout: every colour and background (and the code
// highlighting) is dropped, attributes are kept. What a background alone
// marked gets another mark: the title is underlined (NoColor) or gets a
// rule under it (NoTTY, through titleMarker); the padding around inline
// code and the title, a coloured chip in Dark, would only be spaces.
func colourless(style Style) ([]byte, error) {
	raw, err := fs.ReadFile(assets.FS, string(Dark)+".json")
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("parse %s.json: %w", Dark, err)
	}
	stripColours(doc)
	set := func(elem string, kv map[string]any) {
		e, _ := doc[elem].(map[string]any)
		if e == nil {
			e = map[string]any{}
			doc[elem] = e
		}
		for k, v := range kv {
			e[k] = v
		}
	}
	set("code", map[string]any{"prefix": "", "suffix": ""})
	switch style {
	case NoColor:
		set("h1", map[string]any{"prefix": "", "suffix": "", "underline": true})
	case NoTTY:
		set("h1", map[string]any{"prefix": titleMarker, "suffix": ""})
	default:
		return nil, fmt.Errorf("style %q has colours", style)
	}
	return json.Marshal(doc)
}

// stripColours deletes the colour settings of a glamour style, at every
// depth.
func stripColours(v any) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	delete(m, "color")
	delete(m, "background_color")
	delete(m, "chroma")
	for _, c := range m {
		stripColours(c)
	}
}
