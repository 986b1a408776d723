// Package manifests embeds the Kubernetes manifests the lessons apply, one
// folder per lesson (mysql/statefulset.yaml, …). They are plain YAML that
// `kubectl apply -f` also accepts.
package manifests

import "embed"

// FS holds the manifest folders at its root.
//
//go:embed */*.yaml
var FS embed.FS
