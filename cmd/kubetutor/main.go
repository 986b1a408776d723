// Command kubetutor is a terminal tutor for Kubernetes StatefulSets.
// Installed as kubectl-tutor it also runs as `kubectl tutor`.
package main

import "github.com/kubetutor/kubetutor/cmd/kubetutor/app"

func main() { app.Main() }
