package chaos

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kubetutor/kubetutor/runner/termtest"
)

// The TUI runs at this size: wide enough that the step panel's lines are
// not cut short.
const tuiWidth, tuiHeight = 200, 50

// armWait is how long the driver waits for a hands-on step to show that
// it is armed before it presses Enter anyway.
const armWait = 5 * time.Second

// keyPause is how long the driver waits for a key's effect before it
// presses the key again.
const keyPause = 3 * time.Second

// tuiSeen is what the driver saw on the TUI's screen so far.
type tuiSeen struct {
	mu         sync.Mutex
	screen     string // the latest capture
	resumed    int
	prompted   bool
	uncordoned bool
}

// tui opens the lesson in the TUI under tmux, drives it with keys as a
// learner would (y at the resume prompt, Enter on each step), and kills it
// as kill says (nil: it must finish, then q quits it).
func (h *Harness) tui(ctx context.Context, r *Round, kill *Kill, nodes *nodeWatch, marked []string) error {
	r.Log = h.logFile(r, "screen")
	name := fmt.Sprintf("chaos%d-%d", os.Getpid(), r.N)
	pidFile := h.logFile(r, "pid")
	// The shell writes its PID, then becomes kubetutor: that PID is the
	// process to kill. termtest keeps the pane after it ends.
	command := fmt.Sprintf("sh -c 'echo $$ > %s && exec %s --lang %s -n %s open %s'",
		pidFile, h.cfg.Bin, h.cfg.Lang, h.cfg.Namespace, h.cfg.Lesson.ID)
	if err := os.Remove(pidFile); err != nil && !os.IsNotExist(err) {
		return err // a stale PID would name another process
	}
	env := []string{"KUBECONFIG=" + h.cfg.Kubeconfig, "XDG_STATE_HOME=" + h.cfg.StateDir, "TERM=xterm-256color", "LANG=C.UTF-8"}
	s, err := termtest.Start(ctx, name, tuiWidth, tuiHeight, env, command)
	if err != nil {
		return err
	}
	defer s.Close()
	start := time.Now()
	pid, err := waitPID(ctx, pidFile)
	if err != nil {
		return err
	}
	seen := &tuiSeen{resumed: -1}
	rc := newReach()
	defer func() {
		seen.mu.Lock()
		defer seen.mu.Unlock()
		writeLog(r.Log, seen.screen)
		r.Resumed, r.Prompted = seen.resumed, seen.prompted
		if seen.uncordoned {
			r.Uncordoned = marked
		}
	}()
	dctx, stop := context.WithCancel(ctx)
	defer stop()
	finished := make(chan error, 1)
	go func() { finished <- h.driveTUI(dctx, s, seen, rc, marked) }()

	kl := h.newKiller(kill, rc, nodes)
	defer kl.stop()
	trigger := ""
wait:
	for {
		select {
		case err := <-finished:
			r.Took = time.Since(start)
			if ctx.Err() != nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
				return fmt.Errorf("did not finish within %s", h.cfg.StartTimeout)
			}
			if err != nil {
				return err
			}
			return h.quitTUI(ctx, s, r)
		case <-kl.reached:
			kl.arm()
		case <-kl.last:
			kl.lastStep()
		case <-kl.timerC():
			trigger = kl.moment()
			break wait
		case <-kl.drain:
			trigger = triggerDrain
			break wait
		case <-kl.passed:
			trigger = triggerPassed
			break wait
		case <-ctx.Done():
			_ = syscall.Kill(pid, syscall.SIGKILL)
			return fmt.Errorf("did not finish within %s", h.cfg.StartTimeout)
		}
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill %d: %w", pid, err)
	}
	r.At = time.Since(start)
	stop()
	<-finished
	r.Killed, r.Trigger = true, trigger
	// The pane keeps the TUI's last frame; the shell adds its exit line.
	screen, err := s.WaitFor(ctx, 30*time.Second, "[exited] 137")
	if err != nil {
		return fmt.Errorf("after SIGKILL: %w", err)
	}
	seen.mu.Lock()
	seen.screen = screen
	seen.mu.Unlock()
	r.Step, _ = rc.now()
	r.From = "screen"
	if sc := h.cfg.Texts.Read(screen); sc.Step >= 0 {
		r.Step = sc.Step
	}
	return nil
}

// quitTUI quits the TUI from its summary with q and waits for it to end.
func (h *Harness) quitTUI(ctx context.Context, s *termtest.Session, r *Round) error {
	r.Finished = true
	if err := s.Send(ctx, "q"); err != nil {
		return err
	}
	if _, err := s.WaitFor(ctx, time.Minute, "[exited] 0"); err != nil {
		return fmt.Errorf("q on the summary: %w", err)
	}
	return nil
}

// driveTUI reads the screen every 200 ms (tmux tells nothing of changes)
// and answers it: y at the resume prompt, Enter on a step that waits for
// it. It returns nil at the summary, an error when a step fails, and
// ctx's error when ctx ends.
func (h *Harness) driveTUI(ctx context.Context, s *termtest.Session, seen *tuiSeen, rc *reach, marked []string) error {
	tx := h.cfg.Texts
	said := tx.tuiUncordoned(marked)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var lastKey string
	var lastAt, idleAt time.Time
	idleStep := -1
	press := func(key, why string) error {
		if why == lastKey && time.Since(lastAt) < keyPause {
			return nil
		}
		lastKey, lastAt = why, time.Now()
		return s.Send(ctx, key)
	}
	for {
		screen, err := s.Screen(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			return fmt.Errorf("read the screen: %w", err)
		}
		sc := tx.Read(screen)
		seen.mu.Lock()
		seen.screen = screen
		opening := seen.resumed < 0 && (sc.Resume >= 0 || sc.Idle)
		if opening {
			// The notice stays until a key is pressed: read it now.
			seen.resumed, seen.prompted = sc.Resume, sc.Resume >= 0
			if !seen.prompted {
				seen.resumed = sc.Step
			}
			seen.uncordoned = len(marked) > 0 && strings.Contains(screen, said)
		}
		seen.mu.Unlock()
		if sc.Step >= 0 && !sc.Idle && !sc.Failed && sc.Resume < 0 {
			rc.running(sc.Step)
		}
		switch {
		case sc.Summary:
			return nil
		case sc.Resume >= 0:
			err = press("y", "y")
		case sc.Failed:
			return fmt.Errorf("step %d failed:\n%s", sc.Step+1, screen)
		case sc.Idle:
			if idleStep != sc.Step {
				idleStep, idleAt = sc.Step, time.Now()
			}
			// Enter once the hands-on panel shows the step armed, as a
			// learner reads it first: Enter while it still arms hits a
			// TUI race (the step fails "cannot record the state … before
			// the action: context canceled"). A panel that never shows
			// it gets Enter after armWait.
			if sc.Armed || time.Since(idleAt) > armWait {
				err = press("Enter", "Enter "+strconv.Itoa(sc.Step))
			}
		default:
			idleStep = -1
		}
		if err != nil {
			return fmt.Errorf("send keys: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// waitPID reads the PID the TUI's shell wrote before it became kubetutor.
func waitPID(ctx context.Context, path string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		raw, err := os.ReadFile(path)
		if err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(raw))); err == nil && pid > 0 {
				return pid, nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("the TUI's shell wrote no PID to %s", path)
		case <-tick.C:
		}
	}
}
