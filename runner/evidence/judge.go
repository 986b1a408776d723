// Package evidence tells how far a learner got in a lesson from the
// cluster itself: what exists now, and what the cluster still remembers of
// its history (UIDs, creation times, events). Both the TUI's resume and the
// workshop's instructor view use it, so a learner who typed every command
// by hand shows up exactly like one who pressed Enter in the tutor.
//
// Each check kind judges its own Evidence from a step.History (see
// runner/step/history.go): Proven (the history shows it happened, and
// when), Holds / NotNow (a state that holds or not right now), NotYet (no
// sign of it) or Inside (only a command in a pod can tell: SQL, exec).
// Judge combines them along the lesson:
//
//   - step by step, a check is judged relative to since: the time the
//     cluster last proved an earlier step, so "the pod was re-created"
//     means re-created after the step before it;
//   - the furthest step with proof (or a record of it, the cache) is done,
//     and so is every step before it — later steps undo earlier state by
//     design (scale down, cleanup), so an earlier step whose state is gone
//     is implied, never "lost";
//   - after it, a step whose states all hold now is done too, unless a step
//     in between has evidence that it has not happened (NotYet).
//
// Judging reads nothing but the History: it costs no API requests.
package evidence

import (
	"time"

	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

// How says why a step counts as done.
type How string

// Reasons a step is done.
const (
	Proven   How = "proven"   // its own evidence in the cluster's history
	Recorded How = "recorded" // the record (progress file, workshop state) says so
	Implied  How = "implied"  // a later step is done
	Holding  How = "holds"    // its states hold now, right after a done step
)

// Step is the judgement of one step.
type Step struct {
	ID string
	// Proof is the step's own evidence, its checks combined.
	Proof step.Proof
	// At is when the evidence (or the record) says the step happened.
	At time.Time
	// Msg is what was seen (the first proving check's message).
	Msg step.Msg
	// Done and How: whether the step counts as done, and why.
	Done bool
	How  How
}

// Progress is the judgement of a whole lesson in one namespace.
type Progress struct {
	Steps []Step
	// Reached is the index of the furthest done step (-1: none).
	Reached int
}

// Next is the index of the first step not done (len(Steps) when all are).
func (p Progress) Next() int { return p.Reached + 1 }

// Record is what a cache remembers of steps seen done, by step ID: the
// progress file for the TUI, the workshop's state file for the dashboard.
// A record counts only for the attempt it was made in: entries before the
// history's epoch (a reset) are ignored.
type Record map[string]time.Time

// Judge judges every step of steps from h and rec. It is pure. Pass the
// steps as they run on the learner's cluster (lesson.Spec.For with the
// traits engine.DetectStorage finds): a step with variants is judged by its
// own checks otherwise.
func Judge(steps []lesson.Step, h *step.History, rec Record) Progress {
	p := Progress{Steps: make([]Step, len(steps)), Reached: -1}
	if len(steps) > 0 && h.Empty() {
		if _, finished := rec[steps[len(steps)-1].ID]; !finished {
			// The lesson's objects are all gone although the record says it
			// is under way: someone cleaned up by hand; the record is stale.
			rec = nil
		}
	}
	since := h.Epoch
	for i, s := range steps {
		st := judgeStep(s, h, since)
		if at, ok := rec[s.ID]; ok && !at.Before(h.Epoch) && st.Proof != step.Proven {
			st.At, st.How = at, Recorded
		}
		if st.Proof == step.Proven {
			st.How = Proven
		}
		if st.How != "" {
			p.Reached = i
			if st.At.After(since) {
				since = st.At
			}
		}
		p.Steps[i] = st
	}
	for i := 0; i < p.Reached; i++ {
		if p.Steps[i].How == "" {
			p.Steps[i].How = Implied
		}
	}
	for i := 0; i <= p.Reached; i++ {
		p.Steps[i].Done = true
	}
	// After the furthest proof, steps whose states hold now, up to the last
	// one that holds; a step showing it has not happened stops the search.
	last := p.Reached
	for i := p.Reached + 1; i < len(p.Steps); i++ {
		if p.Steps[i].Proof == step.NotYet {
			break
		}
		if p.Steps[i].Proof == step.Holds {
			last = i
		}
	}
	for i := p.Reached + 1; i <= last; i++ {
		p.Steps[i].Done = true
		p.Steps[i].How = Holding
		if p.Steps[i].Proof != step.Holds {
			p.Steps[i].How = Implied
		}
	}
	p.Reached = last
	return p
}

// judgeStep combines the evidence of a step's checks and evidence entries:
// any NotYet → NotYet; else any Proven → Proven (at the latest proof); else
// any NotNow → NotNow; else any Holds → Holds; else Inside.
func judgeStep(s lesson.Step, h *step.History, since time.Time) Step {
	st := Step{ID: s.ID, Proof: step.Inside}
	var proven, notNow, holds bool
	for _, c := range append(append([]lesson.Check(nil), s.Checks...), s.Evidence...) {
		chk, err := step.NewCheck(c)
		if err != nil {
			continue
		}
		ev := chk.Evidence(h, since)
		switch ev.Proof {
		case step.NotYet:
			return Step{ID: s.ID, Proof: step.NotYet, Msg: ev.Msg}
		case step.Proven:
			if !proven || ev.At.After(st.At) {
				st.At = ev.At
			}
			if !proven {
				st.Msg = ev.Msg
			}
			proven = true
		case step.NotNow:
			notNow = true
			if st.Msg.IsZero() {
				st.Msg = ev.Msg
			}
		case step.Holds:
			holds = true
		}
	}
	switch {
	case proven:
		st.Proof = step.Proven
	case notNow:
		st.Proof = step.NotNow
	case holds:
		st.Proof = step.Holds
	}
	return st
}
