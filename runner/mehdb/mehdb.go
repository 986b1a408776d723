// Package mehdb is kubetutor's own mehdb: the small key-value store of the
// "StatefulSet basics" lesson, written from the observable behaviour of
// upstream mehdb v0.6 described in the project's spec (never from its code).
//
// One process is one shard. Its role is decided once at start from its host
// identity (in a StatefulSet pod: the pod name): the shard called mehdb-0 is
// the leader and accepts writes and reads; every other shard is a follower
// that serves reads from its own copy and answers writes with a 307 redirect
// to the leader. A follower copies every key from the leader in a loop that
// sleeps first (10 s) and then fetches the leader's key list and each value;
// keys are never deleted and there is no election.
//
// The parts: Config (from the MEHDB_* environment), store (one directory per
// key under the data directory), Server (the HTTP API, routed by hand to the
// exact status codes and bodies upstream's router gives), syncer (the
// follower loop) and Run, which ties them together until its context ends.
//
// Where ours differs from upstream, on purpose: the leader address is
// http://mehdb-0.<MEHDB_SERVICE>:<port> (upstream used the namespace in
// place of the service, which resolves only in a namespace called mehdb);
// SIGTERM and SIGINT end the process promptly (as PID 1 in a container, a
// process without a handler ignores SIGTERM and waits for SIGKILL); values
// are written to a temporary file and renamed, so a reader never sees half a
// value. The image runs it as root, because the lab's host-path volumes are
// owned by root with mode 0750.
package mehdb

import (
	"fmt"
	"path/filepath"
)

// Defaults of the configuration.
const (
	// DefaultPort is the HTTP port without MEHDB_PORT.
	DefaultPort = "9876"
	// DefaultService is the headless Service of the StatefulSet without
	// MEHDB_SERVICE; the leader's DNS name is <LeaderName>.<service>.
	DefaultService = "mehdb"
	// DefaultNamespace is reported without MEHDB_NAMESPACE.
	DefaultNamespace = "default"
	// LeaderName is the host identity of the leading shard.
	LeaderName = "mehdb-0"
	// LocalLeaderURL is the leader's address when MEHDB_LOCAL is set (a
	// leader run by hand on port 9999 of the same machine).
	LocalLeaderURL = "http://localhost:9999"
)

// Config is one shard's configuration.
type Config struct {
	// Identity is the host name (the pod name in a StatefulSet), or
	// MEHDB_HOST when set. It decides the role: see Leader.
	Identity string
	// Port is the TCP port the HTTP server listens on (MEHDB_PORT).
	Port string
	// DataDir holds one directory per key (MEHDB_DATADIR, default
	// <working directory>/data).
	DataDir string
	// Namespace is MEHDB_NAMESPACE or "default"; only logged.
	Namespace string
	// Service is the headless Service in the leader's address
	// (MEHDB_SERVICE).
	Service string
	// LeaderURL is the leader's base URL, without a trailing slash:
	// http://mehdb-0.<Service>:<Port>, or LocalLeaderURL with MEHDB_LOCAL.
	LeaderURL string
}

// Leader reports whether this shard leads: its identity is exactly
// LeaderName. As upstream, this is not an ordinal parse: a StatefulSet
// with another name has no leader.
func (c Config) Leader() bool { return c.Identity == LeaderName }

// ConfigFromEnv reads the MEHDB_* variables through getenv, the host name
// through hostname and the working directory (for the default data
// directory) through getwd. A failing hostname leaves the identity empty
// (a follower) and is returned as a warning to log, as is a failing getwd.
func ConfigFromEnv(getenv func(string) string, hostname, getwd func() (string, error)) (Config, []string) {
	var warnings []string
	or := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	c := Config{
		Port:      or("MEHDB_PORT", DefaultPort),
		Namespace: or("MEHDB_NAMESPACE", DefaultNamespace),
		Service:   or("MEHDB_SERVICE", DefaultService),
	}
	// MEHDB_HOST replaces the host name only when reading it succeeded.
	if h, err := hostname(); err != nil {
		warnings = append(warnings, fmt.Sprintf("Can't read the host name due to %v", err))
	} else {
		c.Identity = or("MEHDB_HOST", h)
	}
	c.DataDir = getenv("MEHDB_DATADIR")
	if c.DataDir == "" {
		wd, err := getwd()
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("Can't read the working directory due to %v", err))
		}
		c.DataDir = filepath.Join(wd, "data")
	}
	c.LeaderURL = fmt.Sprintf("http://%s.%s:%s", LeaderName, c.Service, c.Port)
	if getenv("MEHDB_LOCAL") != "" {
		c.LeaderURL = LocalLeaderURL
	}
	return c, warnings
}
