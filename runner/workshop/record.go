package workshop

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/kubetutor/kubetutor/runner/evidence"
)

// LearnerRecord is what the instructor's side remembers of one learner:
// when each step was first seen done (so durations survive a dashboard
// restart and the API server's one-hour event TTL), which steps the
// instructor's push did, and the epoch of the learner's current attempt.
type LearnerRecord struct {
	// Epoch is when the current attempt began (a reset); entries before it
	// belong to an earlier attempt and are dropped.
	Epoch time.Time `json:"epoch,omitzero"`
	// Seen is when each step was first seen done, by step ID.
	Seen map[string]time.Time `json:"seen,omitempty"`
	// Pushed is when the instructor's push did a step, by step ID.
	Pushed map[string]time.Time `json:"pushed,omitempty"`
}

// Record is the evidence.Record of the learner (nil-safe).
func (r *LearnerRecord) Record() evidence.Record {
	if r == nil {
		return nil
	}
	return evidence.Record(r.Seen)
}

// merge folds o into r: the later epoch wins, entries before it go, and
// each step keeps its earliest time.
func (r *LearnerRecord) merge(o *LearnerRecord) {
	if o == nil {
		return
	}
	if o.Epoch.After(r.Epoch) {
		r.Epoch = o.Epoch
	}
	r.Seen = mergeTimes(r.Seen, o.Seen, r.Epoch)
	r.Pushed = mergeTimes(r.Pushed, o.Pushed, r.Epoch)
}

func mergeTimes(a, b map[string]time.Time, epoch time.Time) map[string]time.Time {
	out := map[string]time.Time{}
	for _, m := range []map[string]time.Time{a, b} {
		for k, t := range m {
			if t.Before(epoch) {
				continue
			}
			if old, ok := out[k]; !ok || t.Before(old) {
				out[k] = t
			}
		}
	}
	return out
}

// stateFile is the content of a workshop's record file.
type stateFile struct {
	Workshop string                    `json:"workshop"`
	Lesson   string                    `json:"lesson"`
	Updated  time.Time                 `json:"updated"`
	Learners map[string]*LearnerRecord `json:"learners"`
}

// Store is a workshop's record file,
// $XDG_STATE_HOME/kubetutor/workshops/NAME.json. Several processes may use
// it at once (a dashboard, a push, a reset): every update takes a lock,
// reads the file, changes it and writes it atomically.
type Store struct {
	path, workshop, lesson string
}

// NewStore returns the store of class c.
func NewStore(c *Class) *Store {
	return &Store{path: c.StatePath(), workshop: c.Name, lesson: c.Lesson.ID}
}

// Load reads the records by learner namespace; a missing file is empty.
func (s *Store) Load() (map[string]*LearnerRecord, error) {
	f, err := s.read()
	return f.Learners, err
}

func (s *Store) read() (stateFile, error) {
	f := stateFile{Workshop: s.workshop, Lesson: s.lesson, Learners: map[string]*LearnerRecord{}}
	raw, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, problemErr(err, "WorkshopRecordRead", "File", s.path)
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return f, problemErr(err, "WorkshopRecordDamaged", "File", s.path)
	}
	if f.Learners == nil {
		f.Learners = map[string]*LearnerRecord{}
	}
	return f, nil
}

// Update changes the records under the file's lock and writes them.
func (s *Store) Update(change func(map[string]*LearnerRecord)) error {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return problemErr(err, "WorkshopRecordWrite", "File", s.path)
	}
	lock, err := os.OpenFile(s.path+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return problemErr(err, "WorkshopRecordWrite", "File", s.path)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return problemErr(err, "WorkshopRecordWrite", "File", s.path)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	f, err := s.read()
	if err != nil {
		return err
	}
	change(f.Learners)
	f.Workshop, f.Lesson, f.Updated = s.workshop, s.lesson, time.Now().UTC()
	raw, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(s.path, append(raw, '\n'), 0o644); err != nil {
		return problemErr(err, "WorkshopRecordWrite", "File", s.path)
	}
	return nil
}

// Remove deletes the record file and its lock (`workshop down`).
func (s *Store) Remove() error {
	for _, p := range []string{s.path, s.path + ".lock"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return problemErr(err, "WorkshopRecordWrite", "File", p)
		}
	}
	return nil
}
