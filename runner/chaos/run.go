package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// runSeen is what run's progress output (stderr) showed so far.
type runSeen struct {
	mu         sync.Mutex
	lines      []string
	first      int // first step started (-1: none yet)
	current    int // step running now (-1: none yet)
	uncordoned bool
	last       chan struct{} // closed when the last step starts
	lastClosed bool
}

// run starts `kubetutor run LESSON --auto -o json --progress` and kills it
// as kill says (nil: it must finish).
func (h *Harness) run(ctx context.Context, r *Round, kill *Kill, owed map[Mode]int, nodes *nodeWatch, marked []string) error {
	r.Log = h.logFile(r, "log")
	cmd := exec.Command(h.cfg.Bin, "--kubeconfig", h.cfg.Kubeconfig, "-n", h.cfg.Namespace,
		"run", h.cfg.Lesson.ID, "--auto", "--lang", h.cfg.Lang, "--output", "json", "--progress")
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+h.cfg.StateDir)
	seen := &runSeen{first: -1, current: -1, last: make(chan struct{})}
	said := h.cfg.Texts.runUncordoned(marked, h.mark())
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &lineWriter{line: func(l string) {
		seen.mu.Lock()
		defer seen.mu.Unlock()
		seen.lines = append(seen.lines, l)
		if len(marked) > 0 && strings.Contains(l, said) {
			seen.uncordoned = true
		}
		if i := h.cfg.Texts.RunStep(l); i >= 0 {
			seen.current = i
			if seen.first < 0 {
				seen.first = i
			}
			if i == len(h.steps)-1 && !seen.lastClosed {
				seen.lastClosed = true
				close(seen.last)
			}
		}
	}}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", h.cfg.Bin, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		seen.mu.Lock()
		writeLog(r.Log, strings.Join(seen.lines, "\n")+"\n")
		r.Resumed = seen.first
		if seen.uncordoned {
			r.Uncordoned = marked
		}
		seen.mu.Unlock()
	}()

	var timer <-chan time.Time
	var last <-chan struct{}
	if kill != nil {
		last = seen.last
		if kill.After > 0 {
			t := time.NewTimer(kill.After)
			defer t.Stop()
			timer = t.C
		}
	}
	var drain <-chan time.Time
	if kill != nil && owed[Run] > 0 {
		drain = nodes.Began()
	}
	trigger := ""
	select {
	case err := <-done:
		r.Took = time.Since(start)
		return h.runFinished(r, err, stdout.Bytes())
	case <-timer:
		trigger = triggerRandom
	case <-drain:
		trigger = triggerDrain
		owed[Run]--
	case <-last:
		trigger = triggerLast
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		<-done
		return fmt.Errorf("did not finish within %s", h.cfg.StartTimeout)
	}
	// SIGKILL: no handler runs, nothing is cleaned up or uncordoned.
	if err := cmd.Process.Kill(); err != nil {
		return fmt.Errorf("kill: %w", err)
	}
	r.At = time.Since(start)
	err := <-done
	var exit *exec.ExitError
	if err == nil || !errors.As(err, &exit) || exit.ExitCode() != -1 {
		// It ended on its own between the trigger and the kill.
		r.Took = time.Since(start)
		return h.runFinished(r, err, stdout.Bytes())
	}
	r.Killed, r.Trigger = true, trigger
	seen.mu.Lock()
	r.Step, r.From = seen.current, "output"
	seen.mu.Unlock()
	return nil
}

// runFinished judges a run that ended by itself: exit 0 and a JSON report
// that passed.
func (h *Harness) runFinished(r *Round, err error, stdout []byte) error {
	var rep struct {
		Passed *bool `json:"passed"`
	}
	if jerr := json.Unmarshal(stdout, &rep); jerr != nil || rep.Passed == nil {
		return fmt.Errorf("ended (%v) without a JSON report: %s", err, stdout)
	}
	if err != nil || !*rep.Passed {
		return fmt.Errorf("the lesson failed (exit: %v, passed: %v)", err, *rep.Passed)
	}
	r.Finished = true
	return nil
}

// lineWriter calls line for every complete line written.
type lineWriter struct {
	mu   sync.Mutex
	buf  []byte
	line func(string)
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		w.line(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}
