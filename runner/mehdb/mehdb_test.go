package mehdb

import (
	"errors"
	"slices"
	"testing"
)

func TestConfigFromEnv(t *testing.T) {
	host := func(h string) func() (string, error) { return func() (string, error) { return h, nil } }
	failing := func() (string, error) { return "", errors.New("boom") }
	tests := []struct {
		name     string
		env      map[string]string
		hostname func() (string, error)
		want     Config
		leader   bool
		warnings int
	}{
		{name: "defaults in a StatefulSet pod", hostname: host("mehdb-0"), leader: true, want: Config{
			Identity: "mehdb-0", Port: "9876", DataDir: "/app/data", Namespace: "default", Service: "mehdb",
			LeaderURL: "http://mehdb-0.mehdb:9876",
		}},
		{name: "follower with the lesson's env", hostname: host("mehdb-1"),
			env: map[string]string{"MEHDB_DATADIR": "/mehdbdata", "MEHDB_NAMESPACE": "learner-7"},
			want: Config{
				Identity: "mehdb-1", Port: "9876", DataDir: "/mehdbdata", Namespace: "learner-7", Service: "mehdb",
				LeaderURL: "http://mehdb-0.mehdb:9876",
			}},
		{name: "service and port shape the leader address", hostname: host("db-1"),
			env: map[string]string{"MEHDB_SERVICE": "kv", "MEHDB_PORT": "8080"},
			want: Config{
				Identity: "db-1", Port: "8080", DataDir: "/app/data", Namespace: "default", Service: "kv",
				LeaderURL: "http://mehdb-0.kv:8080",
			}},
		{name: "MEHDB_HOST replaces the host name", hostname: host("laptop"), leader: true,
			env: map[string]string{"MEHDB_HOST": "mehdb-0"},
			want: Config{
				Identity: "mehdb-0", Port: "9876", DataDir: "/app/data", Namespace: "default", Service: "mehdb",
				LeaderURL: "http://mehdb-0.mehdb:9876",
			}},
		{name: "local mode", hostname: host("laptop"),
			env: map[string]string{"MEHDB_LOCAL": "1", "MEHDB_PORT": "9998"},
			want: Config{
				Identity: "laptop", Port: "9998", DataDir: "/app/data", Namespace: "default", Service: "mehdb",
				LeaderURL: "http://localhost:9999",
			}},
		{name: "no host name: MEHDB_HOST is not consulted", hostname: failing, warnings: 1,
			env: map[string]string{"MEHDB_HOST": "mehdb-0"},
			want: Config{
				Port: "9876", DataDir: "/app/data", Namespace: "default", Service: "mehdb",
				LeaderURL: "http://mehdb-0.mehdb:9876",
			}},
		{name: "another StatefulSet's first pod does not lead", hostname: host("kv-0"), want: Config{
			Identity: "kv-0", Port: "9876", DataDir: "/app/data", Namespace: "default", Service: "mehdb",
			LeaderURL: "http://mehdb-0.mehdb:9876",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			got, warnings := ConfigFromEnv(getenv, tt.hostname, func() (string, error) { return "/app", nil })
			if got != tt.want {
				t.Errorf("config\n got %+v\nwant %+v", got, tt.want)
			}
			if got.Leader() != tt.leader {
				t.Errorf("Leader() = %v, want %v", got.Leader(), tt.leader)
			}
			if len(warnings) != tt.warnings {
				t.Errorf("warnings = %q, want %d", warnings, tt.warnings)
			}
		})
	}
}

func TestValidKey(t *testing.T) {
	var valid []string
	for _, k := range []string{"a", "test", "abcxyz", "", "A", "a1", "a-b", "a_b", "é", "a b", "a/b", ".."} {
		if validKey(k) {
			valid = append(valid, k)
		}
	}
	if want := []string{"a", "test", "abcxyz"}; !slices.Equal(valid, want) {
		t.Errorf("valid keys = %q, want %q", valid, want)
	}
}
