// Package assets embeds non-lesson files the tutor ships: glamour styles
// tuned for the tutor and the like.
package assets

import "embed"

// FS holds the assets.
//
//go:embed *.json
var FS embed.FS
