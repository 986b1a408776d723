package web

import (
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/kubetutor/kubetutor/assets"
	"github.com/kubetutor/kubetutor/runner/workshop"
)

// pageRenderer holds the parsed page and its inlined style and script
// (inline, so the page is one response and the token never has to be in
// an asset's URL).
type pageRenderer struct {
	tmpl *template.Template
	css  template.CSS
	js   template.JS
}

func newPageRenderer() (*pageRenderer, error) {
	read := func(name string) (string, error) {
		b, err := fs.ReadFile(assets.FS, "workshop/"+name)
		return string(b), err
	}
	html, err := read("index.html")
	if err != nil {
		return nil, err
	}
	css, err := read("style.css")
	if err != nil {
		return nil, err
	}
	js, err := read("app.js")
	if err != nil {
		return nil, err
	}
	t, err := template.New("index.html").Parse(html)
	if err != nil {
		return nil, fmt.Errorf("workshop page: %w", err)
	}
	return &pageRenderer{tmpl: t, css: template.CSS(css), js: template.JS(js)}, nil
}

// pageData is what index.html shows on first paint; Config is what the
// script takes over with.
type pageData struct {
	Lang, OtherLang, OtherURL string
	T                         map[string]string
	Header                    string
	Counts                    []count
	Checkpoint                int
	CheckpointLine            string
	Steps                     []workshop.StepName
	Hist                      []bar
	Rows                      []row
	Projector                 bool
	Config                    config
	CSS                       template.CSS
	JS                        template.JS
}

type count struct {
	State, Glyph string
	N            int
}

type bar struct {
	Label      string
	N, Height  int // Height in percent of the tallest
	Checkpoint bool
}

type row struct {
	Name, Label, State, Glyph, StateLabel string
	Step, OnStep, Warn, WarnAge           string
}

// config is the page's data for its script.
type config struct {
	Snapshot   workshop.Snapshot   `json:"snapshot"`
	Steps      []workshop.StepName `json:"steps"`
	Checkpoint int                 `json:"checkpoint"`
	Hidden     bool                `json:"hidden"`
	// Now is the server's clock (ms since the epoch): ages are computed
	// against it, whatever the viewer's clock says.
	Now int64 `json:"now"`
	// T are the script's messages, with {Field} placeholders.
	T map[string]string `json:"t"`
}

// The messages the page uses; the script's also get {Field} placeholders.
var (
	pageMessages = []string{"WebLive", "WebCheckpoint", "WebLangName", "WebHint", "WebNamesHidden",
		"WSColLearner", "WSColStep", "WSColOnStep", "WSColState", "WSColWarning", "WSPickNone", "WSHistLearners", "WSHistSteps", "WSNoLearners"}
	scriptMessages = map[string]string{
		"header": "WSHeader", "learnerN": "WSLearnerN", "ago": "WSAgo",
		"ageSec": "WSAgeSec", "ageMin": "WSAgeMin", "ageHour": "WSAgeHour", "ageDay": "WSAgeDay",
		"reached": "WSStateReached", "done": "WSStateDone", "working": "WSStateWorking", "stuck": "WSStateStuck",
		"failing": "WSStateFailing", "not-started": "WSStateNotStarted",
		"checkpoint": "WSCheckpoint", "noCheckpoint": "WebNoCheckpoint", "noLearners": "WSNoLearners",
		"steps": "WSDetailSteps", "events": "WSDetailEvents", "pods": "WSDetailPods", "none": "WSNone",
		"pushed": "WSPushedNote", "deep": "WebNeedsDeepCheck", "live": "WebLive", "reconnecting": "WebReconnecting",
		"loading": "WebLoading", "detailFailed": "WebDetailFailed",
	}
)

// placeholders are template data that leave "{Field}" in a message, for
// the script to fill.
func placeholders() map[string]any {
	p := map[string]any{}
	for _, f := range []string{"Workshop", "Lesson", "Count", "N", "Title", "Reached", "Age", "S", "M", "H", "D", "Err"} {
		p[f] = "{" + f + "}"
	}
	return p
}

// index renders the page.
func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	tr := s.translator(r)
	lang := tr.Lang()
	snap := s.shown(r, s.src.Snapshot())
	hidden := s.hidden(r)
	steps := workshop.StepNames(s.opts.Lesson, lang)
	n := len(steps)
	for _, l := range snap.Learners {
		n = max(n, l.StepIndex)
	}
	cp, _ := strconv.Atoi(r.URL.Query().Get("checkpoint"))
	if cp < 0 || cp > n {
		cp = 0
	}
	now := s.opts.Now()
	d := pageData{Lang: lang, T: map[string]string{}, Checkpoint: cp, Steps: steps, Projector: hidden,
		CSS: s.page.css, JS: s.page.js}
	for _, id := range pageMessages {
		d.T[id] = tr.T(id, nil)
	}
	d.OtherLang = "ja"
	if lang == "ja" {
		d.OtherLang = "en"
	}
	q := r.URL.Query()
	q.Set("lang", d.OtherLang)
	d.OtherURL = (&url.URL{Path: "/", RawQuery: q.Encode()}).String()
	title := snap.Lesson
	if s.opts.Lesson != nil {
		title = s.opts.Lesson.Title(lang)
	}
	d.Header = tr.T("WSHeader", map[string]any{"Workshop": snap.Workshop, "Lesson": title, "Count": len(snap.Learners)})
	d.Config = config{Snapshot: snap, Steps: steps, Checkpoint: cp, Hidden: hidden, Now: now.UnixMilli(), T: map[string]string{}}
	if d.Config.Snapshot.Learners == nil {
		d.Config.Snapshot.Learners = []workshop.Learner{}
	}
	ph := placeholders()
	for k, id := range scriptMessages {
		d.Config.T[k] = tr.T(id, ph)
	}
	d.Config.T["lessonTitle"] = title

	// Counts per shown state, the checkpoint line, the histogram.
	per := map[string]int{}
	hist := make([]int, n+1)
	reached := 0
	for _, l := range snap.Learners {
		st := workshop.Shown(l, cp)
		if st == workshop.StateDone {
			st = workshop.Reached // one ✓ in the header
		}
		per[st]++
		hist[min(max(l.StepIndex, 0), n)]++
		if l.StepIndex >= cp {
			reached++
		}
	}
	for _, st := range []string{workshop.Reached, workshop.StateWorking, workshop.StateStuck, workshop.StateFailing, workshop.StateNotStarted} {
		d.Counts = append(d.Counts, count{State: st, Glyph: workshop.Glyphs[st], N: per[st]})
	}
	d.CheckpointLine = tr.T("WebNoCheckpoint", nil)
	if cp > 0 {
		d.CheckpointLine = tr.T("WSCheckpoint", map[string]any{"N": cp, "Title": steps[cp-1].Title, "Reached": reached, "Count": len(snap.Learners)})
	}
	top := 1
	for _, k := range hist {
		top = max(top, k)
	}
	for i, k := range hist {
		label := strconv.Itoa(i)
		if i == 0 {
			label = workshop.Glyphs[workshop.StateNotStarted]
		}
		d.Hist = append(d.Hist, bar{Label: label, N: k, Height: k * 100 / top, Checkpoint: cp > 0 && i == cp})
	}

	// The rows, in the views' order.
	pos := map[string]int{}
	for i, l := range snap.Learners {
		pos[l.Name] = i
	}
	age := func(t time.Time) string { return workshop.Age(now.Sub(t), tr.T) }
	for _, l := range workshop.Ordered(snap.Learners) {
		st := workshop.Shown(l, cp)
		rw := row{Name: l.Name, Label: l.Name, State: st, Glyph: workshop.Glyphs[st], StateLabel: tr.T(scriptMessages[st], nil),
			Step: "—", OnStep: "—", Warn: l.LastWarning}
		if hidden {
			rw.Label = tr.T("WSLearnerN", map[string]any{"N": l.Name})
		}
		if l.StepIndex > 0 {
			title := l.Step
			if l.StepIndex <= len(steps) {
				title = steps[l.StepIndex-1].Title
			}
			rw.Step = strconv.Itoa(l.StepIndex) + " " + title
		}
		if !l.Since.IsZero() {
			rw.OnStep = age(l.Since)
		}
		if l.LastWarning != "" && !l.LastWarningAt.IsZero() {
			rw.WarnAge = tr.T("WSAgo", map[string]any{"Age": age(l.LastWarningAt)})
		}
		d.Rows = append(d.Rows, rw)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// Everything is inline and same-origin; nothing else may load.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:")
	if err := s.page.tmpl.Execute(w, d); err != nil {
		// Headers are gone; the browser shows what arrived.
		fmt.Fprintf(w, "<p>%s</p>", template.HTMLEscapeString(err.Error()))
	}
}
