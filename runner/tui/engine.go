package tui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kubetutor/kubetutor/runner/engine"
	"github.com/kubetutor/kubetutor/runner/evidence"
	"github.com/kubetutor/kubetutor/runner/kube"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/progress"
	"github.com/kubetutor/kubetutor/runner/step"
)

// EngineRunner is the StepRunner of a real cluster: one runner/engine
// Engine per lesson, preflight (which creates the namespace) before the
// first step, and the engine's aftermath for reset and quit.
type EngineRunner struct {
	Cluster   *kube.Cluster
	Manifests fs.FS
	Lang      string
	Images    map[string]string
	// ManifestCache is where the copies of the manifests that hand-typed
	// commands apply are kept ("": the user's cache directory).
	ManifestCache string

	mu      sync.Mutex
	engines map[string]*lessonEngine
}

type lessonEngine struct {
	eng       *engine.Engine
	obs       *swapObserver
	preflight bool
	// busy is held while a step is watched or runs, so Uncordon can wait
	// for a cancelled step to unwind (a drain cordons before it evicts),
	// and a run starts only once the watch it replaces has returned.
	busy chan struct{}
	// armed is the step armed for the last watch, kept for Enter so the
	// run compares with the state from when the step became current; nil
	// once run, or when its watch failed.
	armed *engine.Armed
}

// uncordonWait bounds how long Uncordon waits for a cancelled step.
const uncordonWait = 30 * time.Second

// swapObserver forwards the engine's events to the observer of the call
// that runs now.
type swapObserver struct {
	mu  sync.Mutex
	cur engine.Observer
}

func (s *swapObserver) set(o engine.Observer) {
	s.mu.Lock()
	s.cur = o
	s.mu.Unlock()
}

func (s *swapObserver) Observe(e engine.Event) {
	s.mu.Lock()
	o := s.cur
	s.mu.Unlock()
	if o != nil {
		o.Observe(e)
	}
}

// NewEngineRunner returns a runner on cluster c with manifests from mfs.
func NewEngineRunner(c *kube.Cluster, mfs fs.FS, lang string, images map[string]string) *EngineRunner {
	return &EngineRunner{Cluster: c, Manifests: mfs, Lang: lang, Images: images, engines: map[string]*lessonEngine{}}
}

func (r *EngineRunner) engine(l *lesson.Lesson) *lessonEngine {
	r.mu.Lock()
	defer r.mu.Unlock()
	if le, ok := r.engines[l.ID]; ok {
		return le
	}
	obs := &swapObserver{}
	le := &lessonEngine{obs: obs, busy: make(chan struct{}, 1), eng: engine.New(r.Cluster, l, r.Manifests,
		engine.Options{Lang: r.Lang, Images: r.Images, ManifestCache: r.ManifestCache}, obs)}
	r.engines[l.ID] = le
	return le
}

// runPreflight runs preflight once per lesson, resumed at step i (it
// creates the namespace before anyone types a command in it); a failure is
// step i's result.
func (le *lessonEngine) runPreflight(ctx context.Context, l *lesson.Lesson, i int) *engine.StepResult {
	if le.preflight {
		return nil
	}
	for _, it := range le.eng.PreflightFrom(ctx, i) {
		if it.Status == engine.Failed {
			s := l.Spec.Steps[i]
			f := &step.Failure{Msg: it.Msg, Hint: it.Hint}
			return &engine.StepResult{ID: s.ID, Index: i, Status: engine.Failed,
				Action: engine.ActionResult{Desc: it.Name, Status: engine.Failed, Failure: f}}
		}
	}
	le.preflight = true
	return nil
}

// Watch implements StepRunner.
func (r *EngineRunner) Watch(ctx context.Context, l *lesson.Lesson, i int, obs engine.Observer) engine.StepResult {
	le := r.engine(l)
	le.busy <- struct{}{}
	defer func() { <-le.busy }()
	le.obs.set(obs)
	defer le.obs.set(nil)
	if res := le.runPreflight(ctx, l, i); res != nil {
		return *res
	}
	a := le.armed
	if a == nil || a.Index() != i || a.Used() {
		a = le.eng.Arm(ctx, i)
		le.armed = a
	}
	res := a.Watch(ctx, 0)
	if res.Status == engine.Failed && ctx.Err() == nil {
		le.armed = nil // a new attempt arms the step again
	}
	return res
}

// RunStep implements StepRunner.
func (r *EngineRunner) RunStep(ctx context.Context, l *lesson.Lesson, i int, catchUp bool, obs engine.Observer) engine.StepResult {
	le := r.engine(l)
	le.busy <- struct{}{}
	defer func() { <-le.busy }()
	le.obs.set(obs)
	defer le.obs.set(nil)
	if res := le.runPreflight(ctx, l, i); res != nil {
		return *res
	}
	a := le.armed
	le.armed = nil
	if catchUp && !engine.ComparesWithBefore(l.Spec.Steps[i]) {
		if res := le.eng.CheckStep(ctx, i, engine.CatchUpWait); res.Status == engine.Passed || ctx.Err() != nil {
			return res
		}
	}
	if a == nil || a.Index() != i || a.Used() {
		a = le.eng.Arm(ctx, i)
	}
	return a.Run(ctx)
}

// Judge implements StepRunner.
func (r *EngineRunner) Judge(ctx context.Context, l *lesson.Lesson, st progress.State) Judgement {
	eng := r.engine(l).eng
	var j Judgement
	j.Uncordoned, j.Err = eng.RepairCordons(ctx)
	rec := evidence.Record{}
	for id, s := range st.Steps {
		if s.Status == progress.Passed || s.Status == progress.Skipped || s.Status == progress.Unavailable {
			rec[id] = s.At
		}
	}
	p, err := eng.Judge(ctx, rec, st.Epoch)
	j.Progress = p
	if err != nil {
		j.Err = err
	}
	return j
}

// Reset implements StepRunner.
func (r *EngineRunner) Reset(_ context.Context, l *lesson.Lesson) *engine.Aftermath {
	return r.engine(l).eng.Aftermath(step.M("TUIResetWhy"), false)
}

// Uncordon implements StepRunner: it undoes the cordons of every lesson
// that ran here (nil when there were none), after waiting (briefly) for a
// cancelled step to return.
func (r *EngineRunner) Uncordon() *engine.Aftermath {
	r.mu.Lock()
	les := make([]*lessonEngine, 0, len(r.engines))
	for _, le := range r.engines {
		les = append(les, le)
	}
	r.mu.Unlock()
	var out *engine.Aftermath
	for _, le := range les {
		select {
		case le.busy <- struct{}{}:
			<-le.busy
		case <-time.After(uncordonWait):
		}
		if len(le.eng.Env().State.CordonedNodes()) == 0 {
			continue
		}
		a := le.eng.Aftermath(step.M("AftermathInterrupted"), true)
		if out == nil {
			out = a
		} else {
			out.Uncordoned = append(out.Uncordoned, a.Uncordoned...)
			out.StillCordoned = append(out.StillCordoned, a.StillCordoned...)
			out.Errors = append(out.Errors, a.Errors...)
		}
	}
	return out
}

// Preview implements StepRunner: the kinds and names of the objects an
// apply step's manifests hold.
func (r *EngineRunner) Preview(l *lesson.Lesson, i int) []string {
	a, ok := l.Spec.Steps[i].Action.Body.(lesson.ManifestUser)
	if !ok || r.Manifests == nil {
		return nil
	}
	var out []string
	for _, f := range a.ManifestFiles() {
		raw, err := fs.ReadFile(r.Manifests, f)
		if err != nil {
			continue
		}
		out = append(out, manifestObjects(raw)...)
	}
	return out
}

// manifestObjects lists "Kind name" of every document of a YAML file.
func manifestObjects(raw []byte) []string {
	var out []string
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	for {
		var doc struct {
			Kind     string `yaml:"kind"`
			Metadata struct {
				Name string `yaml:"name"`
			} `yaml:"metadata"`
		}
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			return out
		}
		if doc.Kind != "" {
			out = append(out, doc.Kind+" "+doc.Metadata.Name)
		}
	}
}

// Live implements StepRunner.
func (r *EngineRunner) Live(l *lesson.Lesson) *Live {
	env := r.engine(l).eng.Env()
	return &Live{
		Client: r.Cluster.Client, Namespace: r.Cluster.Namespace, Selector: l.Spec.Selector,
		Read: func(ctx context.Context, t step.SQLTarget, q string) (string, string, error) {
			return step.ReadValue(ctx, env, t, q)
		},
	}
}
