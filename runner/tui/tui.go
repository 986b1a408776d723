// Package tui is kubetutor's terminal UI (Bubble Tea v2): a lesson list,
// then a lesson view with a step sidebar, the current section rendered in a
// scrollable viewport, a status line and a help bar.
//
// One root Model holds a state enum and a shared common (size, styles,
// keys, translator, cluster); the list and the lesson view are sub-models
// with SetSize and View. Update and View do no I/O: rendering markdown,
// probing the cluster and running steps happen in tea.Cmds.
//
// Steps run through a StepRunner. Without one (or without a reachable
// cluster) the TUI is in reading mode: every step stays locked and the
// status line says so.
package tui

import (
	"context"
	"errors"
	"io"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/kubetutor/kubetutor/runner/engine"
	"github.com/kubetutor/kubetutor/runner/evidence"
	"github.com/kubetutor/kubetutor/runner/l10n"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/progress"
)

// ClusterInfo is what the status line says about the cluster.
type ClusterInfo struct {
	// Context and Namespace are kubectl's current context and namespace.
	Context, Namespace string
	// Reachable is true when the API server answered.
	Reachable bool
	// Err says why the cluster cannot be used (no kubeconfig, no answer).
	Err error
}

// ErrNoKubeconfig is the ClusterInfo.Err of a machine without kubeconfig.
var ErrNoKubeconfig = errors.New("no kubeconfig")

// Probe finds the cluster; the TUI calls it once from a tea.Cmd and must
// not wait on it longer than its context allows (about 2 s).
type Probe func(ctx context.Context) ClusterInfo

// StepRunner runs a lesson's steps on the cluster (EngineRunner is the
// real one). The TUI calls it from tea.Cmds, one call at a time per lesson,
// with a context cancelled when the step is left or the program quits. A
// nil StepRunner keeps every step locked.
type StepRunner interface {
	// Watch arms step i (0-based) of l — the state "before" its checks
	// compare with is taken now — and waits for its checks without acting,
	// until they pass, one fails for good, or ctx ends (the learner pressed
	// Enter, or left). Its first event, StepArmed, carries the commands
	// that do the step by hand. Preflight runs first, once per lesson.
	Watch(ctx context.Context, l *lesson.Lesson, i int, obs engine.Observer) engine.StepResult
	// RunStep runs step i (0-based) of l: its action, then its checks until
	// they pass or time out. A step watched before keeps the state taken
	// when it was armed, and an action whose effect is already there (done
	// by hand) is not done again. With catchUp the checks are tried first
	// and the action runs only when they do not already pass. Events go to
	// obs as they happen.
	RunStep(ctx context.Context, l *lesson.Lesson, i int, catchUp bool, obs engine.Observer) engine.StepResult
	// Judge tells how far l got in this namespace — from what the cluster
	// shows and remembers, with st, the progress kept of earlier sessions,
	// filling in what it cannot show — after uncordoning the nodes the
	// lesson left cordoned here (a killed run). No check waits.
	Judge(ctx context.Context, l *lesson.Lesson, st progress.State) Judgement
	// Reset deletes what the lesson created and uncordons its nodes.
	Reset(ctx context.Context, l *lesson.Lesson) *engine.Aftermath
	// Uncordon uncordons every node the steps cordoned (nil: none were).
	Uncordon() *engine.Aftermath
	// Preview lists the objects step i's action will touch ("StatefulSet
	// mysql"), to show before it runs.
	Preview(l *lesson.Lesson, i int) []string
	// Live is what the live panes of l watch; nil shows none.
	Live(l *lesson.Lesson) *Live
}

// Judgement is what a StepRunner finds when the TUI opens a lesson.
type Judgement struct {
	// Progress is how far the lesson got, step by step.
	Progress evidence.Progress
	// Uncordoned are nodes an earlier run left cordoned, uncordoned now.
	Uncordoned []string
	// Err is why the cluster could not be read; the stored progress is
	// used alone then.
	Err error
}

// ProgressStore keeps progress per lesson for the cluster context and
// namespace the TUI runs in (runner/progress behind a lock held while
// the TUI runs).
type ProgressStore interface {
	Load(lessonID string) (progress.State, error)
	Save(lessonID string, st progress.State) error
}

// Options configure Run.
type Options struct {
	// In and Out are the terminal (default: the process's).
	In  io.Reader
	Out io.Writer
	// Lessons are the lessons to offer, in list order.
	Lessons []*lesson.Lesson
	// Start is the ID of the lesson to open; "" starts at the list.
	Start string
	// Lang is "en" or "ja"; L switches it while running.
	Lang string
	// Catalog holds the UI messages of every language.
	Catalog *l10n.Catalog
	// Probe finds the cluster; nil means reading mode.
	Probe Probe
	// Runner runs steps; nil keeps them locked.
	Runner StepRunner
	// Progress stores progress; nil forgets it on exit.
	Progress ProgressStore
	// Now is the clock (tests fix it); nil is time.Now.
	Now func() time.Time
	// NoColor drops every colour and keeps bold, italic and underline
	// (NO_COLOR is set): the lesson text in render.NoColor, the rest
	// through Bubble Tea's ASCII colour profile.
	NoColor bool
	// Width and Height are the initial size when not a terminal (tests).
	Width, Height int
}

// Run runs the TUI until the user quits. When ctx is cancelled (SIGTERM,
// SIGINT) the TUI quits as if the user confirmed: the running step is
// cancelled, nodes the lesson cordoned are uncordoned, progress is saved.
func Run(ctx context.Context, opts Options) error {
	m := New(opts)
	var popts []tea.ProgramOption
	if opts.In != nil {
		popts = append(popts, tea.WithInput(opts.In))
	}
	if opts.Out != nil {
		popts = append(popts, tea.WithOutput(opts.Out))
	}
	if opts.Width > 0 && opts.Height > 0 {
		popts = append(popts, tea.WithWindowSize(opts.Width, opts.Height))
	}
	if opts.NoColor {
		// Bubble Tea finds NO_COLOR in the environment itself; the option
		// says it whatever the environment.
		popts = append(popts, tea.WithColorProfile(colorprofile.ASCII))
	}
	p := tea.NewProgram(m, popts...)
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			p.Send(terminateMsg{})
			// The aftermath has its own bound; do not wait forever.
			select {
			case <-done:
			case <-time.After(engine.AftermathTimeout + 10*time.Second):
				p.Kill()
			}
		case <-done:
		}
	}()
	_, err := p.Run()
	close(done)
	m.cancel()
	if opts.Runner != nil {
		opts.Runner.Uncordon() // a last safety net; a no-op when nothing is cordoned
	}
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil // interrupted: a clean exit
	}
	return err
}
