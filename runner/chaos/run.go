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

// run starts `kubetutor run LESSON --auto -o json --progress` and kills it
// as kill says (nil: it must finish). Its progress (stderr) says which
// step runs.
func (h *Harness) run(ctx context.Context, r *Round, kill *Kill, nodes *nodeWatch, marked []string) error {
	r.Log = h.logFile(r, "log")
	cmd := exec.Command(h.cfg.Bin, "--kubeconfig", h.cfg.Kubeconfig, "-n", h.cfg.Namespace,
		"run", h.cfg.Lesson.ID, "--auto", "--lang", h.cfg.Lang, "--output", "json", "--progress")
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+h.cfg.StateDir)
	rc := newReach()
	said := h.cfg.Texts.runUncordoned(marked, h.mark())
	var (
		mu         sync.Mutex
		lines      []string
		uncordoned bool
		stdout     bytes.Buffer
	)
	cmd.Stdout = &stdout
	cmd.Stderr = &lineWriter{line: func(l string) {
		mu.Lock()
		lines = append(lines, l)
		if len(marked) > 0 && strings.Contains(l, said) {
			uncordoned = true
		}
		mu.Unlock()
		if i := h.cfg.Texts.RunStep(l); i >= 0 {
			rc.running(i)
		}
	}}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", h.cfg.Bin, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		writeLog(r.Log, strings.Join(lines, "\n")+"\n")
		_, r.Resumed = rc.now()
		if uncordoned {
			r.Uncordoned = marked
		}
	}()

	kl := h.newKiller(kill, rc, nodes)
	defer kl.stop()
	trigger := ""
wait:
	for {
		select {
		case err := <-done:
			r.Took = time.Since(start)
			return h.runFinished(r, err, stdout.Bytes())
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
			_ = cmd.Process.Kill()
			<-done
			return fmt.Errorf("did not finish within %s", h.cfg.StartTimeout)
		}
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
	r.Step, _ = rc.now()
	r.From = "output"
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
