//go:build e2e

package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/manifests"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

// BenchmarkLessonVsKubectl compares, on the lab, `kubetutor run LESSON
// --auto` with a plain kubectl script of the same steps: for each step
// the commands that do it by hand (step.Action.Commands) and `kubectl
// wait` — or a short loop of kubectl commands — for each check kubectl can
// express (step.KubectlWaiter), generated as the step starts (a drain
// names the node its pod is on then) and run line by line with bash and
// the lab's kubectl. The two alternate, each in a fresh namespace,
// BENCH_ROUNDS times (default 2); it prints per step and in total the mean
// times and the ratio tutor/script, and writes the table to
// $E2E_REPORT_DIR/bench-LESSON.md. make bench-e2e runs it (BENCH_LESSON
// picks another lesson); it is not part of make test.
func BenchmarkLessonVsKubectl(b *testing.B) {
	kubeconfig := os.Getenv("KUBECONFIG")
	if kubeconfig == "" {
		b.Fatal("KUBECONFIG is not set: make bench-e2e starts the lab and sets it")
	}
	labKubectl(b)
	bin := os.Getenv("KUBETUTOR_BIN")
	if bin == "" {
		b.Fatal("KUBETUTOR_BIN is not set: make bench-e2e builds bin/kubetutor and sets it")
	}
	id := os.Getenv("BENCH_LESSON")
	if id == "" {
		id = "mysql"
	}
	rounds := 2
	if n, err := strconv.Atoi(os.Getenv("BENCH_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	all, probs, err := lesson.LoadAll(lessons.FS, "lessons", step.Kinds())
	if err != nil || len(probs) > 0 {
		b.Fatalf("load lessons: %v %v", err, probs)
	}
	var l *lesson.Lesson
	for _, x := range all {
		if x.ID == id {
			l = x
		}
	}
	if l == nil {
		b.Fatalf("no lesson %q", id)
	}
	b.ResetTimer()
	var autos, scripts []timing
	for r := 0; r < rounds; r++ {
		order := []string{"tutor", "script"}
		if r%2 == 1 {
			order = []string{"script", "tutor"}
		}
		for _, which := range order {
			ns := fmt.Sprintf("bench-%s-%s-%d", which, id, time.Now().Unix())
			var tm timing
			if which == "tutor" {
				tm = benchTutor(b, bin, kubeconfig, ns, l)
				autos = append(autos, tm)
			} else {
				tm = benchScript(b, kubeconfig, ns, l)
				scripts = append(scripts, tm)
			}
			fmt.Printf("round %d %-6s %6.1f s (steps %.1f s)\n", r+1, which, tm.whole.Seconds(), tm.sum().Seconds())
		}
	}
	b.StopTimer()
	table := benchTable(l, autos, scripts)
	fmt.Println(table)
	if dir := os.Getenv("E2E_REPORT_DIR"); dir != "" {
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "bench-"+id+".md"), []byte(table), 0o644)
	}
}

// timing is one run: each step's time and the whole run's.
type timing struct {
	steps map[string]time.Duration
	whole time.Duration
}

func (t timing) sum() time.Duration {
	var s time.Duration
	for _, d := range t.steps {
		s += d
	}
	return s
}

// benchTutor runs the lesson with `run --auto`: the steps' times are the
// report's, the whole is the command's (preflight and start-up included).
func benchTutor(b *testing.B, bin, kubeconfig, ns string, l *lesson.Lesson) timing {
	labNamespace(b, kubeconfig, ns)
	start := time.Now()
	out, err := exec.Command(bin, "--kubeconfig", kubeconfig, "-n", ns, "run", l.ID, "--auto", "--lang", "en", "--output", "json").Output()
	whole := time.Since(start)
	var res report
	if jerr := json.Unmarshal(out, &res); jerr != nil || err != nil || !res.Passed {
		b.Fatalf("run --auto failed: %v %v\n%s", err, jerr, out)
	}
	tm := timing{steps: map[string]time.Duration{}, whole: whole}
	for _, s := range res.Steps {
		if s.ID != "preflight" && s.ID != "aftermath" {
			tm.steps[s.ID] = time.Duration(s.DurationMS) * time.Millisecond
		}
	}
	return tm
}

// benchScript runs the lesson as a kubectl script: each step's lines are
// generated as the step starts (not timed), then run one by one with bash;
// the whole is the namespace's creation plus every step.
func benchScript(b *testing.B, kubeconfig, ns string, l *lesson.Lesson) timing {
	c := labNamespace(b, kubeconfig, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	env := append(os.Environ(), "KUBECONFIG="+kubeconfig)
	run := func(line string) {
		cmd := exec.CommandContext(ctx, "bash", "-c", line)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("script line failed: %s: %v\n%s", line, err, out)
		}
	}
	tm := timing{steps: map[string]time.Duration{}}
	start := time.Now()
	run("kubectl create namespace " + ns)
	tm.whole = time.Since(start)
	// Watch: the engine only reads (adopting a hand-made cordon records it
	// without marking the node), as a script would.
	e := New(c, l, manifests.FS, Options{Watch: true, ManifestCache: b.TempDir()}, nil)
	var lines []string
	for i, s := range l.Spec.Steps {
		a := e.Arm(ctx, i)
		script, err := a.Script(ctx)
		if err != nil {
			b.Fatalf("step %s: %v", s.ID, err)
		}
		lines = append(lines, "# "+s.ID)
		lines = append(lines, script...)
		st := time.Now()
		for _, line := range script {
			run(line)
		}
		tm.steps[s.ID] = time.Since(st)
		tm.whole += tm.steps[s.ID]
		a.Adopt(ctx)
	}
	if dir := os.Getenv("E2E_REPORT_DIR"); dir != "" {
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "bench-"+l.ID+".sh"), []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	}
	return tm
}

// benchTable is the markdown table of mean times (with the fastest and
// slowest round) and the ratio of the means, tutor/script.
func benchTable(l *lesson.Lesson, autos, scripts []timing) string {
	stats := func(ts []timing, f func(timing) time.Duration) (mean, lo, hi time.Duration) {
		for i, t := range ts {
			d := f(t)
			mean += d
			if i == 0 || d < lo {
				lo = d
			}
			if d > hi {
				hi = d
			}
		}
		return mean / time.Duration(max(len(ts), 1)), lo, hi
	}
	cell := func(ts []timing, f func(timing) time.Duration, bold bool) (string, time.Duration) {
		m, lo, hi := stats(ts, f)
		s := fmt.Sprintf("%.1f s", m.Seconds())
		if bold {
			s = "**" + s + "**"
		}
		if len(ts) > 1 {
			s += fmt.Sprintf(" (%.1f–%.1f)", lo.Seconds(), hi.Seconds())
		}
		return s, m
	}
	ratio := func(a, s time.Duration) string {
		if s <= 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f", a.Seconds()/s.Seconds())
	}
	var b strings.Builder
	b.WriteString("| step | run --auto | kubectl script | ratio |\n|---|---:|---:|---:|\n")
	row := func(name string, f func(timing) time.Duration, bold bool) {
		a, am := cell(autos, f, bold)
		k, km := cell(scripts, f, bold)
		r := ratio(am, km)
		if bold {
			r = "**" + r + "**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", name, a, k, r)
	}
	for _, s := range l.Spec.Steps {
		row(s.ID, func(t timing) time.Duration { return t.steps[s.ID] }, false)
	}
	row("**lesson steps**", timing.sum, true)
	row("whole run (tutor: + preflight, start-up; script: + the namespace)", func(t timing) time.Duration { return t.whole }, false)
	var rs []string
	for i := range autos {
		if i < len(scripts) {
			rs = append(rs, ratio(autos[i].whole, scripts[i].whole))
		}
	}
	fmt.Fprintf(&b, "\nmean (fastest–slowest) of %d rounds, alternating which goes first; whole-run ratio per round: %s\n", len(autos), strings.Join(rs, ", "))
	return b.String()
}
