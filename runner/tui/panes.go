package tui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	corev1 "k8s.io/api/core/v1"
)

// changedFor is how long a changed pod row stays highlighted.
const changedFor = 3 * time.Second

// goneAfter is how long a server ID may stay unseen before the read pane
// calls it gone.
const goneAfter = 15 * time.Second

// podRow is one line of the pods pane, like kubectl get pods -o wide.
type podRow struct {
	name, readyText, status, node string
	restarts                      int32
	ready                         bool
	created                       time.Time
	changed                       time.Time
}

func (r podRow) key() string {
	return fmt.Sprintf("%s %s %s %d %s", r.name, r.readyText, r.status, r.restarts, r.node)
}

// newPodRow computes a pod's row the way kubectl's printer does (enough
// of it for a lesson: init containers, waiting and terminated reasons,
// Terminating).
func newPodRow(p *corev1.Pod) podRow {
	r := podRow{name: p.Name, node: p.Spec.NodeName, created: p.CreationTimestamp.Time}
	total, ready := len(p.Spec.Containers), 0
	status := string(p.Status.Phase)
	if p.Status.Reason != "" {
		status = p.Status.Reason
	}
	initializing := false
	for i, c := range p.Status.InitContainerStatuses {
		r.restarts += c.RestartCount
		switch {
		case c.State.Terminated != nil && c.State.Terminated.ExitCode == 0:
			continue
		case c.State.Terminated != nil:
			status = "Init:" + c.State.Terminated.Reason
			if c.State.Terminated.Reason == "" {
				status = fmt.Sprintf("Init:ExitCode:%d", c.State.Terminated.ExitCode)
			}
			initializing = true
		case c.State.Waiting != nil && c.State.Waiting.Reason != "" && c.State.Waiting.Reason != "PodInitializing":
			status, initializing = "Init:"+c.State.Waiting.Reason, true
		default:
			status, initializing = fmt.Sprintf("Init:%d/%d", i, len(p.Spec.InitContainers)), true
		}
		break
	}
	if !initializing {
		running := false
		for i := len(p.Status.ContainerStatuses) - 1; i >= 0; i-- {
			c := p.Status.ContainerStatuses[i]
			r.restarts += c.RestartCount
			switch {
			case c.State.Waiting != nil && c.State.Waiting.Reason != "":
				status = c.State.Waiting.Reason
			case c.State.Terminated != nil && c.State.Terminated.Reason != "":
				status = c.State.Terminated.Reason
			case c.State.Running != nil:
				running = true
				if c.Ready {
					ready++
				}
			}
		}
		if running && status == "Completed" {
			status = "Running"
		}
	}
	if p.DeletionTimestamp != nil {
		status = "Terminating"
	}
	r.status = status
	r.readyText = fmt.Sprintf("%d/%d", ready, total)
	r.ready = total > 0 && ready == total && p.DeletionTimestamp == nil
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			r.ready = r.ready && c.Status == corev1.ConditionTrue
		}
	}
	return r
}

// age formats a duration like kubectl: 45s, 3m, 2h.
func age(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < 2*time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// podsPane draws the lesson's pods, changed rows marked with › and
// highlighted.
func (m *lessonModel) podsPane(w, h int) string {
	st, tr := m.c.styles, m.c.tr
	now := m.c.now()
	title := st.PaneTitle.Render(tr.T("TUIPanePods", map[string]any{"Selector": m.l.Spec.Selector}))
	lines := []string{title}
	if len(m.podOrder) == 0 {
		lines = append(lines, st.Dim.Render(" "+tr.T("TUINoPods", nil)))
		return fitBox(strings.Join(lines, "\n"), w, h)
	}
	nameW, nodeW, statusW := m.podColumns()
	row := func(mark, name, ready, status, restarts, node, age string) string {
		return fmt.Sprintf("%s%-*s %-5s %-*s %-8s %-*s %s", mark, nameW, name, ready, statusW, ansi.Truncate(status, statusW, "…"), restarts, nodeW, node, age)
	}
	lines = append(lines, st.Dim.Render(row(" ", "NAME", "READY", "STATUS", "RESTARTS", "NODE", "AGE")))
	for _, n := range m.podOrder {
		r := m.podRows[n]
		node := r.node
		if node == "" {
			node = "<none>"
		}
		mark, style := " ", st.Section
		if !r.changed.IsZero() && now.Sub(r.changed) < changedFor {
			mark, style = "›", st.Changed
		} else if !r.ready {
			style = st.StatusWarn
		}
		lines = append(lines, style.Render(row(mark, r.name, r.readyText, r.status, fmt.Sprint(r.restarts), node, age(now.Sub(r.created)))))
	}
	return fitBox(strings.Join(lines, "\n"), w, h)
}

// podColumns are the widths of the name, node and status columns.
func (m *lessonModel) podColumns() (nameW, nodeW, statusW int) {
	nameW, nodeW, statusW = 4, 6, 8
	for _, n := range m.podOrder {
		r := m.podRows[n]
		nameW = max(nameW, len(r.name))
		nodeW = max(nodeW, len(r.node))
		statusW = max(statusW, len(r.status))
	}
	return nameW, nodeW, min(statusW, 18)
}

// podsWidth is the width the pods pane needs.
func (m *lessonModel) podsWidth() int {
	nameW, nodeW, statusW := m.podColumns()
	return max(1+nameW+1+5+1+statusW+1+8+1+nodeW+1+4+1, 30)
}

// readPane draws which server answers the read service, one column per
// second, one row per value: ▮ answered that second.
func (m *lessonModel) readPane(w, h int) string {
	st, tr := m.c.styles, m.c.tr
	target, query := readTarget(m.l)
	if target == nil {
		return ""
	}
	now := m.c.now()
	lines := []string{st.PaneTitle.Render(ansi.Truncate(tr.T("TUIPaneRead", map[string]any{"Service": target.Service, "Query": strings.TrimPrefix(query, "SELECT ")}), w, "…"))}
	lastSeen := map[string]time.Time{}
	for _, r := range m.reads {
		if r.err == nil && r.value != "" {
			lastSeen[r.value] = r.at
		}
	}
	values := make([]string, 0, len(lastSeen))
	for v := range lastSeen {
		values = append(values, v)
	}
	sort.Strings(values)
	labelW := 3
	for _, v := range values {
		labelW = max(labelW, len(v))
	}
	okText, goneText := tr.T("TUIReadOK", nil), tr.T("TUIReadGone", nil)
	stW := max(lipgloss.Width(okText), lipgloss.Width(goneText))
	cols := max(4, w-labelW-stW-3)
	// Column c is second now-cols+1+c.
	base := now.Truncate(time.Second).Add(-time.Duration(cols-1) * time.Second)
	for _, v := range values {
		cells := []rune(strings.Repeat("·", cols))
		for _, r := range m.reads {
			if r.value != v || r.err != nil {
				continue
			}
			c := int(r.at.Truncate(time.Second).Sub(base) / time.Second)
			if c >= 0 && c < cols {
				cells[c] = '▮'
			}
		}
		state, style := okText, st.StepDone
		if now.Sub(lastSeen[v]) > goneAfter {
			state, style = goneText, st.StepFailed
		}
		lines = append(lines, fmt.Sprintf("%-*s %s %s", labelW, v, style.Render(padRight(state, stW)), string(cells)))
	}
	if n := len(m.reads); n > 0 {
		last := m.reads[n-1]
		switch {
		case last.err != nil && strings.Contains(last.err.Error(), "no ready endpoint"):
			lines = append(lines, st.StatusWarn.Render(ansi.Truncate("✗ "+tr.T("TUIReadNoEndpoint", map[string]any{"Service": target.Service}), w, "…")))
		case last.err != nil:
			lines = append(lines, st.StatusWarn.Render(ansi.Truncate("✗ "+oneLine(last.err.Error()), w, "…")))
		default:
			lines = append(lines, st.Dim.Render(tr.T("TUIReadLast", map[string]any{"Value": last.value, "Pod": last.pod})))
		}
	} else {
		lines = append(lines, st.Dim.Render(tr.T("TUIReadWaiting", nil)))
	}
	return fitBox(strings.Join(lines, "\n"), w, h)
}

func padRight(s string, w int) string {
	return s + strings.Repeat(" ", max(0, w-lipgloss.Width(s)))
}

// eventsPane draws the newest events of the lesson's objects (the target
// pod's highlighted) and the last log lines of the target pod.
func (m *lessonModel) eventsPane(w, h int) string {
	st, tr := m.c.styles, m.c.tr
	now := m.c.now()
	var logLines []string
	if m.target != "" && m.logPod == m.target && len(m.logs) > 0 {
		logLines = append(logLines, st.PaneTitle.Render(ansi.Truncate(tr.T("TUIPaneLogs", map[string]any{"Pod": m.target}), w, "…")))
		n := min(len(m.logs), max(1, h/2-1))
		for _, l := range m.logs[len(m.logs)-n:] {
			logLines = append(logLines, st.Dim.Render(ansi.Truncate(" "+l, w, "…")))
		}
	}
	title := tr.T("TUIPaneEvents", nil)
	if m.target != "" {
		title = tr.T("TUIPaneEventsOf", map[string]any{"Pod": m.target})
	}
	lines := []string{st.PaneTitle.Render(ansi.Truncate(title, w, "…"))}
	room := h - 1 - len(logLines)
	var evs []string
	for i := len(m.events) - 1; i >= 0 && len(evs) < room; i-- {
		e := m.events[i]
		obj := e.InvolvedObject.Name
		if !m.ours(obj) {
			continue
		}
		text := fmt.Sprintf("%-4s %s %s: %s", age(now.Sub(eventTime(e))), obj, e.Reason, oneLine(e.Message))
		style := st.Dim
		if obj == m.target {
			style = st.Section
		}
		if e.Type == corev1.EventTypeWarning {
			style = st.StatusWarn
		}
		evs = append(evs, style.Render(ansi.Truncate(text, w, "…")))
	}
	if len(evs) == 0 {
		evs = append(evs, st.Dim.Render(" "+tr.T("TUINoEvents", nil)))
	}
	for i := len(evs) - 1; i >= 0; i-- {
		lines = append(lines, evs[i])
	}
	return fitBox(strings.Join(append(lines, logLines...), "\n"), w, h)
}

// ours reports whether an event's object belongs to the lesson: one of its
// pods, or named after its StatefulSet (claims, the set itself).
func (m *lessonModel) ours(name string) bool {
	if _, ok := m.podRows[name]; ok {
		return true
	}
	for _, n := range m.podOrder {
		if i := strings.LastIndex(n, "-"); i > 0 && strings.Contains(name, n[:i]) {
			return true
		}
	}
	return false
}

// fitBox makes s exactly h lines of exactly w cells.
func fitBox(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	for i, l := range lines {
		if lipgloss.Width(l) > w {
			l = ansi.Truncate(l, w, "…")
		}
		lines[i] = l + strings.Repeat(" ", max(0, w-lipgloss.Width(l)))
	}
	return strings.Join(lines, "\n")
}

// liveUpdate applies one message of the live streams.
func (m *lessonModel) liveUpdate(msg any) {
	now := m.c.now()
	switch msg := msg.(type) {
	case podsMsg:
		rows := map[string]podRow{}
		order := make([]string, 0, len(msg.pods))
		for _, p := range msg.pods {
			r := newPodRow(p)
			if old, ok := m.podRows[p.Name]; ok {
				r.changed = old.changed
				if old.key() != r.key() {
					r.changed = now
				}
			} else if len(m.podRows) > 0 || len(m.podOrder) > 0 {
				r.changed = now
			}
			rows[p.Name] = r
			order = append(order, p.Name)
		}
		m.podRows, m.podOrder = rows, order
		m.followTarget()
	case eventsMsg:
		m.events = msg.events
	case readMsg:
		m.reads = append(m.reads, msg)
		if len(m.reads) > 180 {
			m.reads = m.reads[len(m.reads)-180:]
		}
	case logMsg:
		if msg.pod != m.logPod {
			m.logPod, m.logs = msg.pod, nil
		}
		if msg.err == nil {
			m.logs = append(m.logs, msg.line)
			if len(m.logs) > 20 {
				m.logs = m.logs[len(m.logs)-20:]
			}
		}
	}
}
