// Package workshop runs kubetutor for a class: N learners on one shared
// cluster, each in a namespace of their own with least privilege, and an
// instructor who sees everyone's progress computed from the cluster itself
// (runner/evidence), validates checkpoints, and does the steps that need
// cluster-wide rights (drain) for everyone.
//
// This file is the model shared by the evaluator (who computes it), the
// commands (status, push, reset, down) and the views (the terminal
// dashboard and the web page).
package workshop

import (
	"context"
	"time"
)

// Learner states, as `workshop status` and the views show them.
const (
	StateNotStarted = "not-started" // no step done yet
	StateWorking    = "working"     // making progress
	StateStuck      = "stuck"       // on a step for too long, or warnings and no progress
	StateFailing    = "failing"     // a pod keeps failing (CrashLoopBackOff, image pull, Pending)
	StateDone       = "done"        // every step done
)

// Snapshot is the whole class at one moment; `workshop status -o json`
// prints it and `GET /api/snapshot` serves it.
type Snapshot struct {
	Workshop string    `json:"workshop"`
	Lesson   string    `json:"lesson"`
	Learners []Learner `json:"learners"`
}

// Learner is one learner's row.
type Learner struct {
	// Name is the learner's name (NN or from --names).
	Name string `json:"name"`
	// Namespace is the learner's namespace.
	Namespace string `json:"namespace"`
	// Step is the ID of the furthest step reached ("" when none).
	Step string `json:"step"`
	// StepIndex is that step's 1-based position (0 when nothing is done).
	StepIndex int `json:"stepIndex"`
	// Since is when that step was first seen done (zero when none).
	Since time.Time `json:"since"`
	// State is one of the State* constants.
	State string `json:"state"`
	// LastWarning is the newest warning (event or pod state) in one line.
	LastWarning string `json:"lastWarning"`
	// LastWarningAt is when LastWarning happened (zero when none or not
	// known); the views show its age.
	LastWarningAt time.Time `json:"lastWarningAt,omitzero"`
}

// StepSeen is one step of a learner's timeline.
type StepSeen struct {
	ID string `json:"id"`
	// Done, and how the cluster tells: proven, recorded, implied, holds.
	Done bool   `json:"done"`
	How  string `json:"how,omitempty"`
	// Inside is true for steps only a command in a pod can tell (SQL,
	// exec): a deep check verifies them.
	Inside bool `json:"inside,omitempty"`
	// At is when the step was first seen done.
	At time.Time `json:"at,omitempty"`
	// Pushed is true when the instructor's push did it.
	Pushed bool `json:"pushed,omitempty"`
}

// Line is one line of a learner's detail: an event or a pod's state.
type Line struct {
	At   time.Time `json:"at"`
	Text string    `json:"text"`
	Warn bool      `json:"warn,omitempty"`
}

// Detail is one learner in depth: the step timeline, last events, pods.
type Detail struct {
	Learner Learner    `json:"learner"`
	Steps   []StepSeen `json:"steps"`
	Events  []Line     `json:"events"`
	Pods    []Line     `json:"pods"`
}

// Source is where the views get the class from: the evaluator on a real
// cluster, a fixed snapshot in tests.
type Source interface {
	// Snapshot is the class now.
	Snapshot() Snapshot
	// Updates delivers a new snapshot after each change the cluster shows
	// (debounced), until ctx ends.
	Updates(ctx context.Context) <-chan Snapshot
	// Detail is one learner in depth.
	Detail(learner string) (Detail, bool)
}

// Actions are what an instructor can do from the dashboard; the commands
// push, reset and check do the same.
type Actions interface {
	// Push brings learners (all when empty) up to step to.
	Push(ctx context.Context, to string, learners []string) error
	// Reset returns a learner to the start (or up to step to).
	Reset(ctx context.Context, learner, to string) error
	// DeepCheck runs the real checks of the learner's steps that only a
	// command in a pod can judge, with the instructor's rights.
	DeepCheck(ctx context.Context, learner string) (Detail, error)
}
