// Package assets embeds non-lesson files the tutor ships: the glamour
// styles tuned for the tutor (dark.json, light.json; derived from glamour's
// own, with heading markers that read well in a terminal and a narrower
// margin for the TUI's viewport), and the workshop's web page
// (workshop/index.html, style.css, app.js; runner/workshop/web serves them).
package assets

import "embed"

// FS holds the assets.
//
//go:embed *.json workshop
var FS embed.FS
