// Package chaos is the "kill anywhere, finish anyway" harness. It runs a
// lesson in one namespace, kills its process with SIGKILL at chosen
// moments — the TUI under tmux (runner/termtest) or `kubetutor run LESSON
// --auto` — and starts it again in the same namespace each time, until the
// lesson finishes. It then requires what a kill must never cost: the lesson
// finishes, no node is left cordoned (and the lesson never holds more than
// one), nothing the lesson created is left after its cleanup, and the TUI's
// progress file can be read after every kill.
//
// The parts: a Plan says which process each start runs and when it is
// killed (pure, from a seed, so a failing run can be replayed); Texts read
// the TUI's screen and run's output through the i18n catalogue, so the
// harness follows wording changes; the Harness drives the processes and
// watches the cluster's nodes; a Report renders its rounds as a table. The
// e2e tests (build tag e2e) run it on the offline lab: TestChaosE2E in
// `make test` (two kills, one of them the TUI during the drain) and
// TestChaosFull in `make chaos` (CHAOS_KILLS, default 10).
package chaos

import (
	"math/rand/v2"
	"time"
)

// Mode is the kind of process a start runs.
type Mode string

// Modes.
const (
	TUI Mode = "tui" // `kubetutor open LESSON` under tmux, driven by keys
	Run Mode = "run" // `kubetutor run LESSON --auto -o json --progress`
)

// Start is one start of the lesson's process.
type Start struct {
	Mode Mode
	// Kill is when this start is killed; the last start has none and must
	// finish the lesson.
	Kill *Kill
}

// Kill says when a start is killed: at a random moment After its start,
// or earlier when the lesson reaches its last step (so that every planned
// kill happens before the lesson ends). Zero After: only a drain kills it.
type Kill struct {
	After time.Duration
}

// Plan is a run of the harness: its starts in order, and how many kills
// of each mode must come right when the drain cordons a node. A drain kill
// is taken by the first start of its mode that sees the drain begin,
// whatever its random moment.
type Plan struct {
	Starts []Start
	Drain  map[Mode]int
	Seed   uint64
}

// Kills is the number of planned kills.
func (p Plan) Kills() int { return len(p.Starts) - 1 }

// NewPlan plans n kills from seed: as many in the TUI as with run (the odd
// one random), in random order, each at a random moment between lo and
// hi after its start; one kill of each mode during the drain (when n ≥ 2);
// then a last start, of a random mode, that must finish.
func NewPlan(seed uint64, n int, lo, hi time.Duration) Plan {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	modes := make([]Mode, 0, n+1)
	for i := range n {
		if i < n/2 {
			modes = append(modes, TUI)
		} else {
			modes = append(modes, Run)
		}
	}
	if n%2 == 1 && r.IntN(2) == 0 {
		modes[n-1] = TUI
	}
	r.Shuffle(len(modes), func(i, j int) { modes[i], modes[j] = modes[j], modes[i] })
	p := Plan{Seed: seed, Drain: map[Mode]int{}}
	for _, m := range modes {
		after := lo
		if hi > lo {
			after += time.Duration(r.Int64N(int64(hi - lo)))
		}
		p.Starts = append(p.Starts, Start{Mode: m, Kill: &Kill{After: after.Round(100 * time.Millisecond)}})
	}
	last := Run
	if r.IntN(2) == 0 {
		last = TUI
	}
	p.Starts = append(p.Starts, Start{Mode: last})
	if n >= 2 {
		p.Drain[TUI], p.Drain[Run] = 1, 1
	} else if n == 1 {
		p.Drain[modes[0]] = 1
	}
	return p
}

// ShortPlan is the version `make test` runs: run killed at a random moment
// early in the lesson (between 5 and 30 s: the StatefulSet's pods start
// then), the TUI killed when the drain cordons its node, and the TUI again
// to finish — the restart that must resume at the drain step with the node
// uncordoned.
func ShortPlan(seed uint64) Plan {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	early := 5*time.Second + time.Duration(r.Int64N(int64(25*time.Second)))
	return Plan{
		Seed: seed,
		Starts: []Start{
			{Mode: Run, Kill: &Kill{After: early.Round(100 * time.Millisecond)}},
			{Mode: TUI, Kill: &Kill{}},
			{Mode: TUI},
		},
		Drain: map[Mode]int{TUI: 1},
	}
}
