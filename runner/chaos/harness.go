package chaos

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/progress"
)

// Config is what a harness needs.
type Config struct {
	// Bin is the kubetutor binary every start runs.
	Bin string
	// Kubeconfig and Namespace are where the lesson runs (the namespace
	// should be fresh: the harness checks that nothing is left in it).
	Kubeconfig, Namespace string
	// Lesson is the lesson to run; Lang the language of its starts (the
	// language of Texts).
	Lesson *lesson.Lesson
	Lang   string
	Texts  *Texts
	// StateDir is XDG_STATE_HOME of every start: the TUI keeps its
	// progress file there.
	StateDir string
	// LogDir receives each start's output (run) or last screen (TUI).
	LogDir string
	// Logf logs as the harness goes (e.g. testing.T.Logf).
	Logf func(format string, args ...any)
	// StartTimeout bounds one start (default 10 min), GCTimeout the wait for
	// what the garbage collector removes after the cleanup step (2 min).
	StartTimeout, GCTimeout time.Duration
}

// Harness runs a Plan against a real cluster.
type Harness struct {
	cfg     Config
	cs      kubernetes.Interface
	dyn     dynamic.Interface
	context string // the kubeconfig's context: part of the progress file's key
	steps   []string
	drain   int // index of the lesson's drain step (-1: none)
}

// New connects to the cluster of cfg.Kubeconfig.
func New(cfg Config) (*Harness, error) {
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 10 * time.Minute
	}
	if cfg.GCTimeout == 0 {
		cfg.GCTimeout = 2 * time.Minute
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	raw, err := clientcmd.LoadFromFile(cfg.Kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("read kubeconfig %s: %w", cfg.Kubeconfig, err)
	}
	rc, err := clientcmd.NewDefaultClientConfig(*raw, nil).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", cfg.Kubeconfig, err)
	}
	rc.QPS, rc.Burst = 50, 100
	// Listing every kind for leftovers reaches deprecated ones (v1
	// Endpoints): their warnings are noise here.
	rc.WarningHandler = rest.NoWarnings{}
	h := &Harness{cfg: cfg, context: raw.CurrentContext, drain: -1}
	if h.cs, err = kubernetes.NewForConfig(rc); err != nil {
		return nil, err
	}
	if h.dyn, err = dynamic.NewForConfig(rc); err != nil {
		return nil, err
	}
	if _, err := h.cs.Discovery().ServerVersion(); err != nil {
		return nil, fmt.Errorf("the cluster of %s does not answer (kubetutor lab up starts the lab): %w", cfg.Kubeconfig, err)
	}
	for i, s := range cfg.Lesson.Spec.Steps {
		h.steps = append(h.steps, s.ID)
		if s.Action.Kind == "drain" && h.drain < 0 {
			h.drain = i
		}
	}
	return h, nil
}

// Client is the harness's clientset (for the tests' own checks).
func (h *Harness) Client() kubernetes.Interface { return h.cs }

// mark is the lesson's cordon mark in its namespace.
func (h *Harness) mark() string { return h.cfg.Namespace + "/" + h.cfg.Lesson.ID }

// Round is what one start did.
type Round struct {
	N    int
	Mode Mode
	// Kill is the plan's kill of this start (nil: it must finish).
	Kill *Kill
	// Resumed is the step the start began at: the TUI's resume prompt
	// (len(steps): every step done) or the first step it offered, run's
	// first step started; -1 when it was killed before it showed one.
	Resumed int
	// Prompted: the TUI asked whether to resume.
	Prompted bool
	// Uncordoned are the nodes the start said it uncordoned as it opened
	// (left cordoned by the start before), in its own words.
	Uncordoned []string
	// Killed, Trigger (random, drain, last step) and At (after the start).
	Killed  bool
	Trigger string
	At      time.Duration
	// Step is the step that ran at the kill (-1: before any step), and
	// From where the harness read it (run's output, the TUI's screen).
	Step int
	From string
	// Finished: the lesson completed in this start (run: exit 0 and the
	// JSON report passed; TUI: the summary), after Took.
	Finished bool
	Took     time.Duration
	// Log is the file with the start's output or last screen.
	Log string
}

// Report is the outcome of a harness run.
type Report struct {
	Plan      Plan
	Namespace string
	Steps     []string
	Rounds    []Round
	// Problems are the broken requirements, each in a sentence.
	Problems []string
	// MostCordoned is the most nodes the lesson held cordoned at once.
	MostCordoned int
	// ProgressReads counts the progress-file reads after kills (all
	// succeeded unless a problem says otherwise).
	ProgressReads int
	Finished      bool
	Duration      time.Duration
}

func (r *Report) problem(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// Kills is the number of kills that happened.
func (r *Report) Kills() int {
	n := 0
	for _, rd := range r.Rounds {
		if rd.Killed {
			n++
		}
	}
	return n
}

// Run carries out plan: each start in turn until one finishes the lesson,
// then the checks of a finished lesson. It returns when the lesson
// finished, a start failed, or ctx ended; the report says which.
func (h *Harness) Run(ctx context.Context, plan Plan) *Report {
	start := time.Now()
	rep := &Report{Plan: plan, Namespace: h.cfg.Namespace, Steps: h.steps}
	nodes, err := watchNodes(ctx, h.cs, h.mark())
	if err != nil {
		rep.problem("%v", err)
		return rep
	}
	cordonedBefore := nodes.Cordoned()
	drainKilled := false
	for i, st := range plan.Starts {
		r := Round{N: i + 1, Mode: st.Mode, Kill: st.Kill, Resumed: -1, Step: -1}
		marked := nodes.Marked()
		nodes.Forget()
		opened := time.Now()
		sctx, cancel := context.WithTimeout(ctx, h.cfg.StartTimeout)
		var err error
		switch st.Mode {
		case TUI:
			err = h.tui(sctx, &r, st.Kill, nodes, marked)
		default:
			err = h.run(sctx, &r, st.Kill, nodes, marked)
		}
		cancel()
		h.cfg.Logf("start %d (%s): %s", r.N, r.Mode, h.describe(r))
		if err != nil {
			rep.problem("start %d (%s): %v (log: %s)", r.N, r.Mode, err, r.Log)
		}
		// What a start after a kill must do as it opens (a start killed
		// before it showed where it begins leaves that to the next one).
		if r.Resumed >= 0 {
			for _, n := range marked {
				if !nodes.ReleasedSince(n, opened) {
					rep.problem("start %d (%s): node %s, left cordoned by the kill before, was not uncordoned", r.N, r.Mode, n)
				}
			}
			if len(marked) > 0 && !slices.Equal(r.Uncordoned, marked) {
				rep.problem("start %d (%s): uncordoned %v as it opened but said %v", r.N, r.Mode, marked, r.Uncordoned)
			}
			if drainKilled && r.Resumed < h.drain {
				rep.problem("start %d (%s): after a kill during the drain it resumed at step %s, before the drain step %d",
					r.N, r.Mode, h.stepName(r.Resumed), h.drain+1)
			}
			drainKilled = false
		}
		if r.Killed && r.Trigger == triggerDrain {
			drainKilled = true
		}
		if r.Killed {
			rep.ProgressReads++
			if err := h.readProgress(); err != nil {
				rep.problem("after kill %d: the progress file is unreadable: %v", rep.Kills()+1, err)
			}
		}
		rep.Rounds = append(rep.Rounds, r)
		if st.Kill == nil && !r.Finished && err == nil {
			rep.problem("start %d (%s), the last one, did not finish the lesson", r.N, r.Mode)
		}
		if r.Finished || err != nil || ctx.Err() != nil {
			rep.Finished = r.Finished
			break
		}
	}
	if rep.Kills() < plan.Kills() && rep.Finished {
		h.cfg.Logf("the lesson finished after %d of %d planned kills", rep.Kills(), plan.Kills())
	}
	h.finalChecks(ctx, rep, nodes, cordonedBefore)
	rep.Duration = time.Since(start)
	return rep
}

// finalChecks: nothing cordoned, nothing left, the progress file readable.
func (h *Harness) finalChecks(ctx context.Context, rep *Report, nodes *nodeWatch, cordonedBefore []string) {
	if m := nodes.Marked(); len(m) > 0 {
		rep.problem("nodes left cordoned by the lesson at the end: %s", strings.Join(m, ", "))
	}
	for _, n := range nodes.Cordoned() {
		if !slices.Contains(cordonedBefore, n) {
			rep.problem("node %s is cordoned at the end and was not before", n)
		}
	}
	most, at := nodes.Most()
	rep.MostCordoned = most
	if most > 1 {
		rep.problem("the lesson held %d nodes cordoned at once (at %s)", most, at.Format(time.TimeOnly))
	}
	if err := h.readProgress(); err != nil {
		rep.problem("the progress file is unreadable at the end: %v", err)
	}
	if !rep.Finished {
		return
	}
	kinds, err := leftoverKinds(h.cs.Discovery(), h.cfg.Namespace, h.cfg.Lesson.Spec.Selector)
	if err != nil {
		rep.problem("%v", err)
		return
	}
	if now, err := leftovers(ctx, h.dyn, kinds); err == nil && len(now) > 0 {
		h.cfg.Logf("right after the lesson, still there (the garbage collector's and the volumes' part): %s", strings.Join(now, ", "))
	}
	gctx, cancel := context.WithTimeout(ctx, h.cfg.GCTimeout)
	defer cancel()
	left, err := waitNoLeftovers(gctx, h.dyn, kinds)
	if err != nil {
		rep.problem("look for leftovers: %v", err)
	}
	if len(left) > 0 {
		rep.problem("left after the lesson's cleanup (%s later): %s", h.cfg.GCTimeout, strings.Join(left, ", "))
	}
}

// readProgress parses the TUI's progress file of the lesson's namespace
// with the TUI's own reader (a missing file is fine: no TUI ran yet).
func (h *Harness) readProgress() error {
	store := progress.NewStore(filepath.Join(h.cfg.StateDir, "kubetutor", "progress"))
	_, err := store.Load(progress.Key{Lesson: h.cfg.Lesson.ID, Context: h.context, Namespace: h.cfg.Namespace})
	return err
}

func (h *Harness) stepName(i int) string { return stepName(h.steps, i) }

func (h *Harness) describe(r Round) string {
	var b strings.Builder
	fmt.Fprintf(&b, "began at %s", h.stepName(r.Resumed))
	if len(r.Uncordoned) > 0 {
		fmt.Fprintf(&b, ", uncordoned %s", strings.Join(r.Uncordoned, ", "))
	}
	switch {
	case r.Killed:
		fmt.Fprintf(&b, "; killed (%s) after %.1f s during %s", r.Trigger, r.At.Seconds(), h.stepName(r.Step))
	case r.Finished:
		fmt.Fprintf(&b, "; finished after %.1f s", r.Took.Seconds())
	}
	return b.String()
}

// Triggers of a kill.
const (
	triggerRandom = "random"       // the kill's moment into its step
	triggerDrain  = "drain"        // the drain's cordon appeared
	triggerPassed = "drain passed" // a step after the drain ran without a cordon seen
	triggerCut    = "cut short"    // the moment fell after the lesson's end: early in its last step
)

// logFile is the path of a start's log.
func (h *Harness) logFile(r *Round, ext string) string {
	return filepath.Join(h.cfg.LogDir, fmt.Sprintf("start-%02d-%s.%s", r.N, r.Mode, ext))
}

func writeLog(path, text string) {
	_ = os.WriteFile(path, []byte(text), 0o644)
}

// reach tells how far a start got: the step it runs now, and channels
// closed once it runs a given step or a later one.
type reach struct {
	mu      sync.Mutex
	current int // -1: no step yet
	first   int // the first step it ran (-1: none yet)
	waits   []reachWait
}

type reachWait struct {
	step int
	ch   chan struct{}
}

func newReach() *reach { return &reach{current: -1, first: -1} }

// running records that step i runs.
func (r *reach) running(i int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.current = i
	if r.first < 0 {
		r.first = i
	}
	kept := r.waits[:0]
	for _, w := range r.waits {
		if i >= w.step {
			close(w.ch)
		} else {
			kept = append(kept, w)
		}
	}
	r.waits = kept
}

// at returns a channel closed once step i or a later one runs.
func (r *reach) at(i int) <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch := make(chan struct{})
	if r.current >= i {
		close(ch)
	} else {
		r.waits = append(r.waits, reachWait{step: i, ch: ch})
	}
	return ch
}

// now returns the step running now and the first one run.
func (r *reach) now() (current, first int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.current, r.first
}

// killer is the part of a start that decides when to kill it, the same
// for both modes: kill's step reached then its moment, or the drain's
// cordon (or the drain passed without one). A random moment that would
// come after the lesson's end comes early in its last step instead, so
// that every planned kill happens.
type killer struct {
	kill     *Kill
	reached  <-chan struct{} // kill.Step reached (random kills)
	last     <-chan struct{} // the last step runs
	timer    *time.Timer
	deadline time.Time
	cut      bool             // the moment was cut short in the last step
	drain    <-chan time.Time // the lesson's cordon began
	passed   <-chan struct{}  // a step after the drain runs
}

func (h *Harness) newKiller(kill *Kill, rc *reach, nodes *nodeWatch) *killer {
	k := &killer{kill: kill}
	switch {
	case kill == nil:
	case kill.Drain:
		k.drain, k.passed = nodes.Began(), rc.at(h.drain+1)
	default:
		k.reached, k.last = rc.at(kill.Step), rc.at(len(h.steps)-1)
	}
	return k
}

// timerC is the channel of the moment's timer (nil until armed).
func (k *killer) timerC() <-chan time.Time {
	if k.timer == nil {
		return nil
	}
	return k.timer.C
}

// arm starts the moment's timer once the kill's step is reached.
func (k *killer) arm() {
	k.reached = nil
	k.deadline = time.Now().Add(k.kill.After)
	k.timer = time.NewTimer(k.kill.After)
}

// lastStep cuts the moment short when the last step starts: a tenth of
// it, at most what is left, so the kill lands in the last step.
func (k *killer) lastStep() {
	k.last = nil
	if k.timer == nil {
		k.arm()
	}
	if left := time.Until(k.deadline); left > k.kill.After/10 {
		k.timer.Reset(k.kill.After / 10)
		k.cut = true
	}
}

// moment is the trigger of a kill at the timer.
func (k *killer) moment() string {
	if k.cut {
		return triggerCut
	}
	return triggerRandom
}

func (k *killer) stop() {
	if k.timer != nil {
		k.timer.Stop()
	}
}
