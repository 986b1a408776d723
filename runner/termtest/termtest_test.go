package termtest

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestSession(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatalf("tmux is required for the terminal tests: %v", err)
	}
	ctx := context.Background()
	s, err := Start(ctx, "selftest", 40, 10, []string{"GREETING=こんにちは"}, `read -r line; echo "got:$line $GREETING"`)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Send(ctx, "hello", "Enter"); err != nil {
		t.Fatal(err)
	}
	screen, err := s.WaitFor(ctx, 10*time.Second, "got:hello こんにちは", "[exited] 0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(screen, "hello") {
		t.Errorf("screen: %q", screen)
	}
	if _, err := s.WaitFor(ctx, 300*time.Millisecond, "never shown"); err == nil || !strings.Contains(err.Error(), "last screen") {
		t.Errorf("a timeout must show the last screen, got %v", err)
	}
}

// TestWindowAndClipboard: a second window types in its own shell, and
// what a program copies with OSC 52 lands in tmux's buffer.
func TestWindowAndClipboard(t *testing.T) {
	ctx := context.Background()
	s, err := Start(ctx, "winselftest", 60, 10, nil, `printf '\033]52;c;%s\a' "$(printf 'kubectl get pods' | base64)"; read -r x`)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	w, err := s.Window(ctx, "shell", []string{"PS1=$ "}, "sh")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Type(ctx, "echo typed-$((40+2))"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.WaitFor(ctx, 10*time.Second, "typed-42"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		clip, err := s.Clipboard(ctx)
		if err == nil && clip == "kubectl get pods" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("clipboard %q, %v", clip, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if screen, _ := s.Screen(ctx); strings.Contains(screen, "typed-42") {
		t.Error("the window typed into the first one")
	}
}
