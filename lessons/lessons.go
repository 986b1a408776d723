// Package lessons embeds the built-in lessons: one folder per lesson with
// lesson.yaml, en.md and ja.md (see runner/lesson for the format).
package lessons

import "embed"

// FS holds the lesson folders at its root (mysql/lesson.yaml, …).
//
//go:embed */lesson.yaml */*.md
var FS embed.FS
