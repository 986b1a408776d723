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
	"cmp"
	"math/rand/v2"
	"slices"
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

// Kill says when a start is killed. A random kill comes After this long
// once the process runs step Step or a later one (so kills spread over the
// whole lesson, whatever a restart skips). A drain kill comes right when
// the drain step cordons a node — the lesson's mark appears on it — or,
// should the process get past the drain without cordoning, at once.
type Kill struct {
	Step  int
	After time.Duration
	Drain bool
}

// Plan is a run of the harness: its starts in order.
type Plan struct {
	Starts []Start
	Seed   uint64
}

// Kills is the number of planned kills.
func (p Plan) Kills() int { return len(p.Starts) - 1 }

// NewPlan plans n kills from seed for a lesson of steps steps whose drain
// step is drain (-1: none): two of them (one when n is 1) during the
// drain, one in each mode; the others at a random step, a random moment
// up to maxAfter into it. As many kills are in the TUI as with run (the
// odd one random), in random order but in the lesson's order of steps.
// Then a last start, of a random mode, that must finish.
func NewPlan(seed uint64, n, steps, drain int, maxAfter time.Duration) Plan {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	drains := 0
	if drain >= 0 {
		drains = min(n, 2)
	}
	kills := make([]Kill, 0, n)
	for range drains {
		kills = append(kills, Kill{Step: drain, Drain: true})
	}
	for len(kills) < n {
		after := time.Duration(r.Int64N(int64(maxAfter) + 1)).Round(100 * time.Millisecond)
		kills = append(kills, Kill{Step: r.IntN(steps), After: after})
	}
	// In the lesson's order; at the drain step, the drain kills first.
	slices.SortStableFunc(kills, func(a, b Kill) int {
		if c := cmp.Compare(a.Step, b.Step); c != 0 {
			return c
		}
		if a.Drain != b.Drain {
			if a.Drain {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.After, b.After)
	})
	// Modes: the drain kills one each; the rest shuffled so that half of
	// all kills are in the TUI.
	tuis := n / 2
	if n%2 == 1 && r.IntN(2) == 0 {
		tuis++
	}
	var rest []Mode
	drainModes := []Mode{TUI, Run}
	r.Shuffle(2, func(i, j int) { drainModes[i], drainModes[j] = drainModes[j], drainModes[i] })
	drainModes = drainModes[:drains]
	for _, m := range drainModes {
		if m == TUI {
			tuis--
		}
	}
	for i := range n - drains {
		if i < tuis {
			rest = append(rest, TUI)
		} else {
			rest = append(rest, Run)
		}
	}
	r.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
	p := Plan{Seed: seed}
	for _, k := range kills {
		var m Mode
		if k.Drain {
			m, drainModes = drainModes[0], drainModes[1:]
		} else {
			m, rest = rest[0], rest[1:]
		}
		p.Starts = append(p.Starts, Start{Mode: m, Kill: &k})
	}
	last := Run
	if r.IntN(2) == 0 {
		last = TUI
	}
	p.Starts = append(p.Starts, Start{Mode: last})
	return p
}

// ShortPlan is the version `make test` runs: run killed at a random moment
// (up to 20 s) into the StatefulSet step (statefulset, its index), the TUI
// killed when the drain cordons its node, and the TUI again to finish —
// the restart that must resume at the drain step with the node uncordoned.
func ShortPlan(seed uint64, statefulset, drain int) Plan {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	after := time.Duration(r.Int64N(int64(20*time.Second) + 1)).Round(100 * time.Millisecond)
	return Plan{
		Seed: seed,
		Starts: []Start{
			{Mode: Run, Kill: &Kill{Step: statefulset, After: after}},
			{Mode: TUI, Kill: &Kill{Step: drain, Drain: true}},
			{Mode: TUI},
		},
	}
}
