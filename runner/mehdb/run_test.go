package mehdb

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain lets a test run Main in a child process (the SIGTERM test).
func TestMain(m *testing.M) {
	if os.Getenv("MEHDB_TEST_RUN_MAIN") == "1" {
		Main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// lockedBuffer is a log sink read while Run still writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// shard is one Run in a goroutine.
type shard struct {
	url  string
	logs *lockedBuffer
	stop func() error // cancels Run's context and returns what Run returned
}

// startShard runs a shard with identity id on dataDir, listening on a free
// loopback port; env may set the seams for a follower.
func startShard(t *testing.T, id, dataDir string, env Env) shard {
	t.Helper()
	logs := &lockedBuffer{}
	vars := map[string]string{"MEHDB_DATADIR": dataDir, "MEHDB_NAMESPACE": "test-ns"}
	env.Getenv = func(k string) string { return vars[k] }
	env.Hostname = func() (string, error) { return id, nil }
	env.Log = log.New(logs, "", 0)
	addrs := make(chan net.Addr, 1)
	env.Listen = func(network, address string) (net.Listener, error) {
		if address != "0.0.0.0:9876" {
			t.Errorf("listen address %q, want 0.0.0.0:9876", address)
		}
		ln, err := net.Listen(network, "127.0.0.1:0")
		if err == nil {
			addrs <- ln.Addr()
		}
		return ln, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- Run(ctx, env) }()
	var addr net.Addr
	select {
	case addr = <-addrs:
	case err := <-errc:
		cancel()
		t.Fatalf("Run ended before listening: %v", err)
	}
	var once sync.Once
	var runErr error
	stop := func() error {
		once.Do(func() { cancel(); runErr = <-errc })
		return runErr
	}
	t.Cleanup(func() { stop() })
	return shard{url: "http://" + addr.String(), logs: logs, stop: stop}
}

func httpDo(t *testing.T, c *http.Client, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestRunLeaderAndFollower runs the lesson's story on two real processes'
// worth of Run: a write through the follower lands on the leader (the
// client follows the 307 as curl -L does), the follower copies it, both
// stop when their context ends, and the leader's data survives a restart.
func TestRunLeaderAndFollower(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	client := &http.Client{}
	defer client.CloseIdleConnections()
	leaderDir := t.TempDir() + "/data" // Run creates it
	leader := startShard(t, LeaderName, leaderDir, Env{})

	clock := newFakeClock()
	syncClient := &http.Client{Timeout: DefaultSyncTimeout}
	defer syncClient.CloseIdleConnections()
	follower := startShard(t, "mehdb-1", t.TempDir(), Env{LeaderURL: leader.url, After: clock.after, Client: syncClient})
	<-clock.calls // the follower's loop waits for its first round

	for _, s := range []shard{leader, follower} {
		if code, body := httpDo(t, client, "GET", s.url+"/status?level=full", ""); code != 200 || body != "0\n" {
			t.Errorf("%s /status?level=full = %d %q, want 200 \"0\\n\"", s.url, code, body)
		}
	}
	if code, body := httpDo(t, client, "PUT", follower.url+"/set/test", "test data\n"); code != 200 || body != "WRITE completed" {
		t.Fatalf("PUT through the follower = %d %q, want the leader's 200 WRITE completed", code, body)
	}
	if code, body := httpDo(t, client, "GET", follower.url+"/get/test", ""); code != 404 || body != "\n" {
		t.Errorf("follower before its first round: GET /get/test = %d %q, want 404", code, body)
	}
	clock.tick(t)
	if code, body := httpDo(t, client, "GET", follower.url+"/get/test", ""); code != 200 || body != "test data\n" {
		t.Errorf("follower after a round: GET /get/test = %d %q, want 200 %q", code, body, "test data\n")
	}

	if err := follower.stop(); err != nil {
		t.Errorf("follower Run = %v, want nil after its context ended", err)
	}
	if err := leader.stop(); err != nil {
		t.Errorf("leader Run = %v, want nil after its context ended", err)
	}
	for _, want := range []string{
		"mehdb serving from mehdb-0:9876 using " + leaderDir + " as the data directory\n",
		"I am the leading shard, accepting both WRITES and READS\n",
		"Done writing key test\n",
		"Shutting down\n",
	} {
		if !strings.Contains(leader.logs.String(), want) {
			t.Errorf("leader logs lack %q:\n%s", want, leader.logs)
		}
	}
	for _, want := range []string{
		"I am a follower shard, accepting READS\n",
		"Namespace test-ns, leader at " + leader.url + "\n",
		"Redirecting WRITE to " + leader.url + "/set/test\n",
		"Synced key test from leader\n",
	} {
		if !strings.Contains(follower.logs.String(), want) {
			t.Errorf("follower logs lack %q:\n%s", want, follower.logs)
		}
	}

	again := startShard(t, LeaderName, leaderDir, Env{})
	if code, body := httpDo(t, client, "GET", again.url+"/get/test", ""); code != 200 || body != "test data\n" {
		t.Errorf("after a restart on the same data directory: GET /get/test = %d %q", code, body)
	}
	client.CloseIdleConnections()
	if err := again.stop(); err != nil {
		t.Error(err)
	}
}

func TestRunListenFails(t *testing.T) {
	env := Env{
		Getenv:   func(k string) string { return map[string]string{"MEHDB_DATADIR": t.TempDir()}[k] },
		Hostname: func() (string, error) { return LeaderName, nil },
		Log:      log.New(io.Discard, "", 0),
		Listen: func(string, string) (net.Listener, error) {
			return nil, errors.New("address already in use")
		},
	}
	err := Run(context.Background(), env)
	if err == nil || err.Error() != "listen on 0.0.0.0:9876: address already in use" {
		t.Fatalf("Run = %v, want the listen error", err)
	}
}

// TestMainExitsOnSIGTERM runs Main in a child process as a follower (its
// sync loop asleep) and checks that SIGTERM ends it with status 0.
func TestMainExitsOnSIGTERM(t *testing.T) {
	// Only a bound against a hang; nothing here measures time.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "MEHDB_TEST_RUN_MAIN=1", "MEHDB_PORT=0", "MEHDB_HOST=mehdb-1",
		"MEHDB_DATADIR="+t.TempDir(), "MEHDB_LOCAL=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var seen strings.Builder
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		seen.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "I am a follower shard") {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(stderr)
	seen.Write(rest)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("mehdb after SIGTERM: %v, want exit status 0; stderr:\n%s", err, seen.String())
	}
	if !strings.Contains(seen.String(), "Shutting down") {
		t.Errorf("stderr lacks the shutdown line:\n%s", seen.String())
	}
}
