// Package workshoptest has what tests of the workshop views need: a Fake
// that is both a workshop.Source and workshop.Actions, a small lesson with
// titles in both languages, and a class of learners in every state.
package workshoptest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/kubetutor/kubetutor/runner/workshop"
)

// Fake is a Source whose snapshot the test sets, and Actions that record
// their calls. It is safe for concurrent use.
type Fake struct {
	mu      sync.Mutex
	snap    workshop.Snapshot
	details map[string]workshop.Detail
	subs    map[chan workshop.Snapshot]struct{}
	calls   []string
	err     error
}

// New returns a Fake showing s.
func New(s workshop.Snapshot) *Fake {
	return &Fake{snap: s, details: map[string]workshop.Detail{}, subs: map[chan workshop.Snapshot]struct{}{}}
}

// Snapshot is the snapshot last set.
func (f *Fake) Snapshot() workshop.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap
}

// Updates delivers every snapshot Set after the call (the newest one
// when the reader is slow) and is closed when ctx ends.
func (f *Fake) Updates(ctx context.Context) <-chan workshop.Snapshot {
	ch := make(chan workshop.Snapshot, 1)
	f.mu.Lock()
	f.subs[ch] = struct{}{}
	f.mu.Unlock()
	go func() {
		<-ctx.Done()
		f.mu.Lock()
		delete(f.subs, ch)
		close(ch)
		f.mu.Unlock()
	}()
	return ch
}

// Subscribers is how many Updates channels are open.
func (f *Fake) Subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

// Set replaces the snapshot and delivers it to every subscriber.
func (f *Fake) Set(s workshop.Snapshot) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.snap = s
	for ch := range f.subs {
		select {
		case <-ch: // a slow reader gets the newest snapshot only
		default:
		}
		ch <- s
	}
}

// Update changes one learner (by name) with change and Sets the result.
func (f *Fake) Update(name string, change func(*workshop.Learner)) {
	s := f.Snapshot()
	s.Learners = slices.Clone(s.Learners)
	for i := range s.Learners {
		if s.Learners[i].Name == name {
			change(&s.Learners[i])
		}
	}
	f.Set(s)
}

// SetDetail sets what Detail returns for d.Learner.Name.
func (f *Fake) SetDetail(d workshop.Detail) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.details[d.Learner.Name] = d
}

// Detail is the detail set for learner, or one built from its row.
func (f *Fake) Detail(learner string) (workshop.Detail, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if d, ok := f.details[learner]; ok {
		return d, true
	}
	for _, l := range f.snap.Learners {
		if l.Name == learner {
			return workshop.Detail{Learner: l}, true
		}
	}
	return workshop.Detail{}, false
}

// Fail makes every action return err (nil: succeed).
func (f *Fake) Fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

// Calls lists the actions called, one line each: "push drain-node 03,04"
// ("*" for every learner), "reset 03 ", "check 03".
func (f *Fake) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *Fake) record(format string, args ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
	return f.err
}

// Push records the call.
func (f *Fake) Push(ctx context.Context, to string, learners []string) error {
	who := strings.Join(learners, ",")
	if who == "" {
		who = "*"
	}
	return f.record("push %s %s", to, who)
}

// Reset records the call.
func (f *Fake) Reset(ctx context.Context, learner, to string) error {
	return f.record("reset %s %s", learner, to)
}

// DeepCheck records the call and returns the learner's detail with every
// Inside step done.
func (f *Fake) DeepCheck(ctx context.Context, learner string) (workshop.Detail, error) {
	if err := f.record("check %s", learner); err != nil {
		return workshop.Detail{}, err
	}
	d, ok := f.Detail(learner)
	if !ok {
		return workshop.Detail{}, fmt.Errorf("no learner %q", learner)
	}
	d.Steps = slices.Clone(d.Steps)
	for i := range d.Steps {
		if d.Steps[i].Inside {
			d.Steps[i].Done, d.Steps[i].How = true, "checked"
		}
	}
	return d, nil
}

var (
	_ workshop.Source  = (*Fake)(nil)
	_ workshop.Actions = (*Fake)(nil)
)
