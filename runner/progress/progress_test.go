package progress

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSaveLoadClear(t *testing.T) {
	s := NewStore(t.TempDir())
	k := Key{Lesson: "mysql", Context: "kind-lab/admin@x", Namespace: "team-a"}
	st, err := s.Load(k)
	if err != nil || len(st.Steps) != 0 {
		t.Fatalf("empty load: %v %+v", err, st)
	}
	st.Steps["apply-configmap"] = StepRecord{Status: Passed, At: time.Unix(1, 0).UTC(), DurationMS: 120}
	st.Epoch = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	if err := s.Save(k, st); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(filepath.Base(filepath.Dir(s.Path(k))), "/") {
		t.Errorf("context not made safe: %s", s.Path(k))
	}
	got, err := s.Load(k)
	if err != nil || got.Steps["apply-configmap"].DurationMS != 120 || !got.Epoch.Equal(st.Epoch) {
		t.Fatalf("round trip: %v %+v", err, got)
	}
	ents, _ := os.ReadDir(filepath.Dir(s.Path(k)))
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temp file left behind: %s", e.Name())
		}
	}
}

func TestDamagedFile(t *testing.T) {
	s := NewStore(t.TempDir())
	k := Key{Lesson: "mysql"}
	os.MkdirAll(filepath.Dir(s.Path(k)), 0o755)
	os.WriteFile(s.Path(k), []byte("{not json"), 0o644)
	if _, err := s.Load(k); err == nil || !strings.Contains(err.Error(), "delete it") {
		t.Errorf("err = %v", err)
	}
}

func TestLock(t *testing.T) {
	s := NewStore(t.TempDir())
	k := Key{Lesson: "mysql", Namespace: "default"}
	f, err := s.Lock(k)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Lock(k)
	var le *LockError
	if !errors.Is(err, ErrLocked) || !errors.As(err, &le) || le.PID != os.Getpid() {
		t.Fatalf("second lock: %v", err)
	}
	f.Close()
	f2, err := s.Lock(k)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	f2.Close()
}

func TestDir(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"xdg", map[string]string{"XDG_STATE_HOME": "/s", "HOME": "/h"}, "/s/kubetutor/progress"},
		{"relative xdg ignored", map[string]string{"XDG_STATE_HOME": "rel", "HOME": "/h"}, "/h/.local/state/kubetutor/progress"},
		{"home", map[string]string{"HOME": "/h"}, "/h/.local/state/kubetutor/progress"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Dir(func(k string) string { return tc.env[k] })
			if err != nil || got != tc.want {
				t.Errorf("got %q %v", got, err)
			}
		})
	}
}

func TestFirstUnfinished(t *testing.T) {
	ids := []string{"a", "b", "c"}
	st := State{Steps: map[string]StepRecord{"a": {Status: Passed}, "b": {Status: Unavailable}, "c": {Status: Failed}}}
	if got := st.FirstUnfinished(ids); got != 2 {
		t.Errorf("got %d", got)
	}
	st.Steps["c"] = StepRecord{Status: Passed}
	if got := st.FirstUnfinished(ids); got != 3 {
		t.Errorf("all done: got %d", got)
	}
}
