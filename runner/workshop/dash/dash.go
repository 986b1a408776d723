// Package dash is `kubetutor workshop watch`: the instructor's live
// terminal dashboard (Bubble Tea v2) of a workshop.
//
// The screen, top to bottom: a header (workshop, lesson, number of learners,
// how many are in each state), the checkpoint line, a histogram of learners
// per step (where the class is, where it bunches up), the learner table
// (failing and stuck learners first, then by step ascending), a status line
// (an action's progress and result, or a question) and the key bar. Enter
// opens a learner's detail: the step timeline with first-seen times, which
// steps the instructor pushed, which only a deep check can verify, the last
// events and the pods.
//
// Everything shown comes from a workshop.Source; the instructor's actions
// (push, reset, deep check) go to workshop.Actions. One root Model holds a
// shared common (size, translator, keys, styles, clock) and small
// components: the table, the detail, the step picker. Update and View do no
// I/O: the snapshot, the updates (a re-armed command reading
// Source.Updates), a learner's detail and every action run in tea.Cmds.
package dash

import (
	"context"
	"errors"
	"io"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/kubetutor/kubetutor/i18n"
	"github.com/kubetutor/kubetutor/runner/l10n"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/workshop"
)

// Options configure the dashboard.
type Options struct {
	// Lang is "en" or "ja".
	Lang string
	// Lesson gives the steps' titles and their number; nil shows step IDs.
	Lesson *lesson.Lesson
	// HideNames starts with names hidden ("learner 07"), for a projector;
	// h toggles it.
	HideNames bool
	// AltScreen draws on the terminal's alternate screen.
	AltScreen bool
	// Now is the clock (tests fix it); nil is time.Now. Times are shown in
	// its location.
	Now func() time.Time
}

// refresh is how often times on step are redrawn: they grow with the clock,
// not with the cluster.
const refresh = time.Second

// Run shows the dashboard on out, reading keys from in, until the user
// quits or ctx ends. act may be nil: the dashboard is then read-only.
func Run(ctx context.Context, in io.Reader, out io.Writer, src workshop.Source, act workshop.Actions, opts Options) error {
	cat, err := l10n.LoadCatalog(i18n.FS)
	if err != nil {
		return err
	}
	m := New(ctx, cat, src, act, opts)
	m.tick = refresh
	defer m.cancel()
	p := tea.NewProgram(m, tea.WithInput(in), tea.WithOutput(out), tea.WithContext(ctx))
	_, err = p.Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil // interrupted: a clean exit
	}
	return err
}
