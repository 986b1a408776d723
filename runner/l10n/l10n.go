// Package l10n picks the user's language and translates message IDs from
// the i18n catalogues (go-i18n).
package l10n

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Supported are the languages of the user interface and the lessons.
var Supported = []string{"en", "ja"}

// Translator translates message IDs into one language.
type Translator struct {
	lang string
	loc  *i18n.Localizer
}

// Catalog is a loaded set of message files, shared by translators.
type Catalog struct {
	bundle *i18n.Bundle
}

// LoadCatalog reads every *.toml file of fsys (named <area>.<lang>.toml).
func LoadCatalog(fsys fs.FS) (*Catalog, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	files, err := fs.Glob(fsys, "*.toml")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		raw, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		if _, err := b.ParseMessageFileBytes(raw, path.Base(f)); err != nil {
			return nil, fmt.Errorf("message file %s: %w", f, err)
		}
	}
	return &Catalog{bundle: b}, nil
}

// Translator returns a translator for lang ("en", "ja"); unknown languages
// fall back to English.
func (c *Catalog) Translator(lang string) *Translator {
	lang = Normalize(lang)
	return &Translator{lang: lang, loc: i18n.NewLocalizer(c.bundle, lang, "en")}
}

// Lang is the translator's language code.
func (t *Translator) Lang() string { return t.lang }

// T translates id with template data. A missing ID yields the ID itself, so
// a gap shows up in the UI instead of an empty string.
func (t *Translator) T(id string, data map[string]any) string {
	s, err := t.loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil || s == "" {
		return id
	}
	return s
}

// Normalize maps a language tag or locale ("ja_JP.UTF-8", "en-US") to a
// supported code, defaulting to "en".
func Normalize(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	for _, s := range Supported {
		if tag == s || strings.HasPrefix(tag, s+"_") || strings.HasPrefix(tag, s+"-") || strings.HasPrefix(tag, s+".") {
			return s
		}
	}
	return "en"
}

// FromEnv picks the language from LC_ALL, LC_MESSAGES, then LANG, the way
// POSIX programs do (the first one set wins; "C"/"POSIX" mean English).
func FromEnv(getenv func(string) string) string {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(k); v != "" {
			return Normalize(v)
		}
	}
	return "en"
}
