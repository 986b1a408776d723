package lab

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
)

// run executes a command and, when it fails, returns an error carrying the
// tail of its output.
func run(ctx context.Context, name string, args []string, env ...string) error {
	_, err := output(ctx, name, args, env...)
	return err
}

// output executes a command and returns its standard output.
func output(ctx context.Context, name string, args []string, env ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := stderr.Bytes()
		if len(msg) == 0 {
			msg = stdout.Bytes()
		}
		if len(msg) > 2000 {
			msg = msg[len(msg)-2000:]
		}
		return stdout.String(), fmt.Errorf("%s %v: %w\n%s", name, args, err, bytes.TrimSpace(msg))
	}
	return stdout.String(), nil
}

// runIn is run with a working directory.
func runIn(ctx context.Context, dir, name string, args []string, env ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if len(out) > 3000 {
			out = out[len(out)-3000:]
		}
		return fmt.Errorf("%s %v in %s: %w\n%s", name, args, dir, err, bytes.TrimSpace(out))
	}
	return nil
}
