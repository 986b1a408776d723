// Package progress stores how far a learner got in a lesson, per lesson,
// kube context and namespace, under the XDG state directory. Writes are
// atomic (temp file + rename) and a lock file keeps two kubetutor instances
// from clobbering each other's progress.
package progress

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Status of a step in stored progress.
type Status string

// Stored statuses. Only finished outcomes are stored; "running" is not a
// state that survives the process.
const (
	Passed      Status = "passed"
	Failed      Status = "failed"
	Skipped     Status = "skipped"
	Unavailable Status = "unavailable"
)

// StepRecord is what is kept of one step.
type StepRecord struct {
	// Status is the step's last outcome.
	Status Status `json:"status"`
	// At is when the outcome was recorded.
	At time.Time `json:"at"`
	// DurationMS is how long the step took (action + checks).
	DurationMS int64 `json:"duration_ms"`
	// Message is the failure diagnosis or the unavailability reason.
	Message string `json:"message,omitempty"`
}

// State is the stored progress of one lesson in one context and namespace.
type State struct {
	Lesson    string                `json:"lesson"`
	Context   string                `json:"context"`
	Namespace string                `json:"namespace"`
	Lang      string                `json:"lang,omitempty"`
	Updated   time.Time             `json:"updated"`
	Steps     map[string]StepRecord `json:"steps"`
	// Epoch is when the learner last reset or started over: the cluster's
	// history from before it does not count as progress (runner/evidence).
	Epoch time.Time `json:"epoch,omitzero"`
}

// Key identifies one progress file.
type Key struct {
	Lesson, Context, Namespace string
}

// Dir returns the directory progress is stored in:
// $XDG_STATE_HOME/kubetutor/progress, else ~/.local/state/kubetutor/progress.
func Dir(getenv func(string) string) (string, error) {
	if d := getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "kubetutor", "progress"), nil
	}
	home := getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find the home directory for progress files (set XDG_STATE_HOME): %w", err)
		}
		home = h
	}
	return filepath.Join(home, ".local", "state", "kubetutor", "progress"), nil
}

// Store reads and writes progress files below a directory.
type Store struct {
	dir string
}

// NewStore returns a store rooted at dir.
func NewStore(dir string) *Store { return &Store{dir: dir} }

// Path is the file of a key: <dir>/<lesson>/<context>/<namespace>.json.
func (s *Store) Path(k Key) string {
	ctx := k.Context
	if ctx == "" {
		ctx = "_default"
	}
	ns := k.Namespace
	if ns == "" {
		ns = "default"
	}
	return filepath.Join(s.dir, safe(k.Lesson), safe(ctx), safe(ns)+".json")
}

// safe turns a context or namespace name into one path element.
func safe(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.' && b.Len() > 0:
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, "%%%02X", r)
		}
	}
	return b.String()
}

// Load reads the progress of k; a missing file is an empty State.
func (s *Store) Load(k Key) (State, error) {
	st := State{Lesson: k.Lesson, Context: k.Context, Namespace: k.Namespace, Steps: map[string]StepRecord{}}
	raw, err := os.ReadFile(s.Path(k))
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read progress: %w", err)
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return st, fmt.Errorf("progress file %s is damaged (%v): delete it to start over", s.Path(k), err)
	}
	if st.Steps == nil {
		st.Steps = map[string]StepRecord{}
	}
	return st, nil
}

// Save writes st atomically: a temp file in the same directory, fsync,
// then rename over the old file.
func (s *Store) Save(k Key, st State) error {
	p := s.Path(k)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("create progress directory: %w", err)
	}
	st.Lesson, st.Context, st.Namespace = k.Lesson, k.Context, k.Namespace
	raw, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".progress-*.tmp")
	if err != nil {
		return fmt.Errorf("save progress: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(append(raw, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("save progress: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save progress: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save progress: %w", err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("save progress: %w", err)
	}
	return nil
}

// ErrLocked is returned by Lock when another process holds the lock.
var ErrLocked = errors.New("progress is locked by another kubetutor")

// LockError says which process holds the lock.
type LockError struct {
	Path string
	PID  int
}

func (e *LockError) Error() string {
	return fmt.Sprintf("%v (pid %d, lock %s): close the other kubetutor, or use another namespace with -n", ErrLocked, e.PID, e.Path)
}

// Unwrap makes errors.Is(err, ErrLocked) work.
func (e *LockError) Unwrap() error { return ErrLocked }

// Lock takes an exclusive, non-blocking lock on k's progress for as long as
// the returned file stays open (the kernel drops it when the process dies,
// so a crash never leaves a stale lock). Close the file to unlock.
func (s *Store) Lock(k Key) (*os.File, error) {
	p := s.Path(k) + ".lock"
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, fmt.Errorf("create progress directory: %w", err)
	}
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open progress lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		raw, _ := os.ReadFile(p)
		pid, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
		f.Close()
		return nil, &LockError{Path: p, PID: pid}
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return f, nil
}

// FirstUnfinished returns the index of the first step in ids that has not
// passed (skipped and unavailable steps count as finished), or len(ids).
func (st State) FirstUnfinished(ids []string) int {
	for i, id := range ids {
		switch st.Steps[id].Status {
		case Passed, Skipped, Unavailable:
		default:
			return i
		}
	}
	return len(ids)
}
