package mehdb

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"time"
)

// Timing of a follower's sync, as upstream.
const (
	// DefaultSyncInterval is the sleep before each sync round, the first
	// one included: a follower copies nothing in its first 10 s.
	DefaultSyncInterval = 10 * time.Second
	// DefaultSyncTimeout bounds each request to the leader.
	DefaultSyncTimeout = 5 * time.Second
)

// syncer is a follower's copy loop: it pulls every key from the leader and
// overwrites the local copy. The leader never contacts anyone, keys are
// never deleted here, and while the leader is unreachable (mehdb-0 not
// Ready, so not in the headless Service's DNS) rounds fail, are logged, and
// the follower keeps serving what it has.
type syncer struct {
	store    store
	leader   string // base URL
	client   *http.Client
	interval time.Duration
	// after is time.After; tests pass a channel they control.
	after func(time.Duration) <-chan time.Time
	log   *log.Logger
}

// run sleeps, syncs, and repeats until ctx ends.
func (s *syncer) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.after(s.interval):
		}
		s.round(ctx)
	}
}

// round copies every key the leader lists. The value is written whatever
// the leader's status code (as upstream); a key whose copy fails is logged
// and the round goes on.
func (s *syncer) round(ctx context.Context) {
	s.log.Print("Checking for new data from leader")
	keys, err := s.leaderKeys(ctx)
	if err != nil {
		s.log.Printf("Can't get keys from leader due to %v", err)
		return
	}
	for _, k := range keys {
		if err := s.copyKey(ctx, k); err != nil {
			s.log.Printf("Can't sync key %s from leader due to %v", k, err)
			continue
		}
		s.log.Printf("Synced key %s from leader", k)
	}
}

// leaderKeys asks the leader for its key names.
func (s *syncer) leaderKeys(ctx context.Context) ([]string, error) {
	body, status, err := s.fetch(ctx, "/keys")
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("GET %s/keys: %s", s.leader, http.StatusText(status))
	}
	var keys []string
	if err := json.Unmarshal(body, &keys); err != nil {
		return nil, fmt.Errorf("GET %s/keys: %w", s.leader, err)
	}
	return keys, nil
}

// copyKey fetches one value from the leader and stores it locally.
func (s *syncer) copyKey(ctx context.Context, k string) error {
	if !safeKeyName(k) {
		return fmt.Errorf("%q is not a key name", k)
	}
	v, _, err := s.fetch(ctx, "/get/"+url.PathEscape(k))
	if err != nil {
		return err
	}
	return s.store.put(k, v)
}

// fetch GETs a path of the leader and returns the whole body and status.
func (s *syncer) fetch(ctx context.Context, path string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.leader+path, nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return b, resp.StatusCode, err
}
