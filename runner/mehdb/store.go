package mehdb

import (
	"os"
	"path/filepath"
	"strings"
)

// contentFile is the file under a key's directory that holds its value.
const contentFile = "content"

// store keeps key K's value in <dir>/K/content, as upstream does, so a
// learner can `ls` and `cat` the data directory of a pod. There is no index
// and no deletion.
type store struct{ dir string }

// keys lists the existing keys, sorted: the entries of the data directory
// whose name does not start with "." and that have a content file. Other
// entries (lost+found on a real volume, empty directories) are not keys.
func (s store) keys() ([]string, error) {
	entries, err := os.ReadDir(s.dir) // sorted by name
	if err != nil {
		return nil, err
	}
	keys := []string{}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		if _, err := os.Stat(filepath.Join(s.dir, name, contentFile)); err == nil {
			keys = append(keys, name)
		}
	}
	return keys, nil
}

// get returns the stored bytes of key k.
func (s store) get(k string) ([]byte, error) {
	return os.ReadFile(filepath.Join(s.dir, k, contentFile))
}

// put stores v as the value of key k. The key's directory is created when
// missing (a failure there shows up as the failing write), and the value is
// written to a temporary file renamed over the old one, so a concurrent
// reader (a follower's sync) sees the old or the new value, never a part.
func (s store) put(k string, v []byte) (err error) {
	dir := filepath.Join(s.dir, k)
	_ = os.Mkdir(dir, 0o777)
	f, err := os.CreateTemp(dir, "."+contentFile+"-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	_, err = f.Write(v)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	// CreateTemp makes the file 0600; upstream's values are 0644.
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), filepath.Join(dir, contentFile))
}

// safeKeyName reports whether name can be used as one path element.
func safeKeyName(name string) bool {
	return name != "" && !strings.HasPrefix(name, ".") && !strings.ContainsAny(name, "/\x00")
}
