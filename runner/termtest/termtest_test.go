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
