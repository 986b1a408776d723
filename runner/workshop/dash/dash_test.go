package dash

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/kubetutor/kubetutor/i18n"
	"github.com/kubetutor/kubetutor/runner/l10n"
	"github.com/kubetutor/kubetutor/runner/workshop"
	"github.com/kubetutor/kubetutor/runner/workshop/workshoptest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// newModel builds a dashboard of the fixture class at w×h, fed its first
// snapshot. act nil makes it read-only.
func newModel(t *testing.T, f *workshoptest.Fake, act workshop.Actions, lang string, w, h int) *Model {
	t.Helper()
	cat, err := l10n.LoadCatalog(i18n.FS)
	if err != nil {
		t.Fatal(err)
	}
	l, err := workshoptest.Lesson()
	if err != nil {
		t.Fatal(err)
	}
	m := New(t.Context(), cat, f, act, Options{Lang: lang, Lesson: l, Now: func() time.Time { return workshoptest.Clock }})
	send(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	send(t, m, snapshotMsg(f.Snapshot()))
	return m
}

// send delivers msg and runs the commands it returns, like the program
// loop would, until none are left. It reports whether the model quit.
func send(t *testing.T, m *Model, msg tea.Msg) (quit bool) {
	t.Helper()
	_, cmd := m.Update(msg)
	return run(t, m, cmd)
}

func run(t *testing.T, m *Model, cmd tea.Cmd) (quit bool) {
	t.Helper()
	if cmd == nil {
		return false
	}
	switch msg := cmd().(type) {
	case nil:
	case tea.QuitMsg:
		return true
	case tea.BatchMsg:
		for _, c := range msg {
			if run(t, m, c) {
				quit = true
			}
		}
	default:
		if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeOf(tea.Cmd(nil)) {
			for i := 0; i < v.Len(); i++ {
				if run(t, m, v.Index(i).Interface().(tea.Cmd)) {
					return true
				}
			}
			return false
		}
		return send(t, m, msg)
	}
	return quit
}

// press turns a key name into a key press.
func press(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

func keys(t *testing.T, m *Model, ks ...string) (quit bool) {
	t.Helper()
	for _, k := range ks {
		if send(t, m, press(k)) {
			quit = true
		}
	}
	return quit
}

func screen(m *Model) string { return ansi.Strip(m.Render()) }

// golden compares got with testdata/<test>/<name>.golden (-update rewrites).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", strings.Split(t.Name(), "/")[0], name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (go test ./runner/workshop/dash -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

var sizes = [][2]int{{80, 24}, {120, 40}}

// checkScreen fails when s is not exactly h lines of at most w cells.
func checkScreen(t *testing.T, s string, w, h int) {
	t.Helper()
	lines := strings.Split(s, "\n")
	if len(lines) != h {
		t.Errorf("screen has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			t.Errorf("line %d is %d cells wide (> %d): %q", i+1, ansi.StringWidth(l), w, l)
		}
	}
}

// goldenScreens shows the fixture class in both languages at both sizes,
// presses keys, and compares the screen with its golden file.
func goldenScreens(t *testing.T, ks ...string) {
	t.Helper()
	for _, lang := range []string{"ja", "en"} {
		for _, sz := range sizes {
			name := fmt.Sprintf("%s_%dx%d", lang, sz[0], sz[1])
			t.Run(name, func(t *testing.T) {
				f := workshoptest.New(workshoptest.Class())
				f.SetDetail(workshoptest.BenDetail())
				m := newModel(t, f, f, lang, sz[0], sz[1])
				keys(t, m, ks...)
				s := screen(m)
				checkScreen(t, s, sz[0], sz[1])
				golden(t, name, s)
			})
		}
	}
}

func TestTableView(t *testing.T) { goldenScreens(t) }

// The second row is ben (stuck); Enter opens his detail.
func TestDetailView(t *testing.T) { goldenScreens(t, "down", "enter") }

func TestCheckpointView(t *testing.T) {
	goldenScreens(t, "c", "down", "down", "down", "down", "down", "down", "down", "enter")
}

func TestHiddenNames(t *testing.T) { goldenScreens(t, "h") }

func TestHelpOverlay(t *testing.T) { goldenScreens(t, "?") }

func TestPushPicker(t *testing.T) { goldenScreens(t, "down", "p") }
