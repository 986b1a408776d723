package mehdb

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// shutdownTimeout bounds how long Run waits for requests in flight after
// its context ends; the kubelet's grace period (30 s by default) is longer.
const shutdownTimeout = 5 * time.Second

// Env is what Run takes from its process, and the seams tests replace. A
// nil or zero field means the real thing.
type Env struct {
	// Getenv reads MEHDB_* (os.Getenv).
	Getenv func(string) string
	// Hostname is the host identity before MEHDB_HOST (os.Hostname).
	Hostname func() (string, error)
	// Getwd is the base of the default data directory (os.Getwd).
	Getwd func() (string, error)
	// Log receives the log lines (standard logger format on stderr).
	Log *log.Logger
	// Listen opens the server's listener (net.Listen).
	Listen func(network, address string) (net.Listener, error)
	// Client makes a follower's requests to the leader (a client with a
	// DefaultSyncTimeout timeout).
	Client *http.Client
	// SyncInterval is the sleep before each sync round (DefaultSyncInterval).
	SyncInterval time.Duration
	// After waits for a sync round (time.After).
	After func(time.Duration) <-chan time.Time
	// LeaderURL replaces the leader's address from the configuration.
	LeaderURL string
}

func (e Env) withDefaults() Env {
	if e.Getenv == nil {
		e.Getenv = os.Getenv
	}
	if e.Hostname == nil {
		e.Hostname = os.Hostname
	}
	if e.Getwd == nil {
		e.Getwd = os.Getwd
	}
	if e.Log == nil {
		e.Log = log.New(os.Stderr, "", log.LstdFlags)
	}
	if e.Listen == nil {
		e.Listen = net.Listen
	}
	if e.Client == nil {
		e.Client = &http.Client{Timeout: DefaultSyncTimeout}
	}
	if e.SyncInterval <= 0 {
		e.SyncInterval = DefaultSyncInterval
	}
	if e.After == nil {
		e.After = time.After
	}
	return e
}

// Run serves one shard until ctx ends, then stops the sync loop, lets
// requests in flight finish (at most 5 s) and returns nil. It returns an
// error when the listener cannot be opened or the server fails.
func Run(ctx context.Context, env Env) error {
	env = env.withDefaults()
	lg := env.Log
	cfg, warnings := ConfigFromEnv(env.Getenv, env.Hostname, env.Getwd)
	for _, w := range warnings {
		lg.Print(w)
	}
	if env.LeaderURL != "" {
		cfg.LeaderURL = env.LeaderURL
	}
	// One level only, as upstream; a failure shows up in every request.
	if _, err := os.Stat(cfg.DataDir); errors.Is(err, os.ErrNotExist) {
		if err := os.Mkdir(cfg.DataDir, 0o777); err != nil {
			lg.Printf("Can't create the data directory due to %v", err)
		}
	}
	addr := net.JoinHostPort("0.0.0.0", cfg.Port)
	ln, err := env.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	lg.Printf("mehdb serving from %s:%s using %s as the data directory", cfg.Identity, cfg.Port, cfg.DataDir)
	srv := &http.Server{
		Handler:           NewServer(cfg, lg),
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          lg,
	}
	syncCtx, stopSync := context.WithCancel(ctx)
	defer stopSync()
	var wg sync.WaitGroup
	if cfg.Leader() {
		lg.Print("I am the leading shard, accepting both WRITES and READS")
	} else {
		lg.Print("I am a follower shard, accepting READS")
		lg.Printf("Namespace %s, leader at %s", cfg.Namespace, cfg.LeaderURL)
		s := &syncer{
			store: store{dir: cfg.DataDir}, leader: cfg.LeaderURL, client: env.Client,
			interval: env.SyncInterval, after: env.After, log: lg,
		}
		wg.Go(func() { s.run(syncCtx) })
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		stopSync()
		wg.Wait()
		return fmt.Errorf("serve on %s: %w", addr, err)
	case <-ctx.Done():
	}
	lg.Print("Shutting down")
	stopSync()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	<-served // http.ErrServerClosed
	wg.Wait()
	if err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}

// Main runs mehdb in this process until SIGTERM or SIGINT and exits 1 with
// a log line if it fails.
func Main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	lg := log.New(os.Stderr, "", log.LstdFlags)
	err := Run(ctx, Env{Log: lg})
	stop()
	if err != nil {
		lg.Print(err)
		os.Exit(1)
	}
}
