package web

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"

	"github.com/kubetutor/kubetutor/runner/workshop"
)

// keepEvents is how many events the hub keeps for browsers that reconnect
// (Last-Event-ID); one that missed more gets a whole snapshot.
const keepEvents = 1024

// event is one server-sent event: the whole class (snapshot) or one
// learner's changed row (row).
type event struct {
	id   uint64
	name string // "snapshot" or "row"
	snap workshop.Snapshot
	// index and learner are the row that changed (name "row").
	index   int
	learner workshop.Learner
}

// hub turns the Source's snapshots into numbered events and wakes the
// browsers listening. It subscribes to Source.Updates only while at least
// one browser listens; ids keep counting across those subscriptions, so a
// browser that reconnects resumes where it left.
type hub struct {
	src workshop.Source

	mu   sync.Mutex
	seq  uint64            // id of the newest event (0: none yet)
	last workshop.Snapshot // the class as of seq
	log  []event           // the newest events, oldest first
	subs map[chan struct{}]struct{}
	// gen counts subscriptions to the Source: a closing one's last
	// snapshot must not land after a newer one's.
	gen    int
	cancel context.CancelFunc
}

func newHub(src workshop.Source) *hub {
	return &hub{src: src, subs: map[chan struct{}]struct{}{}}
}

// join registers a listener: its channel is signalled (at most one pending
// signal) when events arrive. The first listener starts the subscription.
func (h *hub) join() chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.subs) == 0 {
		ctx, cancel := context.WithCancel(context.Background())
		h.gen++
		h.cancel = cancel
		// Subscribe first, then read the class: no change falls between.
		updates := h.src.Updates(ctx)
		h.applyLocked(h.src.Snapshot())
		go h.pump(h.gen, updates)
	}
	ch := make(chan struct{}, 1)
	h.subs[ch] = struct{}{}
	return ch
}

// leave unregisters a listener; the last one ends the subscription.
func (h *hub) leave(ch chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, ch)
	if len(h.subs) == 0 && h.cancel != nil {
		h.cancel()
		h.cancel = nil
	}
}

func (h *hub) pump(gen int, updates <-chan workshop.Snapshot) {
	for s := range updates {
		h.mu.Lock()
		if gen == h.gen {
			h.applyLocked(s)
		}
		h.mu.Unlock()
	}
}

// applyLocked records what changed from the last snapshot to s as events
// and wakes the listeners.
func (h *hub) applyLocked(s workshop.Snapshot) {
	evs := diff(h.last, s, h.seq == 0)
	if len(evs) == 0 {
		return
	}
	for _, e := range evs {
		h.seq++
		e.id = h.seq
		h.log = append(h.log, e)
	}
	if n := len(h.log) - keepEvents; n > 0 {
		h.log = append([]event(nil), h.log[n:]...)
	}
	h.last = s
	for ch := range h.subs {
		select {
		case ch <- struct{}{}:
		default: // already signalled
		}
	}
}

// since returns the events after id: the logged ones when the log still
// holds them all, else (a new browser, id 0, or one too far behind or
// from before a restart) one snapshot event of the class now.
func (h *hub) since(id uint64) []event {
	h.mu.Lock()
	defer h.mu.Unlock()
	if id == h.seq && id != 0 {
		return nil
	}
	if id == 0 || id > h.seq || len(h.log) == 0 || id+1 < h.log[0].id {
		return []event{{id: h.seq, name: "snapshot", snap: h.last}}
	}
	return append([]event(nil), h.log[len(h.log)-int(h.seq-id):]...)
}

// diff is the events that turn a into b: one row event per changed
// learner, or a whole snapshot when the set of learners changed (or first).
func diff(a, b workshop.Snapshot, first bool) []event {
	whole := []event{{name: "snapshot", snap: b}}
	if first || a.Workshop != b.Workshop || a.Lesson != b.Lesson || len(a.Learners) != len(b.Learners) {
		return whole
	}
	var evs []event
	for i := range b.Learners {
		if a.Learners[i].Name != b.Learners[i].Name {
			return whole
		}
		if !sameJSON(a.Learners[i], b.Learners[i]) {
			evs = append(evs, event{name: "row", index: i, learner: b.Learners[i]})
		}
	}
	return evs
}

// sameJSON compares learners as the browser sees them (time.Time's ==
// also compares locations).
func sameJSON(a, b workshop.Learner) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
