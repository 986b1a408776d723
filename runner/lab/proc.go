package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A pidRecord identifies a process the lab started. The start time (field 22
// of /proc/PID/stat) guards against a recycled PID: Down never signals a
// process that merely reuses the number.
type pidRecord struct {
	PID       int
	StartTime uint64
}

func (r pidRecord) String() string { return fmt.Sprintf("%d %d\n", r.PID, r.StartTime) }

// parsePIDRecord reads what pidRecord.String wrote.
func parsePIDRecord(s string) (pidRecord, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return pidRecord{}, fmt.Errorf("malformed pid file %q", s)
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil || pid <= 0 {
		return pidRecord{}, fmt.Errorf("malformed pid %q", f[0])
	}
	st, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return pidRecord{}, fmt.Errorf("malformed start time %q", f[1])
	}
	return pidRecord{PID: pid, StartTime: st}, nil
}

// procStat returns the state letter and start time of pid from /proc.
func procStat(pid int) (state byte, start uint64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	return parseStat(string(b))
}

// parseStat parses /proc/PID/stat; the command name may hold spaces and
// parentheses, so fields are counted from the last ')'.
func parseStat(s string) (state byte, start uint64, err error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, errors.New("malformed stat")
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); start time is field 22.
	if len(f) < 20 {
		return 0, 0, errors.New("short stat")
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	return f[0][0], start, err
}

// alive reports whether r still names the same running process.
func (r pidRecord) alive() bool {
	state, start, err := procStat(r.PID)
	return err == nil && start == r.StartTime && state != 'Z' && state != 'X'
}

// procs starts and stops the lab's processes, one PID file per name.
type procs struct {
	l layout
}

func (p procs) pidFile(name string) string { return filepath.Join(p.l.pids(), name+".pid") }

// running returns the record of name when its process is alive.
func (p procs) running(name string) (pidRecord, bool) {
	b, err := os.ReadFile(p.pidFile(name))
	if err != nil {
		return pidRecord{}, false
	}
	r, err := parsePIDRecord(string(b))
	if err != nil || !r.alive() {
		return pidRecord{}, false
	}
	return r, true
}

// names lists every name with a PID file.
func (p procs) names() []string {
	ents, _ := os.ReadDir(p.l.pids())
	var out []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".pid"); ok {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// start runs bin with args in its own session (so it outlives the shell that
// ran `lab up`), output appended to logs/<name>.log, and records its PID.
// It does nothing when name is already running.
func (p procs) start(name, bin string, args []string, env []string) (bool, error) {
	if _, ok := p.running(name); ok {
		return false, nil
	}
	for _, d := range []string{p.l.logs(), p.l.pids()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return false, err
		}
	}
	logPath := filepath.Join(p.l.logs(), name+".log")
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return false, err
	}
	defer log.Close()
	fmt.Fprintf(log, "\n=== %s %s %s\n", time.Now().Format(time.RFC3339), bin, strings.Join(args, " "))
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = p.l.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return false, fmt.Errorf("start %s: %w", name, err)
	}
	pid := cmd.Process.Pid
	// Reap it if it dies while we still run, so it never lingers as a zombie.
	go cmd.Wait()
	var rec pidRecord
	for i := 0; i < 50; i++ {
		if _, st, err := procStat(pid); err == nil {
			rec = pidRecord{PID: pid, StartTime: st}
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if rec.PID == 0 {
		return false, fmt.Errorf("%s exited at once: see %s", name, logPath)
	}
	if err := os.WriteFile(p.pidFile(name), []byte(rec.String()), 0o644); err != nil {
		return false, err
	}
	return true, nil
}

// stop sends SIGTERM to name's process, waits up to grace, then SIGKILLs it
// (kube-apiserver sometimes ignores SIGTERM). The PID file is removed.
func (p procs) stop(ctx context.Context, name string, grace time.Duration) error {
	defer os.Remove(p.pidFile(name))
	r, ok := p.running(name)
	if !ok {
		return nil
	}
	return stopPID(ctx, r, grace)
}

// stopPID stops one recorded process: SIGTERM, then SIGKILL after grace.
func stopPID(ctx context.Context, r pidRecord, grace time.Duration) error {
	_ = syscall.Kill(r.PID, syscall.SIGTERM)
	if waitGone(ctx, r, grace) {
		return nil
	}
	_ = syscall.Kill(r.PID, syscall.SIGKILL)
	if waitGone(ctx, r, 10*time.Second) {
		return nil
	}
	return fmt.Errorf("process %d survived SIGKILL", r.PID)
}

func waitGone(ctx context.Context, r pidRecord, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if !r.alive() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return !r.alive()
}
