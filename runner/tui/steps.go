package tui

import (
	"context"
	"errors"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/kubetutor/kubetutor/runner/engine"
	"github.com/kubetutor/kubetutor/runner/evidence"
	"github.com/kubetutor/kubetutor/runner/flow"
	"github.com/kubetutor/kubetutor/runner/progress"
	"github.com/kubetutor/kubetutor/runner/step"
)

// Step messages.
type (
	// stepEventMsg is one engine event of run id.
	stepEventMsg struct {
		id    int
		ev    engine.Event
		again tea.Cmd // waits for the next event of the run
	}
	// stepDoneMsg is the outcome of run id.
	stepDoneMsg struct {
		id       int
		index    int
		res      engine.StepResult
		canceled bool
	}
	progressLoadedMsg struct {
		st  progress.State
		err error
	}
	// judgedMsg is how far the lesson got, judged when it opens.
	judgedMsg struct {
		st progress.State
		j  Judgement
	}
	resetDoneMsg   struct{ a *engine.Aftermath }
	uncordonedMsg  struct{ a *engine.Aftermath }
	savedMsg       struct{ err error }
	terminateMsg   struct{}
	previewsMsg    map[int][]string
	progressErrMsg struct{ err error }
)

// runView is what the step panel shows about the step that runs.
type runView struct {
	id      int
	index   int
	catchUp bool
	started time.Time
	// doing is the action's or the awaited check's description.
	doing    step.Msg
	awaiting bool
	// latest is the newest observation, seen since since.
	latest step.Msg
	since  time.Time
	// outcome is what the action did.
	outcome step.Msg
}

// live reports whether steps run on a cluster here.
func (m *lessonModel) live() bool { return m.flow.Mode != flow.Reading }

// loadProgress reads stored progress (a command: file I/O).
func (m *lessonModel) loadProgress() tea.Cmd {
	store, id := m.c.progress, m.l.ID
	return func() tea.Msg {
		if store == nil {
			return progressLoadedMsg{}
		}
		st, err := store.Load(id)
		return progressLoadedMsg{st: st, err: err}
	}
}

// stored turns the steps found done into flow statuses, in step order:
// the judged progress, with the stored status (unavailable) where one was
// kept.
func (m *lessonModel) stored(st progress.State, p evidence.Progress) []flow.Status {
	var out []flow.Status
	for i, s := range m.l.Spec.Steps {
		if i > p.Reached {
			break
		}
		rec := st.Steps[s.ID]
		if rec.Status == progress.Unavailable {
			out = append(out, flow.Unavailable)
		} else {
			out = append(out, flow.Passed)
		}
		if rec.DurationMS > 0 {
			m.durations[i] = time.Duration(rec.DurationMS) * time.Millisecond
		}
	}
	return out
}

// opened runs once progress is loaded: it judges how far the lesson got
// on the cluster (a command), unless another kubetutor holds the lesson.
func (m *lessonModel) opened(msg progressLoadedMsg) tea.Cmd {
	if msg.err != nil {
		m.setNotice(msg.err.Error())
		if errors.Is(msg.err, progress.ErrLocked) {
			m.locked = msg.err.Error() // another kubetutor runs this lesson here: read only
			return nil
		}
	}
	m.epoch = msg.st.Epoch
	runner, l, ctx, st := m.runner, m.l, m.ctx, msg.st
	return func() tea.Msg { return judgedMsg{st: st, j: runner.Judge(ctx, l, st)} }
}

// judged starts the flow live from the judged progress; the panes'
// streams start and previews are read.
func (m *lessonModel) judged(msg judgedMsg) tea.Cmd {
	tr, p := m.c.tr, msg.j.Progress
	var notes []string
	if len(msg.j.Uncordoned) > 0 {
		notes = append(notes, tr.T("TUIUncordonedLeft", map[string]any{"Nodes": strings.Join(msg.j.Uncordoned, ", ")}))
	}
	ids := make([]string, len(m.l.Spec.Steps))
	for i, s := range m.l.Spec.Steps {
		ids[i] = s.ID
	}
	storedNext := msg.st.FirstUnfinished(ids)
	if msg.j.Err != nil {
		// The cluster could not be read: resume from what was stored.
		notes = append(notes, tr.T("TUIJudgeFailed", map[string]any{"Err": msg.j.Err.Error()}))
		p = evidence.Progress{Reached: storedNext - 1}
	}
	switch next := p.Next(); {
	case next < storedNext && storedNext > 0:
		m.changed = tr.T("TUIChanged", map[string]any{"N": next + 1, "Title": m.stepTitle(next), "Stored": storedNext})
	case next > storedNext:
		notes = append(notes, tr.T("TUIFoundDone", map[string]any{"N": next}))
	}
	if len(notes) > 0 {
		m.setNotice(strings.Join(notes, " "))
	}
	for i, s := range p.Steps {
		if s.Done && !s.At.IsZero() {
			m.firstSeen[m.l.Spec.Steps[i].ID] = s.At
		}
	}
	open := m.next(flow.Opened{Steps: len(m.l.Spec.Steps), Live: true, Stored: m.stored(msg.st, p)})
	return tea.Batch(open, m.previewCmd(), m.startLive())
}

// startLive starts the live panes' streams (once the lesson is live and
// shown); stopLive stops them when the lesson is left.
func (m *lessonModel) startLive() tea.Cmd {
	if m.streams != nil || !m.live() || m.ctx.Err() != nil {
		return nil
	}
	live := m.runner.Live(m.l)
	if live == nil || live.Client == nil {
		return nil
	}
	m.liveGen++
	ctx, cancel := context.WithCancel(m.ctx)
	m.liveCancel = cancel
	target, query := readTarget(m.l)
	m.streams = startStreams(ctx, live, m.liveGen, target, query)
	m.logPod, m.logs = "", nil
	m.followTarget()
	return tea.Batch(m.streams.wait(), tick(m.liveGen))
}

func (m *lessonModel) stopLive() {
	if m.liveCancel != nil {
		m.liveCancel()
	}
	m.streams, m.liveCancel = nil, nil
	m.liveGen++ // messages still queued from the old streams are dropped
}

func tick(gen int) tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return tickMsg{gen: gen} })
}

func (m *lessonModel) previewCmd() tea.Cmd {
	runner, l := m.runner, m.l
	return func() tea.Msg {
		out := previewsMsg{}
		for i := range l.Spec.Steps {
			if p := runner.Preview(l, i); len(p) > 0 {
				out[i] = p
			}
		}
		return out
	}
}

// next feeds an event to the flow and carries out its effects.
func (m *lessonModel) next(e flow.Event) tea.Cmd {
	var effects []flow.Effect
	m.flow, effects = flow.Next(m.flow, e)
	return m.effects(effects)
}

// effects turns the flow's effects into commands. With Quit they run in
// order (uncordon, save, then quit); otherwise together.
func (m *lessonModel) effects(effects []flow.Effect) tea.Cmd {
	var cmds []tea.Cmd
	quit := false
	for _, e := range effects {
		switch e := e.(type) {
		case flow.RunStep:
			m.hands.stop() // the run keeps the armed step's checks
			cmds = append(cmds, m.startStep(e))
		case flow.Watch:
			cmds = append(cmds, m.hands.start(m.ctx, m.runner, m.l, e.Index, m.c.now()))
		case flow.StopWatch:
			m.hands.stop()
		case flow.CancelStep:
			if m.stepCancel != nil {
				m.stepCancel()
			}
		case flow.Cleanup:
			cmds = append(cmds, m.resetCmd())
		case flow.Save:
			cmds = append(cmds, m.saveCmd())
		case flow.ClearProgress:
			m.durations, m.results, m.firstSeen = map[int]time.Duration{}, map[int]engine.StepResult{}, map[string]time.Time{}
			// Starting over: the cluster's history before now is no
			// longer progress (the epoch), whatever objects remain.
			store, id, epoch := m.c.progress, m.l.ID, m.c.now()
			m.epoch = epoch
			cmds = append(cmds, func() tea.Msg {
				if store == nil {
					return nil
				}
				if err := store.Save(id, progress.State{Epoch: epoch, Steps: map[string]progress.StepRecord{}}); err != nil {
					return progressErrMsg{err}
				}
				return nil
			})
		case flow.Uncordon:
			runner := m.runner
			cmds = append(cmds, func() tea.Msg { return uncordonedMsg{runner.Uncordon()} })
		case flow.Quit:
			quit = true
		}
	}
	if quit {
		m.quitting = true
		m.close()
		return tea.Sequence(append(cmds, tea.Quit)...)
	}
	return tea.Batch(cmds...)
}

// startStep runs a step in a command; its engine events come through a
// channel drained by a re-armed wait command.
func (m *lessonModel) startStep(rs flow.RunStep) tea.Cmd {
	m.runID++
	id := m.runID
	ctx, cancel := context.WithCancel(m.ctx)
	m.stepCancel = cancel
	now := m.c.now()
	m.running = &runView{id: id, index: rs.Index, catchUp: rs.CatchUp, started: now, since: now}
	m.changed = ""
	m.followTarget()
	ch := make(chan engine.Event, 256)
	obs := engine.ObserverFunc(func(e engine.Event) {
		select {
		case ch <- e:
		case <-ctx.Done():
		}
	})
	runner, l, i, catchUp := m.runner, m.l, rs.Index, rs.CatchUp
	run := func() tea.Msg {
		res := runner.RunStep(ctx, l, i, catchUp, obs)
		close(ch)
		return stepDoneMsg{id: id, index: i, res: res, canceled: ctx.Err() != nil}
	}
	return tea.Batch(run, waitStep(id, ch))
}

func waitStep(id int, ch <-chan engine.Event) tea.Cmd {
	return func() tea.Msg {
		e, ok := <-ch
		if !ok {
			return nil
		}
		return stepEventMsg{id: id, ev: e, again: waitStep(id, ch)}
	}
}

// stepEvent updates the step panel from an engine event.
func (m *lessonModel) stepEvent(msg stepEventMsg, ch tea.Cmd) tea.Cmd {
	r := m.running
	if r == nil || r.id != msg.id {
		return ch
	}
	now := m.c.now()
	switch e := msg.ev; e.Kind {
	case engine.ActionStarted:
		r.doing, r.awaiting, r.latest = e.Msg, false, step.Msg{}
	case engine.ActionDone:
		if e.Action != nil && !e.Action.Outcome.Msg.IsZero() {
			r.outcome = e.Action.Outcome.Msg
			if e.Action.Status == engine.Skipped {
				m.setNotice(m.c.tr.T("TUINotRepeated", map[string]any{"Why": e.Action.Outcome.Msg.Text(m.c.tr)}))
			}
		}
	case engine.CheckStarted:
		r.doing, r.awaiting, r.latest, r.since = e.Msg, true, step.Msg{}, now
	case engine.Progress:
		if !e.Msg.Equal(r.latest) {
			r.latest, r.since = e.Msg, now
		}
	}
	return ch
}

// watchDone feeds the verdict of the current step's watch to the flow:
// the step was done by hand (or failed for good).
func (m *lessonModel) watchDone(msg watchDoneMsg) tea.Cmd {
	if !m.hands.verdict(msg) || m.flow.Current != msg.index {
		return nil
	}
	i, res := msg.index, msg.res
	m.results[i] = res
	if res.Duration > 0 {
		m.durations[i] = res.Duration
	}
	var cmd tea.Cmd
	if res.Status == engine.Passed {
		cmd = m.next(flow.StepPassed{Index: i})
		m.setNotice(m.c.tr.T("TUIStepReached", map[string]any{"N": i + 1}))
	} else {
		cmd = m.next(flow.WatchFailed{Index: i})
	}
	m.followTarget()
	return cmd
}

// copyCommands puts the current step's commands on the clipboard (OSC 52:
// the terminal, or tmux, keeps them).
func (m *lessonModel) copyCommands() tea.Cmd {
	text := m.hands.copyText()
	if text == "" || !m.hands.watching(m.flow.Current) {
		m.setNotice(m.c.tr.T("TUINothingToCopy", nil))
		return nil
	}
	m.setNotice(m.c.tr.T("TUICopied", map[string]any{"Count": strings.Count(text, "\n") + 1}))
	return tea.SetClipboard(text)
}

// stepDone feeds a step's outcome to the flow.
func (m *lessonModel) stepDone(msg stepDoneMsg) tea.Cmd {
	if m.running == nil || m.running.id != msg.id {
		return nil
	}
	m.running = nil
	if m.stepCancel != nil {
		m.stepCancel()
		m.stepCancel = nil
	}
	i, res := msg.index, msg.res
	m.results[i] = res
	if res.Duration > 0 {
		m.durations[i] = res.Duration
	}
	tr := m.c.tr
	var cmd tea.Cmd
	switch {
	case msg.canceled:
		cmd = m.next(flow.StepCancelled{Index: i})
	case res.Status == engine.Passed:
		cmd = m.next(flow.StepPassed{Index: i})
		m.setNotice(tr.T("TUIStepPassed", map[string]any{"N": i + 1}))
	case res.Status == engine.Unavailable:
		cmd = m.next(flow.StepUnavailable{Index: i})
		m.setNotice(tr.T("TUIStepUnavailable", map[string]any{"N": i + 1, "Reason": res.Reason.Text(tr)}))
	default:
		cmd = m.next(flow.StepFailed{Index: i})
	}
	m.followTarget()
	return cmd
}

// failure is the first failure of a step result.
func failure(res engine.StepResult) (what step.Msg, f *step.Failure) {
	if res.Action.Failure != nil {
		return res.Action.Desc, res.Action.Failure
	}
	for _, c := range res.Checks {
		if c.Failure != nil {
			if c.Name != "" {
				return step.M("TUIRaw", "Text", c.Name), c.Failure
			}
			return c.Desc, c.Failure
		}
	}
	return step.Msg{}, nil
}

func (m *lessonModel) resetCmd() tea.Cmd {
	runner, l, ctx := m.runner, m.l, m.ctx
	return func() tea.Msg { return resetDoneMsg{runner.Reset(ctx, l)} }
}

// saveCmd writes the flow's statuses and the steps' times.
func (m *lessonModel) saveCmd() tea.Cmd {
	store := m.c.progress
	if store == nil {
		return nil
	}
	st := progress.State{Lang: m.c.lang, Updated: m.c.now().UTC(), Epoch: m.epoch, Steps: map[string]progress.StepRecord{}}
	for i, s := range m.flow.Steps {
		var ps progress.Status
		switch s {
		case flow.Passed:
			ps = progress.Passed
		case flow.Unavailable:
			ps = progress.Unavailable
		case flow.Failed:
			ps = progress.Failed
		default:
			continue
		}
		id := m.l.Spec.Steps[i].ID
		if _, ok := m.firstSeen[id]; !ok && ps != progress.Failed {
			m.firstSeen[id] = st.Updated
		}
		rec := progress.StepRecord{Status: ps, At: m.firstSeen[id], DurationMS: m.durations[i].Milliseconds()}
		if rec.At.IsZero() {
			rec.At = st.Updated
		}
		if res, ok := m.results[i]; ok {
			if _, f := failure(res); f != nil {
				rec.Message = f.Error()
			}
		}
		st.Steps[id] = rec
	}
	id := m.l.ID
	return func() tea.Msg { return savedMsg{store.Save(id, st)} }
}

// followTarget points the logs stream at the pod the current step is
// about: the first of its pods that is not Ready.
func (m *lessonModel) followTarget() {
	pod, container := m.targetPod()
	m.target = pod
	if m.streams != nil {
		m.streams.followLogs(pod, container)
	}
}

func (m *lessonModel) targetPod() (string, string) {
	i := m.flow.Current
	if m.running != nil {
		i = m.running.index
	}
	if i < 0 || i >= len(m.l.Spec.Steps) {
		return "", ""
	}
	pods, container := stepPods(m.l.Spec.Steps[i])
	if len(pods) == 0 {
		return "", ""
	}
	for _, p := range pods {
		if r, ok := m.podRows[p]; !ok || !r.ready {
			return p, container
		}
	}
	return pods[0], container
}

// stepTitle is the heading of step i in the current language.
func (m *lessonModel) stepTitle(i int) string {
	if i < 0 || i >= len(m.l.Spec.Steps) {
		return ""
	}
	id := m.l.Spec.Steps[i].ID
	for _, sec := range m.doc().Sections {
		for _, s := range sec.Steps {
			if s.ID == id {
				return s.Title
			}
		}
	}
	return id
}

// sectionOf is the page that holds step i.
func (m *lessonModel) sectionOf(i int) int {
	if i < 0 || i >= len(m.l.Spec.Steps) {
		return -1
	}
	id := m.l.Spec.Steps[i].ID
	for p, sec := range m.doc().Sections {
		for _, s := range sec.Steps {
			if s.ID == id {
				return p + 1
			}
		}
	}
	return -1
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// waitStepAgain re-arms the wait on a step's events: the channel travels
// in the command's closure, so keep it per run.
func waitStepAgain(msg stepEventMsg) tea.Cmd { return msg.again }
