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

// Session is one detached tmux session running a command, or one more
// window of it (Window).
type Session struct {
	name   string
	socket string
	// target is what tmux commands address: the session, or session:window.
	target string
}

// Start runs command (a shell command line) in a new detached tmux session
// of width x height, on a private tmux server socket so tests never touch a
// user's tmux. env entries are KEY=VALUE.
func Start(ctx context.Context, name string, width, height int, env []string, command string) (*Session, error) {
	if _, err := exec.LookPath("tmux"); err != nil {
		return nil, fmt.Errorf("tmux is not installed (apt-get install tmux): %w", err)
	}
	s := &Session{name: name, socket: "kubetutor-test-" + name, target: name}
	args := []string{"new-session", "-d", "-s", name, "-x", strconv.Itoa(width), "-y", strconv.Itoa(height)}
	for _, e := range env {
		args = append(args, "-e", e)
	}
	// Keep the pane after the program exits, so its last screen can be read.
	args = append(args, command+"; echo '[exited]' $?; sleep 3600")
	// Programs may set tmux's paste buffer with OSC 52 (a TUI's copy key);
	// Clipboard reads it. The option is set in the same command list as the
	// session, before the server reads anything the program prints.
	args = append(args, ";", "set-option", "-s", "set-clipboard", "on")
	if out, err := s.tmux(ctx, args...); err != nil {
		return nil, fmt.Errorf("start tmux: %v: %s", err, out)
	}
	return s, nil
}

// Window runs command in a new window of the session (a second terminal
// beside the program under test, e.g. a shell to type commands in) and
// returns it; Send, Screen and WaitFor then address that window. Closing
// the session closes it.
func (s *Session) Window(ctx context.Context, name string, env []string, command string) (*Session, error) {
	args := []string{"new-window", "-d", "-t", s.name, "-n", name}
	for _, e := range env {
		args = append(args, "-e", e)
	}
	args = append(args, command+"; echo '[exited]' $?; sleep 3600")
	if out, err := s.tmux(ctx, args...); err != nil {
		return nil, fmt.Errorf("new tmux window: %v: %s", err, out)
	}
	return &Session{name: s.name, socket: s.socket, target: s.name + ":" + name}, nil
}

// Clipboard returns tmux's latest paste buffer: what a program running in
// the session last copied with OSC 52.
func (s *Session) Clipboard(ctx context.Context) (string, error) {
	out, err := s.tmux(ctx, "show-buffer")
	if err != nil {
		return "", fmt.Errorf("tmux show-buffer: %v: %s", err, out)
	}
	return out, nil
}

func (s *Session) tmux(ctx context.Context, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, "tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	return string(out), err
}

// Send types keys: tmux key names ("Enter", "C-c", "Down") or literal text.
func (s *Session) Send(ctx context.Context, keys ...string) error {
	_, err := s.tmux(ctx, append([]string{"send-keys", "-t", s.target}, keys...)...)
	return err
}

// Type types text literally (no key names), then Enter.
func (s *Session) Type(ctx context.Context, text string) error {
	if _, err := s.tmux(ctx, "send-keys", "-t", s.target, "-l", text); err != nil {
		return err
	}
	return s.Send(ctx, "Enter")
}

// Screen returns the visible screen as text.
func (s *Session) Screen(ctx context.Context) (string, error) {
	return s.tmux(ctx, "capture-pane", "-p", "-t", s.target)
}

// WaitFor waits until every one of texts is on the screen, or the timeout
// ends; then it returns the last screen and an error naming what was
// missing.
func (s *Session) WaitFor(ctx context.Context, timeout time.Duration, texts ...string) (string, error) {
	missing := ""
	screen, err := s.WaitUntil(ctx, timeout, func(screen string) bool {
		missing = ""
		for _, t := range texts {
			if !strings.Contains(screen, t) {
				missing = t
				return false
			}
		}
		return true
	})
	if err != nil && missing != "" {
		return screen, fmt.Errorf("%q did not appear within %v; last screen:\n%s", missing, timeout, screen)
	}
	return screen, err
}

// WaitUntil waits until ok accepts the screen, or the timeout ends; then it
// returns the last screen and an error. tmux offers no change notification
// for a pane, so this re-reads the screen every 200 ms — in the test
// harness only.
func (s *Session) WaitUntil(ctx context.Context, timeout time.Duration, ok func(screen string) bool) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		screen, err := s.Screen(context.WithoutCancel(ctx))
		if err != nil {
			return screen, err
		}
		if ok(screen) {
			return screen, nil
		}
		select {
		case <-ctx.Done():
			return screen, fmt.Errorf("the screen did not change as expected within %v; last screen:\n%s", timeout, screen)
		case <-tick.C:
		}
	}
}

// Close kills the session and its private tmux server.
func (s *Session) Close() error {
	_, err := s.tmux(context.Background(), "kill-server")
	return err
}
