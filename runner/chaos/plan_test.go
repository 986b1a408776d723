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
		name          string
		n             int
		wantTUI       []int // allowed numbers of TUI kills
		wantDrainKill int
	}{
		{"ten", 10, []int{5}, 2},
		{"eleven", 11, []int{5, 6}, 2},
		{"two", 2, []int{1}, 2},
		{"one", 1, []int{0, 1}, 1},
		{"none", 0, []int{0}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for seed := range uint64(20) {
				p := NewPlan(seed, tt.n, 2*time.Second, 22*time.Second)
				if p.Kills() != tt.n || len(p.Starts) != tt.n+1 {
					t.Fatalf("seed %d: %d kills in %d starts, want %d in %d", seed, p.Kills(), len(p.Starts), tt.n, tt.n+1)
				}
				tui := 0
				for i, s := range p.Starts[:tt.n] {
					if s.Kill == nil || s.Kill.After < 2*time.Second || s.Kill.After > 22*time.Second {
						t.Fatalf("seed %d: start %d kill %+v, want a moment in [2s, 22s]", seed, i, s.Kill)
					}
					if s.Mode == TUI {
						tui++
					}
				}
				if !slices.Contains(tt.wantTUI, tui) {
					t.Errorf("seed %d: %d TUI kills of %d, want one of %v", seed, tui, tt.n, tt.wantTUI)
				}
				if last := p.Starts[tt.n]; last.Kill != nil {
					t.Errorf("seed %d: the last start is killed too", seed)
				}
				if got := p.Drain[TUI] + p.Drain[Run]; got != tt.wantDrainKill {
					t.Errorf("seed %d: %d drain kills, want %d", seed, got, tt.wantDrainKill)
				}
			}
		})
	}
}

func TestPlanSeeded(t *testing.T) {
	a, b := NewPlan(42, 10, time.Second, 20*time.Second), NewPlan(42, 10, time.Second, 20*time.Second)
	if !reflect.DeepEqual(a, b) {
		t.Error("the same seed gave two plans")
	}
	if c := NewPlan(43, 10, time.Second, 20*time.Second); reflect.DeepEqual(a.Starts, c.Starts) {
		t.Error("another seed gave the same plan")
	}
}

func TestShortPlan(t *testing.T) {
	for seed := range uint64(20) {
		p := ShortPlan(seed)
		modes := []Mode{}
		for _, s := range p.Starts {
			modes = append(modes, s.Mode)
		}
		if !reflect.DeepEqual(modes, []Mode{Run, TUI, TUI}) || p.Kills() != 2 {
			t.Fatalf("seed %d: starts %v, want run, tui (killed at the drain), tui", seed, modes)
		}
		if k := p.Starts[0].Kill; k.After < 5*time.Second || k.After > 30*time.Second {
			t.Errorf("seed %d: run killed after %s, want early (5–30 s)", seed, k.After)
		}
		if k := p.Starts[1].Kill; k.After != 0 || p.Drain[TUI] != 1 || p.Drain[Run] != 0 {
			t.Errorf("seed %d: the TUI must be killed by the drain only: %+v, drain %v", seed, k, p.Drain)
		}
	}
}

func TestTable(t *testing.T) {
	steps := []string{"apply", "statefulset", "drain-node", "cleanup"}
	rep := &Report{
		Plan: ShortPlan(7), Namespace: "chaos-1", Steps: steps, Finished: true, MostCordoned: 1, ProgressReads: 2,
		Duration: 200 * time.Second,
		Rounds: []Round{
			{N: 1, Mode: Run, Resumed: 0, Killed: true, Trigger: triggerRandom, At: 12300 * time.Millisecond, Step: 1, From: "output"},
			{N: 2, Mode: TUI, Resumed: 1, Prompted: true, Killed: true, Trigger: triggerDrain, At: 70 * time.Second, Step: 2, From: "screen"},
			{N: 3, Mode: TUI, Resumed: 2, Prompted: true, Uncordoned: []string{"lab-worker-2"}, Finished: true, Took: 40 * time.Second},
		},
	}
	want := `| kill | mode | after | moment | step at the kill (read from) | the restart |
|---:|---|---:|---|---|---|
| 1 | run | 12.3 s | random | 2/4 statefulset (output) | tui: offered to resume at 2/4 statefulset |
| 2 | tui | 70.0 s | drain | 3/4 drain-node (screen) | tui: offered to resume at 3/4 drain-node; uncordoned lab-worker-2 and said so |
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
