package step

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// ByHand is how a learner performs an action themselves: the kubectl
// command lines that do what the action's Run does, ready to paste, in
// order. Every action kind declares it in its own file (Action.Commands),
// so the commands shown are always those of the step that Enter would run.
type ByHand struct {
	// Lines are the command lines, in order. Empty: nothing to type (Note
	// says why).
	Lines []string
	// Note says how the commands differ from what the tutor does, or why
	// there is nothing to type; zero when they do exactly the same.
	Note Msg
}

// AlreadyDoner is implemented by actions that can tell that their effect
// is already there — the learner did it by hand, or an earlier attempt
// did — so that Enter does not do it a second time (drain would otherwise
// drain the node mysql-2 moved to). The message says what was found. An
// action that cannot tell, or a failure to look, answers false.
type AlreadyDoner interface {
	AlreadyDone(ctx context.Context, env *Env) (bool, Msg)
}

// Adopter is implemented by actions whose effect, done by hand, the tutor
// must take over once the step passed without running the action: a node
// cordoned with `kubectl drain` gets the lesson's cordon mark, so the
// uncordon step, cleanup and every later safety net undo it as if the
// tutor had cordoned it.
type Adopter interface {
	Adopt(ctx context.Context, env *Env) error
}

// kubectl is a kubectl command line: the connection flags a hand-typed
// command needs (Cluster.Kubectl, empty with the kubeconfig's defaults),
// then args, each quoted for a POSIX shell where it needs it.
func (e *Env) kubectl(args ...string) string {
	all := append([]string{"kubectl"}, e.Cluster.Kubectl...)
	return ShellJoin(append(all, args...))
}

// ShellJoin quotes every word for a POSIX shell where it needs it and
// joins them with spaces, so the line runs argv exactly.
func ShellJoin(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = ShellQuote(a)
	}
	return strings.Join(out, " ")
}

// ShellQuote quotes s for a POSIX shell: as is when it is made of safe
// characters only, in double quotes when it holds single quotes but
// nothing a shell expands there (SQL such as VALUES ('hello') stays
// readable), else in single quotes.
func ShellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./-_", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	if strings.Contains(s, "'") && !strings.ContainsAny(s, "\"$`\\!") {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ManifestBytes is manifest file as the lesson applies it: the file itself,
// or, when --image overrides replace one of its images, the file with them
// replaced (as YAML documents).
func (e *Env) ManifestBytes(file string) ([]byte, error) {
	raw, err := fs.ReadFile(e.Manifests, file)
	if err != nil {
		return nil, err
	}
	objs, err := ReadManifest(e.Manifests, file)
	if err != nil {
		return nil, err
	}
	changed := false
	docs := make([][]byte, 0, len(objs))
	for _, o := range objs {
		before, _ := o.MarshalJSON()
		e.overrideImages(o)
		after, _ := o.MarshalJSON()
		changed = changed || string(before) != string(after)
		y, err := yaml.JSONToYAML(after)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		docs = append(docs, y)
	}
	if !changed {
		return raw, nil
	}
	return joinDocs(docs), nil
}

func joinDocs(docs [][]byte) []byte {
	var b []byte
	for i, d := range docs {
		if i > 0 {
			b = append(b, "---\n"...)
		}
		b = append(b, d...)
	}
	return b
}

// ManifestDir is where the tutor keeps copies of the manifests its
// commands point at: Env.ManifestCache, else kubetutor/manifests in the
// user's cache directory (${XDG_CACHE_HOME:-~/.cache}).
func (e *Env) ManifestDir() (string, error) {
	if e.ManifestCache != "" {
		return e.ManifestCache, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find the cache directory for the manifests' copies: %w (set XDG_CACHE_HOME)", err)
	}
	return filepath.Join(base, "kubetutor", "manifests"), nil
}

// ManifestCopy returns the path of a copy of manifest file (as the lesson
// applies it, see ManifestBytes), written when missing. Copies are
// content-addressed — <dir>/<hash of the content>/<file> — so a path
// always holds the current content, whatever version of kubetutor or
// --manifests-dir wrote the copies before, and `kubectl apply -f PATH`
// works from any directory.
func (e *Env) ManifestCopy(file string) (string, error) {
	b, err := e.ManifestBytes(file)
	if err != nil {
		return "", err
	}
	dir, err := e.ManifestDir()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	path := filepath.Join(dir, hex.EncodeToString(sum[:])[:12], filepath.FromSlash(file))
	if cur, err := os.ReadFile(path); err == nil && string(cur) == string(b) {
		return path, nil
	}
	if err := writeAtomic(path, b); err != nil {
		return "", fmt.Errorf("keep a copy of %s: %w", file, err)
	}
	return path, nil
}

// writeAtomic writes b to path through a temporary file in the same
// directory, so a reader never sees half a file.
func writeAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// KubectlWaiter is implemented by checks that a plain kubectl script can
// wait for: `kubectl wait` where kubectl can express the condition, else a
// short shell loop of kubectl commands, each bounded by timeout — what a
// person scripting the lesson would write. The benchmark (make bench-e2e)
// compares the lesson with such a script. Checks that compare with a state
// kubectl cannot see (same UID, restarts unchanged) have none. The lines
// are for bash; a prepared check (Preparer) uses what it recorded.
type KubectlWaiter interface {
	KubectlWait(ctx context.Context, env *Env, timeout time.Duration) []string
}

// kubectlWait is `kubectl wait --for=COND TARGET… --timeout=T`.
func (e *Env) kubectlWait(cond string, timeout time.Duration, targets ...string) string {
	args := append([]string{"wait", "--for=" + cond}, targets...)
	return e.kubectl(append(args, fmt.Sprintf("--timeout=%ds", int(timeout.Seconds())))...)
}

// untilLoop is a bash loop that runs test until it succeeds, pausing pause
// between tries, and fails after timeout.
func untilLoop(test string, pause, timeout time.Duration) string {
	sleep := ""
	if pause > 0 {
		sleep = fmt.Sprintf("sleep %g; ", pause.Seconds())
	}
	return fmt.Sprintf("end=$(($(date +%%s)+%d)); until %s; do [ $(date +%%s) -lt $end ] || exit 1; %sdone", int(timeout.Seconds()), test, sleep)
}

// resourceName is kind/name as kubectl takes it (kinds are case-blind).
func resourceName(kind, name string) string { return strings.ToLower(kind) + "/" + name }

// mysqlQuery is the kubectl exec of a one-statement mysql client printing
// bare tab-separated rows, in the target pod (over TCP) or, through a
// service, in one of its ready endpoints' pods connected to the service.
func (e *Env) mysqlQuery(ctx context.Context, t SQLTarget, query string) (string, error) {
	pod, host := t.Pod, "127.0.0.1"
	if t.Service != "" {
		pods, _, err := readyEndpoints(ctx, e, t.Service)
		if err == nil && len(pods) == 0 {
			err = errNoEndpoint{t.Service}
		}
		if err != nil {
			return "", err
		}
		pod, host = pods[0], t.Service
	}
	user := t.User
	if user == "" {
		user = "root"
	}
	return e.kubectl(execArgs(pod, "", []string{"mysql", "-h", host, "-u", user, "-N", "-B", "-e", query})...), nil
}
