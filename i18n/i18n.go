// Package i18n embeds the message catalogues of the user interface, one
// TOML file per area and language: <area>.<lang>.toml (e.g. lint.ja.toml).
// Every message ID must exist in every language; a test enforces it.
package i18n

import "embed"

// FS holds the *.toml catalogues.
//
//go:embed *.toml
var FS embed.FS
