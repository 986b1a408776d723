package workshop

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kubetutor/kubetutor/runner/engine"
	"github.com/kubetutor/kubetutor/runner/kube"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

// Labels and annotations of a workshop's objects.
const (
	// LabelWorkshop marks every object of workshop NAME (namespaces,
	// cluster roles and bindings) with NAME.
	LabelWorkshop = "kubetutor.io/workshop"
	// LabelLearner is the learner's name on their namespace.
	LabelLearner = "kubetutor.io/learner"
	// LabelLesson is the workshop's lesson on the learner's namespace.
	LabelLesson = "kubetutor.io/lesson"
	// AnnotationEpoch on a learner's namespace is when their current
	// attempt began (`workshop reset`, RFC 3339): older evidence is ignored.
	AnnotationEpoch = "kubetutor.io/epoch"
	// LearnerServiceAccount is the service account of every learner.
	LearnerServiceAccount = "learner"
)

// Class is one workshop on one cluster, as its instructor reaches it: the
// workshop's name and lesson, and the instructor's own access.
type Class struct {
	// Name is the workshop's name; learner namespaces are NAME-<learner>.
	Name string
	// Lesson is the lesson the class runs.
	Lesson *lesson.Lesson
	// Cluster is the instructor's access (its namespace is not used).
	Cluster *kube.Cluster
	// Manifests holds the lesson's manifests.
	Manifests fs.FS
	// Images are --image overrides of the lesson's images.
	Images map[string]string
	// StateDir holds the workshops' first-seen records
	// ($XDG_STATE_HOME/kubetutor/workshops).
	StateDir string
	// Now returns the current time (tests fix it).
	Now func() time.Time
}

func (c *Class) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

// Namespace is the namespace of learner.
func (c *Class) Namespace(learner string) string { return c.Name + "-" + learner }

// Mark is the cordon mark of the instructor's drains.
func (c *Class) Mark() string { return "workshop/" + c.Name }

// Env is a step environment of the lesson in namespace ns with the
// instructor's rights; its cordons carry the workshop's mark.
func (c *Class) Env(ns string) *step.Env {
	cl := *c.Cluster
	cl.Namespace = ns
	env := step.NewEnv(&cl, c.Manifests, c.Lesson.ID, c.Lesson.Spec, c.Images)
	env.Mark = c.Mark()
	if c.Now != nil {
		env.Now = c.Now
	}
	return env
}

// Engine is an engine of the lesson in namespace ns with the instructor's
// rights (no preflight: the namespace is the workshop's).
func (c *Class) Engine(ns string, obs engine.Observer) *engine.Engine {
	cl := *c.Cluster
	cl.Namespace = ns
	return engine.New(&cl, c.Lesson, c.Manifests, engine.Options{Images: c.Images}, obs)
}

// StepIndex is the 0-based index of step id, or an error naming the steps.
func (c *Class) StepIndex(id string) (int, error) {
	var ids []string
	for i, s := range c.Lesson.Spec.Steps {
		if s.ID == id {
			return i, nil
		}
		ids = append(ids, s.ID)
	}
	return -1, problem("WorkshopUnknownStep", "Lesson", c.Lesson.ID, "Step", id, "Known", strings.Join(ids, ", "))
}

// StatePath is the file of the workshop's first-seen record.
func (c *Class) StatePath() string { return filepath.Join(c.StateDir, c.Name+".json") }

// StateDir returns the directory of workshops' records:
// $XDG_STATE_HOME/kubetutor/workshops, else
// ~/.local/state/kubetutor/workshops.
func StateDir(getenv func(string) string) (string, error) {
	if d := getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "kubetutor", "workshops"), nil
	}
	home := getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", problemErr(err, "WorkshopNoHome")
		}
		home = h
	}
	return filepath.Join(home, ".local", "state", "kubetutor", "workshops"), nil
}

// ValidateName checks a workshop's name: a DNS label short enough to
// prefix learner namespaces.
func ValidateName(name string) error {
	if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
		return problem("WorkshopBadName", "Name", name, "Why", strings.Join(errs, "; "))
	}
	if len(name) > 40 {
		return problem("WorkshopLongName", "Name", name)
	}
	return nil
}

// Learners returns the learners' names: 01 … NN (zero-padded to the
// width of n), or the names of namesFile when given (one per line; empty
// lines and # comments ignored), which must then be n when n > 0.
func Learners(workshop string, n int, names io.Reader) ([]string, error) {
	if names == nil {
		if n < 1 {
			return nil, problem("WorkshopNoLearners")
		}
		width := max(2, len(fmt.Sprint(n)))
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%0*d", width, i+1)
		}
		return out, nil
	}
	var out []string
	seen := map[string]int{}
	sc := bufio.NewScanner(names)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		if errs := validation.IsDNS1123Label(s); len(errs) > 0 {
			return nil, problem("WorkshopBadLearner", "Line", line, "Name", s, "Why", strings.Join(errs, "; "))
		}
		if ns := workshop + "-" + s; len(ns) > 63 {
			return nil, problem("WorkshopLongLearner", "Line", line, "Namespace", ns)
		}
		if first, dup := seen[s]; dup {
			return nil, problem("WorkshopDupLearner", "Line", line, "Name", s, "First", first)
		}
		seen[s] = line
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, problem("WorkshopNamesEmpty")
	}
	if n > 0 && n != len(out) {
		return nil, problem("WorkshopNamesCount", "N", n, "Count", len(out))
	}
	return out, nil
}

// problem is an error shown in the user's language: the commands
// translate its message (i18n/workshop.*.toml).
func problem(id string, kv ...any) error { return &step.Failure{Msg: step.M(id, kv...)} }

// problemErr is problem with the underlying error.
func problemErr(err error, id string, kv ...any) error {
	return &step.Failure{Msg: step.M(id, kv...), Err: err}
}

// lessonCheck is a lesson's check (a short name for loops over them).
type lessonCheck = lesson.Check
