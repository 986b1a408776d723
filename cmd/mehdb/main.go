// Command mehdb is kubetutor's own mehdb, the small key-value store of the
// StatefulSet lesson: one shard per pod, mehdb-0 leads, the others follow.
// See package runner/mehdb for its API and configuration.
package main

import "github.com/kubetutor/kubetutor/runner/mehdb"

func main() { mehdb.Main() }
