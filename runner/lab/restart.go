package lab

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Restart is what RestartAPIServer measured.
type Restart struct {
	// Stopping is when the stop began; Stopped when the old process was
	// gone (clients' connections refused from then on).
	Stopping, Stopped time.Time
	// Started is when the new process was started; Answered when its
	// /readyz first answered 200.
	Started, Answered time.Time
}

// Down is how long the API server did not answer (from the stop to /readyz).
func (r Restart) Down() time.Duration { return r.Answered.Sub(r.Stopping) }

// RestartAPIServer stops the running lab's kube-apiserver (SIGTERM, SIGKILL
// after 5 s: it stops answering at once but sometimes lingers), keeps it
// stopped until down has passed since the stop began, starts it again with
// the same flags and waits until /readyz answers (≈ 3 s more). Everything else keeps running, as when
// a control plane node reboots: kubelets, controllers and watchers see
// their connections refused and must come back by themselves. It is for
// tests and demonstrations of what a tutor does while the API server is
// away.
func RestartAPIServer(ctx context.Context, o Options, down time.Duration) (Restart, error) {
	var r Restart
	o, err := o.complete()
	if err != nil {
		return r, err
	}
	if err := requireRoot(); err != nil {
		return r, err
	}
	l := layout{dir: o.StateDir}
	p := procs{l: l}
	rec, ok := readRecord(l)
	if _, running := p.running("kube-apiserver"); !ok || !running {
		return r, errors.New("the lab's kube-apiserver is not running here: start the lab with kubetutor lab up")
	}
	b := binaries{dir: rec.BinDir}
	rep := reporter{out: o.Out}
	r.Stopping = time.Now()
	if err := rep.step("kube-apiserver stopped", func() error { return p.stop(ctx, "kube-apiserver", 5*time.Second) }); err != nil {
		return r, err
	}
	r.Stopped = time.Now()
	// It stops answering at SIGTERM, though the process may linger.
	if rest := down - r.Stopped.Sub(r.Stopping); rest > 0 {
		if err := rep.step(fmt.Sprintf("kept stopped (%s since the stop began)", down), func() error {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(rest):
				return nil
			}
		}); err != nil {
			// Never leave the lab without its API server.
			_ = startAPIServer(context.WithoutCancel(ctx), p, b)
			return r, err
		}
	}
	r.Started = time.Now()
	if err := rep.step("kube-apiserver started and answering", func() error { return startAPIServer(ctx, p, b) }); err != nil {
		return r, err
	}
	r.Answered = time.Now()
	rep.printf("The API server did not answer for %s (%s → %s).\n", r.Down().Round(100*time.Millisecond),
		r.Stopping.Format("15:04:05.0"), r.Answered.Format("15:04:05.0"))
	return r, nil
}
