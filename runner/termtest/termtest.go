// Package termtest drives a real program in a real terminal (tmux) for
// end-to-end tests: start it at a fixed size, send keys, wait until text
// appears on the screen, capture the screen. It is what a person sees,
// without escape codes.
package termtest

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Session is one detached tmux session running a command.
type Session struct {
	name   string
	socket string
}

// Start runs command (a shell command line) in a new detached tmux session
// of width x height, on a private tmux server socket so tests never touch a
// user's tmux. env entries are KEY=VALUE.
func Start(ctx context.Context, name string, width, height int, env []string, command string) (*Session, error) {
	if _, err := exec.LookPath("tmux"); err != nil {
		return nil, fmt.Errorf("tmux is not installed (apt-get install tmux): %w", err)
	}
	s := &Session{name: name, socket: "kubetutor-test-" + name}
	args := []string{"new-session", "-d", "-s", name, "-x", strconv.Itoa(width), "-y", strconv.Itoa(height)}
	for _, e := range env {
		args = append(args, "-e", e)
	}
	// Keep the pane after the program exits, so its last screen can be read.
	args = append(args, command+"; echo '[exited]' $?; sleep 3600")
	if out, err := s.tmux(ctx, args...); err != nil {
		return nil, fmt.Errorf("start tmux: %v: %s", err, out)
	}
	return s, nil
}

func (s *Session) tmux(ctx context.Context, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, "tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	return string(out), err
}

// Send types keys: tmux key names ("Enter", "C-c", "Down") or literal text.
func (s *Session) Send(ctx context.Context, keys ...string) error {
	_, err := s.tmux(ctx, append([]string{"send-keys", "-t", s.name}, keys...)...)
	return err
}

// Screen returns the visible screen as text.
func (s *Session) Screen(ctx context.Context) (string, error) {
	return s.tmux(ctx, "capture-pane", "-p", "-t", s.name)
}

// WaitFor waits until every one of texts is on the screen, or the context
// ends; then it returns the last screen and an error naming what was
// missing. tmux offers no change notification for a pane, so this re-reads
// the screen every 200 ms — in the test harness only.
func (s *Session) WaitFor(ctx context.Context, timeout time.Duration, texts ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var screen string
	for {
		var err error
		screen, err = s.Screen(context.WithoutCancel(ctx))
		if err != nil {
			return screen, err
		}
		missing := ""
		for _, t := range texts {
			if !strings.Contains(screen, t) {
				missing = t
				break
			}
		}
		if missing == "" {
			return screen, nil
		}
		select {
		case <-ctx.Done():
			return screen, fmt.Errorf("%q did not appear within %v; last screen:\n%s", missing, timeout, screen)
		case <-tick.C:
		}
	}
}

// Close kills the session and its private tmux server.
func (s *Session) Close() error {
	_, err := s.tmux(context.Background(), "kill-server")
	return err
}
