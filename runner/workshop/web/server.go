// Package web is `kubetutor workshop serve`: the workshop as a live web
// page, for the instructor's browser or a projector. Standard library only
// (net/http, html/template, embed); the page, its style and its script are
// embedded (assets/workshop), so it works offline.
//
// Endpoints, all read-only (GET and HEAD):
//
//	GET /                      the page: rendered on the server in the
//	                           viewer's language (?lang=ja|en), then kept
//	                           live by its script
//	GET /api/snapshot          the class as JSON (workshop.Snapshot)
//	GET /api/events            server-sent events: "snapshot" (the class)
//	                           on connect, then one "row" per learner that
//	                           changes, each with a monotonic id; a browser
//	                           that reconnects with Last-Event-ID gets what
//	                           it missed; a comment every 15 s keeps
//	                           proxies from closing the stream
//	GET /api/learners/{name}   one learner in depth (workshop.Detail)
//
// With Options.Token set, every endpoint wants it, as "Authorization:
// Bearer T" or "?token=T". ?projector=1 (or Options.HideNames for every
// viewer) replaces names with "learner 07" and drops namespaces, in the
// page and in the JSON alike.
package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kubetutor/kubetutor/i18n"
	"github.com/kubetutor/kubetutor/runner/l10n"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/workshop"
)

// Options configure the server.
type Options struct {
	// Token, when set, is required on every request.
	Token string
	// Lang is the page's language when the URL has no ?lang.
	Lang string
	// HideNames anonymises every response, whatever the URL says.
	HideNames bool
	// Lesson gives the steps' titles and their number; nil shows step IDs.
	Lesson *lesson.Lesson
	// Heartbeat is how often the event stream sends a comment (0: 15 s).
	Heartbeat time.Duration
	// Now is the clock of the page's first paint (nil: time.Now).
	Now func() time.Time
}

// Server serves the page and its API.
type Server struct {
	src  workshop.Source
	opts Options
	cat  *l10n.Catalog
	hub  *hub
	mux  *http.ServeMux
	page *pageRenderer
	err  error // set when the embedded catalogue or page is broken
}

// NewServer returns the handler of the page and its API over src.
func NewServer(src workshop.Source, opts Options) http.Handler {
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = 15 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{src: src, opts: opts, hub: newHub(src), mux: http.NewServeMux()}
	s.cat, s.err = l10n.LoadCatalog(i18n.FS)
	if s.err == nil {
		s.page, s.err = newPageRenderer()
	}
	s.mux.HandleFunc("/{$}", s.index)
	s.mux.HandleFunc("/api/snapshot", s.snapshot)
	s.mux.HandleFunc("/api/events", s.events)
	s.mux.HandleFunc("/api/learners/{name}", s.learner)
	return s
}

// ServeHTTP checks the method and the token, then serves.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tr := s.translator(r)
	switch {
	case s.err != nil:
		http.Error(w, s.err.Error(), http.StatusInternalServerError)
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		w.Header().Set("Allow", "GET, HEAD")
		s.fail(w, r, http.StatusMethodNotAllowed, tr.T("WebReadOnly", nil))
	case !s.authorized(r):
		w.Header().Set("WWW-Authenticate", `Bearer realm="kubetutor workshop"`)
		s.fail(w, r, http.StatusUnauthorized, tr.T("WebUnauthorized", nil))
	default:
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer") // the URL may hold the token
		s.mux.ServeHTTP(w, r)
	}
}

// authorized compares the request's token with Options.Token in constant
// time (hashes first, so not even the length leaks).
func (s *Server) authorized(r *http.Request) bool {
	if s.opts.Token == "" {
		return true
	}
	got := r.URL.Query().Get("token")
	if h, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		got = strings.TrimSpace(h)
	}
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(s.opts.Token))
	return got != "" && subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// lang is the viewer's language: ?lang, else Options.Lang.
func (s *Server) lang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l != "" {
		return l10n.Normalize(l)
	}
	return l10n.Normalize(s.opts.Lang)
}

func (s *Server) translator(r *http.Request) *l10n.Translator {
	if s.cat == nil {
		return nil
	}
	return s.cat.Translator(s.lang(r))
}

// hidden says whether names are hidden for this request.
func (s *Server) hidden(r *http.Request) bool {
	p := r.URL.Query().Get("projector")
	return s.opts.HideNames || (p != "" && p != "0" && p != "false")
}

// shown is the class as this request may see it.
func (s *Server) shown(r *http.Request, snap workshop.Snapshot) workshop.Snapshot {
	if s.hidden(r) {
		return workshop.Anonymise(snap)
	}
	return snap
}

// fail answers an error: JSON for the API, text for the page.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, code int, msg string) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeJSON(w, code, map[string]string{"error": msg})
		return
	}
	http.Error(w, msg, code)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away: nothing to tell
}

func (s *Server) snapshot(w http.ResponseWriter, r *http.Request) {
	snap := s.shown(r, s.src.Snapshot())
	if snap.Learners == nil {
		snap.Learners = []workshop.Learner{}
	}
	writeJSON(w, http.StatusOK, snap)
}

// learner serves one learner's detail; with names hidden, {name} is the
// pseudonym ("07").
func (s *Server) learner(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	snap := s.src.Snapshot()
	pos := -1
	for i, l := range snap.Learners {
		if (s.hidden(r) && workshop.Pseudonym(i) == name) || (!s.hidden(r) && l.Name == name) {
			pos = i
		}
	}
	var d workshop.Detail
	ok := pos >= 0
	if ok {
		d, ok = s.src.Detail(snap.Learners[pos].Name)
	}
	if !ok {
		s.fail(w, r, http.StatusNotFound, s.translator(r).T("WebNoLearner", map[string]any{"Name": name}))
		return
	}
	if s.hidden(r) {
		d = workshop.AnonymiseDetail(d, workshop.Pseudonym(pos))
	}
	writeJSON(w, http.StatusOK, d)
}

// events streams the class as server-sent events until the browser goes.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives a server's write timeout
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	last, _ := strconv.ParseUint(r.Header.Get("Last-Event-ID"), 10, 64)
	wake := s.hub.join()
	defer s.hub.leave(wake)
	// Reconnect quickly after the server restarts.
	if _, err := fmt.Fprint(w, "retry: 2000\n\n"); err != nil {
		return
	}
	beat := time.NewTicker(s.opts.Heartbeat)
	defer beat.Stop()
	hide := s.hidden(r)
	for {
		for _, e := range s.hub.since(last) {
			if err := writeEvent(w, e, hide); err != nil {
				return
			}
			last = e.id
		}
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-wake:
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil {
				return
			}
		}
	}
}

// writeEvent writes one event in the SSE framing: id, event, one data line.
func writeEvent(w http.ResponseWriter, e event, hide bool) error {
	var data any
	switch e.name {
	case "snapshot":
		snap := e.snap
		if hide {
			snap = workshop.Anonymise(snap)
		}
		if snap.Learners == nil {
			snap.Learners = []workshop.Learner{}
		}
		data = snap
	default:
		l := e.learner
		if hide {
			l = workshop.AnonymiseLearner(l, e.index)
		}
		data = rowData{Index: e.index, Learner: l}
	}
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.id, e.name, b)
	return err
}

// rowData is the data of a "row" event: the learner at index changed.
type rowData struct {
	Index   int              `json:"index"`
	Learner workshop.Learner `json:"learner"`
}
