package lesson

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one finding of the loader or the linter, located at file:line.
// Its message is translated at the UI edge: ID is a message ID of the i18n
// catalogue and Args its template data.
type Problem struct {
	// File is the path shown to the user.
	File string
	// Line is 1-based; 0 when the problem concerns the whole file.
	Line int
	// ID is the i18n message ID, e.g. "LintUnknownField".
	ID string
	// Args are the message's template data.
	Args map[string]any
}

// Translator turns a message ID and its data into text in the user's language.
type Translator interface {
	T(id string, data map[string]any) string
}

// Format renders the problem as "file:line: message".
func (p Problem) Format(tr Translator) string {
	loc := p.File
	if p.Line > 0 {
		loc = fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return loc + ": " + tr.T(p.ID, p.Args)
}

// String is the untranslated form, for logs and tests.
func (p Problem) String() string {
	keys := make([]string, 0, len(p.Args))
	for k := range p.Args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d: %s", p.File, p.Line, p.ID)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%v", k, p.Args[k])
	}
	return b.String()
}

// SortProblems orders problems by file, then line.
func SortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].File != ps[j].File {
			return ps[i].File < ps[j].File
		}
		return ps[i].Line < ps[j].Line
	})
}
