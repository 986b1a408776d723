// Package flow is the pure progression logic of a lesson in the TUI: which
// step is unlocked, what a key press does, how skip-with-catch-up, reset,
// resume and quit-while-busy proceed. Next(state, event) returns the new
// state and the effects the UI must carry out (watch or run a step, save,
// clean up, quit); it does no I/O, so it is table-tested.
//
// The current step is always watched: whenever a step becomes current and
// the lesson waits for the learner, Next asks for Watch, so the step
// unlocks the moment the cluster reaches its state, whoever typed the
// commands; Enter (Run) stops the watch and lets the tutor do the step.
package flow

// Status of one step.
type Status int

// Step statuses.
const (
	Locked      Status = iota // an earlier step is not done yet
	Ready                     // the current step, waiting for the learner
	Running                   // its action or checks are in flight
	Passed                    // its checks passed
	Failed                    // a check failed or timed out; retry is offered
	Unavailable               // the cluster cannot do it (e.g. one node for drain); counts as done
)

var statusNames = [...]string{"locked", "ready", "running", "passed", "failed", "unavailable"}

func (s Status) String() string { return statusNames[s] }

// Done reports whether the step no longer blocks the next one.
func (s Status) Done() bool { return s == Passed || s == Unavailable }

// Mode is what the lesson screen is doing.
type Mode int

// Modes.
const (
	Reading      Mode = iota // no cluster: the lesson can be read, steps stay locked
	Idle                     // waiting for the learner
	Busy                     // a step runs
	CatchingUp               // running earlier steps to reach Target
	ResumePrompt             // asking whether to resume at State.Resume
	ConfirmReset             // asking whether to reset the lesson
	Resetting                // cleanup in flight
	ConfirmQuit              // asking whether to stop the running step and quit
	Summary                  // every step is done
)

var modeNames = [...]string{"reading", "idle", "busy", "catching-up", "resume-prompt", "confirm-reset", "resetting", "confirm-quit", "summary"}

func (m Mode) String() string { return modeNames[m] }

// State is the progression of one lesson.
type State struct {
	Steps   []Status
	Current int  // the first step that is not done
	Mode    Mode // what the screen is doing
	Prev    Mode // the mode to return to from a confirmation
	Target  int  // with CatchingUp: the step to reach
	Resume  int  // with ResumePrompt: where stored progress would resume
}

// Effect is something the UI must do after a transition.
type Effect interface{ effect() }

// RunStep runs step Index (it stops the step's watch first). With
// CatchUp, the step's checks are tried first and its action runs only if
// they do not already pass.
type RunStep struct {
	Index   int
	CatchUp bool
}

// Watch arms step Index — its "before" state taken now — and waits for its
// checks without acting; the result comes back as StepPassed or
// WatchFailed.
type Watch struct{ Index int }

// StopWatch stops the current step's watch.
type StopWatch struct{}

// CancelStep cancels the running step's context.
type CancelStep struct{}

// Cleanup deletes what the lesson created and uncordons its nodes; it
// reports ResetDone.
type Cleanup struct{}

// Save writes the progress.
type Save struct{}

// ClearProgress deletes the stored progress.
type ClearProgress struct{}

// Uncordon uncordons every node the lesson cordoned.
type Uncordon struct{}

// Quit ends the program.
type Quit struct{}

func (RunStep) effect()       {}
func (Watch) effect()         {}
func (StopWatch) effect()     {}
func (CancelStep) effect()    {}
func (Cleanup) effect()       {}
func (Save) effect()          {}
func (ClearProgress) effect() {}
func (Uncordon) effect()      {}
func (Quit) effect()          {}

// Event is an input to Next: a key press the UI mapped, or a result.
type Event interface{ event() }

// Opened starts the flow: Live says whether a cluster answers; Stored are
// the statuses of the steps found done — judged from the cluster and the
// record of earlier sessions (runner/evidence) — in order (nil or shorter
// when none).
type Opened struct {
	Steps  int
	Live   bool
	Stored []Status
}

// Run asks to run (or retry) the current step.
type Run struct{}

// SkipTo asks to jump to step Index, catching up on the steps before it.
type SkipTo struct{ Index int }

// StepPassed, StepFailed and StepUnavailable report a step's outcome.
type StepPassed struct{ Index int }

// StepFailed reports that a step's action or check failed when the tutor
// ran it; the step is watched again, so the learner may fix it by hand.
type StepFailed struct{ Index int }

// WatchFailed reports that a watched step's check failed for good (the
// learner replaced an object that had to stay, or the step could not be
// armed): it is not watched again until Enter retries it.
type WatchFailed struct{ Index int }

// StepUnavailable reports that the cluster cannot do a step.
type StepUnavailable struct{ Index int }

// StepCancelled reports that a running step stopped because it was cancelled.
type StepCancelled struct{ Index int }

// Answer is the learner's reply to a prompt (resume, reset, quit).
type Answer struct{ Yes bool }

// AskReset asks to reset the lesson (cleanup and forget progress).
type AskReset struct{}

// ResetDone reports that cleanup finished.
type ResetDone struct{}

// AskQuit asks to quit (q, Ctrl-C).
type AskQuit struct{}

// Terminate quits without asking (SIGTERM): like a confirmed quit, it
// cancels what runs, uncordons, saves and quits.
type Terminate struct{}

func (Opened) event()          {}
func (Run) event()             {}
func (SkipTo) event()          {}
func (StepPassed) event()      {}
func (StepFailed) event()      {}
func (WatchFailed) event()     {}
func (StepUnavailable) event() {}
func (StepCancelled) event()   {}
func (Answer) event()          {}
func (AskReset) event()        {}
func (ResetDone) event()       {}
func (AskQuit) event()         {}
func (Terminate) event()       {}

// Next is the whole progression logic.
func Next(s State, e Event) (State, []Effect) {
	s.Steps = append([]Status(nil), s.Steps...) // never alias the caller's slice
	switch e := e.(type) {
	case Opened:
		s = State{Steps: make([]Status, e.Steps)}
		if !e.Live {
			s.Mode = Reading
			return s, nil
		}
		first := 0
		for first < len(e.Stored) && first < e.Steps && e.Stored[first].Done() {
			first++
		}
		if first > 0 {
			copy(s.Steps, e.Stored[:first])
			s.Mode, s.Resume = ResumePrompt, first
			return s, nil
		}
		return watched(unlock(s, 0))

	case Answer:
		switch s.Mode {
		case ResumePrompt:
			if e.Yes {
				return watched(unlock(s, s.Resume), Save{})
			}
			return watched(unlock(State{Steps: make([]Status, len(s.Steps))}, 0), ClearProgress{})
		case ConfirmReset:
			if e.Yes {
				s.Mode = Resetting
				return s, []Effect{StopWatch{}, Cleanup{}}
			}
			s.Mode = s.Prev
		case ConfirmQuit:
			if e.Yes {
				return s, []Effect{CancelStep{}, Uncordon{}, Save{}, Quit{}}
			}
			s.Mode = s.Prev
		}
		return s, nil

	case Run:
		if s.Mode != Idle || s.Current >= len(s.Steps) {
			return s, nil
		}
		s.Steps[s.Current] = Running
		s.Mode = Busy
		return s, []Effect{RunStep{Index: s.Current}}

	case SkipTo:
		if s.Mode != Idle || e.Index <= s.Current || e.Index >= len(s.Steps) {
			return s, nil
		}
		s.Mode, s.Target = CatchingUp, e.Index
		s.Steps[s.Current] = Running
		return s, []Effect{RunStep{Index: s.Current, CatchUp: true}}

	case StepPassed, StepUnavailable:
		i, st := indexOf(e), Passed
		if _, ok := e.(StepUnavailable); ok {
			st = Unavailable
		}
		if i < 0 || i >= len(s.Steps) {
			return s, nil
		}
		s.Steps[i] = st
		if s.Mode == CatchingUp && i+1 < s.Target {
			s.Current = i + 1
			s.Steps[i+1] = Running
			return s, []Effect{Save{}, RunStep{Index: i + 1, CatchUp: true}}
		}
		if s.Mode == ConfirmQuit || s.Mode == ConfirmReset { // unlock behind the prompt
			prompt := s.Mode
			s = unlock(s, i+1)
			s.Prev, s.Mode = s.Mode, prompt
			return watched(s, Save{})
		}
		return watched(unlock(s, i+1), Save{})

	case StepFailed, WatchFailed:
		i, rewatch := 0, false
		switch e := e.(type) {
		case StepFailed:
			i, rewatch = e.Index, true
		case WatchFailed:
			i = e.Index
		}
		if i < 0 || i >= len(s.Steps) {
			return s, nil
		}
		s.Steps[i] = Failed
		s.Current = i
		if s.Mode == ConfirmQuit || s.Mode == ConfirmReset {
			s.Prev = Idle
		} else {
			s.Mode = Idle
		}
		if rewatch {
			return watched(s, Save{})
		}
		return s, []Effect{Save{}}

	case StepCancelled:
		if e.Index >= 0 && e.Index < len(s.Steps) {
			s.Steps[e.Index] = Ready
			s.Current = e.Index
		}
		s.Mode = Idle
		return watched(s)

	case AskReset:
		switch s.Mode {
		case Idle, Summary:
			s.Prev, s.Mode = s.Mode, ConfirmReset
		}
		return s, nil

	case ResetDone:
		return watched(unlock(State{Steps: make([]Status, len(s.Steps))}, 0), ClearProgress{})

	case AskQuit:
		switch s.Mode {
		case Busy, CatchingUp, Resetting:
			s.Prev, s.Mode = s.Mode, ConfirmQuit
			return s, nil
		case ConfirmQuit:
			return s, []Effect{CancelStep{}, Uncordon{}, Save{}, Quit{}} // a second Ctrl-C means it
		}
		return s, []Effect{Save{}, Quit{}}

	case Terminate:
		return s, []Effect{CancelStep{}, Uncordon{}, Save{}, Quit{}}
	}
	return s, nil
}

// watched returns s with effects, followed by Watch of the current step
// when the lesson now waits for the learner on it (idle, or idle behind a
// prompt).
func watched(s State, effects ...Effect) (State, []Effect) {
	idle := s.Mode == Idle || ((s.Mode == ConfirmQuit || s.Mode == ConfirmReset) && s.Prev == Idle)
	if idle && s.Current < len(s.Steps) {
		effects = append(effects, Watch{Index: s.Current})
	}
	return s, effects
}

// unlock makes step i current (or shows the summary after the last step).
func unlock(s State, i int) State {
	s.Current = i
	s.Target = 0
	if i >= len(s.Steps) {
		s.Mode = Summary
		return s
	}
	s.Mode = Idle
	if !s.Steps[i].Done() {
		s.Steps[i] = Ready
	}
	for j := i + 1; j < len(s.Steps); j++ {
		if !s.Steps[j].Done() {
			s.Steps[j] = Locked
		}
	}
	return s
}

func indexOf(e Event) int {
	switch e := e.(type) {
	case StepPassed:
		return e.Index
	case StepUnavailable:
		return e.Index
	}
	return -1
}

// Progress returns how many steps are done, for "5/14" status lines.
func (s State) Progress() (done, total int) {
	for _, st := range s.Steps {
		if st.Done() {
			done++
		}
	}
	return done, len(s.Steps)
}
