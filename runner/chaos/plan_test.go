package chaos

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNewPlan(t *testing.T) {
	tests := []struct {
		name       string
		n          int
		drain      int
		wantTUI    []int // allowed numbers of TUI kills
		wantDrains int
	}{
		{"ten", 10, 9, []int{5}, 2},
		{"eleven", 11, 9, []int{5, 6}, 2},
		{"two", 2, 9, []int{1}, 2},
		{"one", 1, 9, []int{0, 1}, 1},
		{"none", 0, 9, []int{0}, 0},
		{"no drain step", 4, -1, []int{2}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for seed := range uint64(50) {
				p := NewPlan(seed, tt.n, 15, tt.drain, 10*time.Second)
				if p.Kills() != tt.n || len(p.Starts) != tt.n+1 {
					t.Fatalf("seed %d: %d kills in %d starts, want %d in %d", seed, p.Kills(), len(p.Starts), tt.n, tt.n+1)
				}
				tui, drains := 0, map[Mode]int{}
				prev := -1
				for i, s := range p.Starts[:tt.n] {
					k := s.Kill
					switch {
					case k == nil:
						t.Fatalf("seed %d: start %d is not killed", seed, i)
					case k.Drain:
						drains[s.Mode]++
						if k.Step != tt.drain {
							t.Errorf("seed %d: drain kill at step %d", seed, k.Step)
						}
					case k.Step < 0 || k.Step >= 15 || k.After < 0 || k.After > 10*time.Second:
						t.Errorf("seed %d: start %d kill %+v, want a step of 15 and a moment in [0, 10 s]", seed, i, *k)
					}
					if k.Step < prev {
						t.Errorf("seed %d: kill %d at step %d after one at step %d: not in the lesson's order", seed, i, k.Step, prev)
					}
					prev = k.Step
					if s.Mode == TUI {
						tui++
					}
				}
				if !slices.Contains(tt.wantTUI, tui) {
					t.Errorf("seed %d: %d TUI kills of %d, want one of %v", seed, tui, tt.n, tt.wantTUI)
				}
				if got := drains[TUI] + drains[Run]; got != tt.wantDrains || drains[TUI] > 1 || drains[Run] > 1 {
					t.Errorf("seed %d: drain kills %v, want %d, at most one per mode", seed, drains, tt.wantDrains)
				}
				if last := p.Starts[tt.n]; last.Kill != nil {
					t.Errorf("seed %d: the last start is killed too", seed)
				}
			}
		})
	}
}

func TestPlanSeeded(t *testing.T) {
	a, b := NewPlan(42, 10, 15, 9, 10*time.Second), NewPlan(42, 10, 15, 9, 10*time.Second)
	if !reflect.DeepEqual(a, b) {
		t.Error("the same seed gave two plans")
	}
	if c := NewPlan(43, 10, 15, 9, 10*time.Second); reflect.DeepEqual(a.Starts, c.Starts) {
		t.Error("another seed gave the same plan")
	}
}

func TestShortPlan(t *testing.T) {
	for seed := range uint64(20) {
		p := ShortPlan(seed, 2, 9)
		modes := []Mode{}
		for _, s := range p.Starts {
			modes = append(modes, s.Mode)
		}
		if !reflect.DeepEqual(modes, []Mode{Run, TUI, TUI}) || p.Kills() != 2 {
			t.Fatalf("seed %d: starts %v, want run, tui (killed at the drain), tui", seed, modes)
		}
		if k := p.Starts[0].Kill; k.Step != 2 || k.Drain || k.After > 20*time.Second {
			t.Errorf("seed %d: run killed %+v, want up to 20 s into the StatefulSet step", seed, *k)
		}
		if k := p.Starts[1].Kill; !k.Drain || k.Step != 9 {
			t.Errorf("seed %d: the TUI must be killed by the drain: %+v", seed, *k)
		}
	}
}

func TestTable(t *testing.T) {
	steps := []string{"apply", "statefulset", "drain-node", "cleanup"}
	rep := &Report{
		Plan: ShortPlan(7, 1, 2), Namespace: "chaos-1", Steps: steps, Finished: true, MostCordoned: 1, ProgressReads: 2,
		Duration: 200 * time.Second,
		Rounds: []Round{
			{N: 1, Mode: Run, Kill: &Kill{Step: 1, After: 4200 * time.Millisecond}, Resumed: 0, Killed: true, Trigger: triggerRandom, At: 12300 * time.Millisecond, Step: 1, From: "output"},
			{N: 2, Mode: TUI, Kill: &Kill{Step: 2, Drain: true}, Resumed: 1, Prompted: true, Killed: true, Trigger: triggerDrain, At: 70 * time.Second, Step: 2, From: "screen"},
			{N: 3, Mode: TUI, Resumed: 2, Prompted: true, Uncordoned: []string{"lab-worker-2"}, Finished: true, Took: 40 * time.Second},
		},
	}
	want := `| kill | mode | after | moment | step at the kill (read from) | the restart |
|---:|---|---:|---|---|---|
| 1 | run | 12.3 s | random: 4.2 s into step 2 or later | 2/4 statefulset (output) | tui: offered to resume at 2/4 statefulset |
| 2 | tui | 70.0 s | drain: its cordon seen | 3/4 drain-node (screen) | tui: offered to resume at 3/4 drain-node; uncordoned lab-worker-2 and said so |
| – | tui | 40.0 s | — | finished: the summary | |
`
	if got := rep.Table(); got != want {
		t.Errorf("Table:\n%s\nwant:\n%s", got, want)
	}
	fig := rep.Figures()
	for _, s := range []string{"kills: 2 of 2 planned (1 during the drain), 3 starts, seed 7", "finished: yes", "problems: 0"} {
		if !strings.Contains(fig, s) {
			t.Errorf("Figures lack %q:\n%s", s, fig)
		}
	}
}
