package mehdb

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock stands in for time.After: every call is reported on calls (so a
// test knows the loop is waiting), and the wait ends when the test sends on
// ticks.
type fakeClock struct {
	calls chan time.Duration
	ticks chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{calls: make(chan time.Duration), ticks: make(chan time.Time)}
}

func (c *fakeClock) after(d time.Duration) <-chan time.Time {
	c.calls <- d
	return c.ticks
}

// tick ends the loop's current wait and returns when the round that
// follows is over (the loop waits again).
func (c *fakeClock) tick(t *testing.T) {
	t.Helper()
	c.ticks <- time.Time{}
	<-c.calls
}

// countingHandler counts the requests h serves.
func countingHandler(h http.Handler, n *atomic.Int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h.ServeHTTP(w, r)
	})
}

func newFollowerSyncer(t *testing.T, leaderURL string, clock *fakeClock) (*syncer, *bytes.Buffer) {
	var logs bytes.Buffer
	s := &syncer{
		store: store{dir: t.TempDir()}, leader: leaderURL, client: &http.Client{Timeout: DefaultSyncTimeout},
		interval: DefaultSyncInterval, log: log.New(&logs, "", 0),
	}
	if clock != nil {
		s.after = clock.after
	}
	return s, &logs
}

func TestSyncLoopCopiesFromLeader(t *testing.T) {
	shard, _, _ := newShard(t, LeaderName, map[string]string{"test": "test data\n", "other": "x"})
	var hits atomic.Int32
	leader := httptest.NewServer(countingHandler(shard, &hits))
	defer leader.Close()
	clock := newFakeClock()
	s, logs := newFollowerSyncer(t, leader.URL, clock)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.run(ctx); close(done) }()

	// Sleep first: the loop waits the interval before its first request.
	if d := <-clock.calls; d != DefaultSyncInterval {
		t.Fatalf("first wait %v, want %v", d, DefaultSyncInterval)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the leader got %d requests before the first interval passed", n)
	}
	if keys, _ := s.store.keys(); len(keys) != 0 {
		t.Fatalf("follower has %v before the first round", keys)
	}

	clock.tick(t)
	for k, want := range map[string]string{"test": "test data\n", "other": "x"} {
		if got, err := s.store.get(k); err != nil || string(got) != want {
			t.Errorf("after round 1, %s = %q, %v; want %q", k, got, err, want)
		}
	}
	if n := hits.Load(); n != 3 { // /keys and one /get per key
		t.Errorf("round 1 made %d requests, want 3", n)
	}

	// Round 2 re-copies every key, so changed values arrive too.
	if resp := do(t, leader, "PUT", "/set/test", "new"); resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	clock.tick(t)
	if got, _ := s.store.get("test"); string(got) != "new" {
		t.Errorf("after round 2, test = %q, want %q", got, "new")
	}

	cancel()
	<-done
	for _, want := range []string{"Checking for new data from leader\n", "Synced key test from leader\n", "Synced key other from leader\n"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}

func TestSyncRound(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	tests := []struct {
		name     string
		leader   http.HandlerFunc // nil: a closed server
		want     map[string]string
		wantLogs []string
	}{
		{
			name:     "leader unreachable",
			wantLogs: []string{"Can't get keys from leader due to Get \"" + closed.URL + "/keys\""},
		},
		{
			name: "leader answers an error",
			leader: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "disk gone", http.StatusInternalServerError)
			},
			wantLogs: []string{"Can't get keys from leader due to GET ", "/keys: Internal Server Error"},
		},
		{
			name: "leader answers no JSON",
			leader: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "leader")
			},
			wantLogs: []string{"Can't get keys from leader due to GET "},
		},
		{
			name: "names that would leave the data directory are skipped",
			leader: func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/keys":
					io.WriteString(w, `["../etc","ok",".hidden",""]`+"\n")
				default:
					io.WriteString(w, "value of "+r.URL.Path)
				}
			},
			want:     map[string]string{"ok": "value of /get/ok"},
			wantLogs: []string{`Can't sync key ../etc from leader due to "../etc" is not a key name`, "Synced key ok from leader"},
		},
		{
			// As upstream: the status of /get is not checked.
			name: "a value is stored whatever the leader's status",
			leader: func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/keys" {
					io.WriteString(w, `["gone"]`+"\n")
					return
				}
				http.Error(w, "", http.StatusNotFound)
			},
			want:     map[string]string{"gone": "\n"},
			wantLogs: []string{"Synced key gone from leader"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := closed.URL
			if tt.leader != nil {
				srv := httptest.NewServer(tt.leader)
				t.Cleanup(srv.Close)
				url = srv.URL
			}
			s, logs := newFollowerSyncer(t, url, nil)
			s.round(context.Background())
			keys, _ := s.store.keys()
			if len(keys) != len(tt.want) {
				t.Errorf("follower keys = %v, want %d", keys, len(tt.want))
			}
			for k, want := range tt.want {
				if got, err := s.store.get(k); err != nil || string(got) != want {
					t.Errorf("%s = %q, %v; want %q", k, got, err, want)
				}
			}
			for _, want := range tt.wantLogs {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("logs lack %q:\n%s", want, logs)
				}
			}
		})
	}
}
