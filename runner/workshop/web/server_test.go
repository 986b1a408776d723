package web

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/kubetutor/kubetutor/runner/workshop"
	"github.com/kubetutor/kubetutor/runner/workshop/workshoptest"
)

func server(t *testing.T, opts Options) (*workshoptest.Fake, http.Handler) {
	t.Helper()
	l, err := workshoptest.Lesson()
	if err != nil {
		t.Fatal(err)
	}
	f := workshoptest.New(workshoptest.Class())
	f.SetDetail(workshoptest.BenDetail())
	opts.Lesson = l
	opts.Now = func() time.Time { return workshoptest.Clock }
	return f, NewServer(f, opts)
}

// get serves one request to h; header is "Name: value" lines.
func get(h http.Handler, method, target string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for _, kv := range header {
		k, v, _ := strings.Cut(kv, ": ")
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestSnapshotJSON(t *testing.T) {
	f, h := server(t, Options{})
	w := get(h, "GET", "/api/snapshot")
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("%d %s", w.Code, w.Header().Get("Content-Type"))
	}
	var got workshop.Snapshot
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if want := f.Snapshot(); !reflect.DeepEqual(got.Learners[1], want.Learners[1]) || got.Workshop != "k8s-0612" || got.Lesson != "demo" || len(got.Learners) != 12 {
		t.Errorf("got %+v", got)
	}
	// The field names are the contract of `workshop status -o json`.
	var raw struct {
		Learners []map[string]any `json:"learners"`
	}
	_ = json.Unmarshal(w.Body.Bytes(), &raw)
	for _, k := range []string{"name", "namespace", "step", "stepIndex", "since", "state", "lastWarning", "lastWarningAt"} {
		if _, ok := raw.Learners[1][k]; !ok {
			t.Errorf("learner JSON has no %q: %v", k, raw.Learners[1])
		}
	}
}

func TestEmptyClassIsAnEmptyList(t *testing.T) {
	h := NewServer(workshoptest.New(workshop.Snapshot{Workshop: "w"}), Options{})
	if w := get(h, "GET", "/api/snapshot"); !strings.Contains(w.Body.String(), `"learners": []`) {
		t.Errorf("%s", w.Body)
	}
	if w := get(h, "GET", "/"); w.Code != 200 || !strings.Contains(w.Body.String(), "No learners yet") {
		t.Errorf("%d %s", w.Code, w.Body)
	}
}

func TestToken(t *testing.T) {
	_, open := server(t, Options{})
	_, h := server(t, Options{Token: "s3cret"})
	for _, path := range []string{"/", "/api/snapshot", "/api/learners/ben"} {
		for _, tc := range []struct {
			name    string
			h       http.Handler
			target  string
			headers []string
			code    int
		}{
			{"no token needed", open, path, nil, 200},
			{"missing", h, path, nil, 401},
			{"wrong in the query", h, path + "?token=s3cre", nil, 401},
			{"wrong bearer", h, path, []string{"Authorization: Bearer nope"}, 401},
			{"not bearer", h, path, []string{"Authorization: Basic s3cret"}, 401},
			{"query", h, path + "?token=s3cret", nil, 200},
			{"bearer", h, path, []string{"Authorization: Bearer s3cret"}, 200},
		} {
			t.Run(path+" "+tc.name, func(t *testing.T) {
				w := get(tc.h, "GET", tc.target, tc.headers...)
				if w.Code != tc.code {
					t.Errorf("%d, want %d: %s", w.Code, tc.code, w.Body)
				}
				if tc.code == 401 && (w.Header().Get("WWW-Authenticate") == "" || !strings.Contains(w.Body.String(), "token")) {
					t.Errorf("401 without a challenge or a reason: %v %s", w.Header(), w.Body)
				}
			})
		}
	}
	// The event stream too (answered before it starts streaming).
	if w := get(h, "GET", "/api/events"); w.Code != 401 {
		t.Errorf("events without a token: %d", w.Code)
	}
}

func TestReadOnly(t *testing.T) {
	_, h := server(t, Options{})
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH"} {
		w := get(h, m, "/api/snapshot")
		if w.Code != 405 || w.Header().Get("Allow") != "GET, HEAD" || !strings.Contains(w.Body.String(), "read-only") {
			t.Errorf("%s: %d %v %s", m, w.Code, w.Header(), w.Body)
		}
	}
	if w := get(h, "POST", "/api/snapshot?lang=ja"); !strings.Contains(w.Body.String(), "読み取り専用") {
		t.Errorf("not in Japanese: %s", w.Body)
	}
}

func TestPageLanguage(t *testing.T) {
	for _, tc := range []struct {
		def, target string
		want        []string
	}{
		{"", "/", []string{`<html lang="en">`, "workshop k8s-0612 · A replicated demo · 12 learners", "Start the StatefulSet", "LAST WARNING", `href="/?lang=ja"`}},
		{"", "/?lang=ja", []string{`<html lang="ja">`, "ワークショップ k8s-0612 · レプリケーションのデモ · 受講者 12 人", "StatefulSet を起動する", "最新の警告", "6分12秒"}},
		{"ja", "/", []string{`<html lang="ja">`, "受講者 12 人"}},
		{"ja", "/?lang=en", []string{`<html lang="en">`, "12 learners"}},
	} {
		_, h := server(t, Options{Lang: tc.def})
		w := get(h, "GET", tc.target)
		if w.Code != 200 || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
			t.Fatalf("%s: %d %v", tc.target, w.Code, w.Header())
		}
		for _, s := range tc.want {
			if !strings.Contains(w.Body.String(), s) {
				t.Errorf("%s (default %q) lacks %q", tc.target, tc.def, s)
			}
		}
	}
}

// The first paint lists the rows in the views' order, with the
// checkpoint's ✓ when the URL names one.
func TestPageRows(t *testing.T) {
	_, h := server(t, Options{})
	body := get(h, "GET", "/?checkpoint=7").Body.String()
	var order []string
	html, _, _ := strings.Cut(body, "<script")
	for _, part := range strings.Split(html, `data-name="`)[1:] {
		name, _, _ := strings.Cut(part, `"`)
		order = append(order, name)
	}
	want := []string{"farah", "ben", "hana", "emre", "leo", "jun", "aiko", "dana", "ivan", "kira", "goro", "chen"}
	if !reflect.DeepEqual(order, want) {
		t.Errorf("rows %v, want %v", order, want)
	}
	for _, s := range []string{`data-name="aiko" data-state="reached"`, `data-name="ben" data-state="stuck"`, "6/12 reached it", "BackOff: Back-off restarting", "(40s)", `<option value="7" selected>`} {
		if !strings.Contains(body, s) {
			t.Errorf("page lacks %q", s)
		}
	}
}

func TestLearnerDetail(t *testing.T) {
	_, h := server(t, Options{})
	w := get(h, "GET", "/api/learners/ben")
	var d workshop.Detail
	if err := json.Unmarshal(w.Body.Bytes(), &d); err != nil || w.Code != 200 {
		t.Fatalf("%d %v", w.Code, err)
	}
	if !reflect.DeepEqual(d, workshoptest.BenDetail()) {
		t.Errorf("got %+v", d)
	}
	w = get(h, "GET", "/api/learners/nobody?lang=ja")
	if w.Code != 404 || !strings.Contains(w.Body.String(), `"error": "このワークショップに受講者 nobody はいません。"`) {
		t.Errorf("%d %s", w.Code, w.Body)
	}
}

// ?projector=1 (or HideNames for everyone) shows no names or namespaces,
// in the page and the JSON alike.
func TestProjectorHidesNames(t *testing.T) {
	_, h := server(t, Options{})
	_, hidden := server(t, Options{HideNames: true})
	for _, tc := range []struct {
		h      http.Handler
		target string
		want   string
	}{
		{h, "/api/snapshot?projector=1", `"name": "02"`},
		{hidden, "/api/snapshot", `"name": "02"`},
		{h, "/?projector=1", "learner 02"},
		{hidden, "/?lang=ja", "受講者 02"},
		{h, "/api/learners/02?projector=1", `"name": "02"`},
		{hidden, "/api/learners/02", `"name": "02"`},
	} {
		w := get(tc.h, "GET", tc.target)
		body := w.Body.String()
		if w.Code != 200 || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d, lacks %q", tc.target, w.Code, tc.want)
		}
		for _, name := range []string{"ben", "farah", "k8s-0612-"} {
			if strings.Contains(body, name) {
				t.Errorf("%s shows %q", tc.target, name)
			}
		}
	}
	if w := get(hidden, "GET", "/api/learners/ben"); w.Code != 404 {
		t.Errorf("a real name answers with names hidden: %d", w.Code)
	}
}

// sse reads server-sent events.
type sse struct {
	t    *testing.T
	r    *bufio.Reader
	body io.Closer
}

type frame struct {
	id, event, data, comment string
}

func connect(t *testing.T, ctx context.Context, url string, lastID string) *sse {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" {
		t.Fatalf("%d %v", resp.StatusCode, resp.Header)
	}
	s := &sse{t: t, r: bufio.NewReader(resp.Body), body: resp.Body}
	if f := s.next(); f.comment != "" || f.event != "" || f.data != "" {
		t.Fatalf("first frame %+v, want retry", f)
	}
	return s
}

// next reads one frame (up to a blank line).
func (s *sse) next() frame {
	s.t.Helper()
	var f frame
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			s.t.Fatalf("stream: %v", err)
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			return f
		}
		k, v, _ := strings.Cut(line, ": ")
		switch k {
		case "id":
			f.id = v
		case "event":
			f.event = v
		case "data":
			if f.data != "" {
				s.t.Errorf("two data lines in one event")
			}
			f.data = v
		case "":
			f.comment = v
		case "retry":
		default:
			s.t.Errorf("unknown field %q", line)
		}
	}
}

func TestEvents(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	f, h := server(t, Options{Heartbeat: 50 * time.Millisecond})
	ts := httptest.NewServer(h)
	defer ts.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	// On connect: the class, id 1.
	c1ctx, c1cancel := context.WithCancel(ctx)
	s := connect(t, c1ctx, ts.URL+"/api/events", "")
	first := s.next()
	var snap workshop.Snapshot
	if err := json.Unmarshal([]byte(first.data), &snap); err != nil || first.event != "snapshot" || first.id != "1" || len(snap.Learners) != 12 {
		t.Fatalf("first event %+v (%v)", first, err)
	}
	// A change: one row event, the next id.
	f.Update("ben", func(l *workshop.Learner) { l.StepIndex, l.State = 4, workshop.StateWorking })
	ev := nextEvent(s)
	var row rowData
	if err := json.Unmarshal([]byte(ev.data), &row); err != nil || ev.event != "row" || ev.id != "2" || row.Index != 1 || row.Learner.Name != "ben" || row.Learner.StepIndex != 4 {
		t.Fatalf("row event %+v (%v)", ev, err)
	}
	// Heartbeats keep the stream open.
	if fr := s.next(); fr.comment != "heartbeat" {
		t.Errorf("want a heartbeat, got %+v", fr)
	}
	c1cancel()
	s.body.Close()

	// Changes while nobody listens are caught up with on reconnect: one
	// that resumes from id 1 gets 2 and 3, nothing older.
	f.Update("leo", func(l *workshop.Learner) { l.StepIndex = 3 })
	s = connect(t, ctx, ts.URL+"/api/events", "1")
	if a, b := nextEvent(s), nextEvent(s); a.id != "2" || b.id != "3" || b.event != "row" || !strings.Contains(b.data, `"name":"leo"`) {
		t.Errorf("resume: %+v %+v", a, b)
	}
	// A new learner changes the set: a whole snapshot.
	f.Set(workshop.Snapshot{Workshop: "k8s-0612", Lesson: "demo", Learners: append(f.Snapshot().Learners, workshop.Learner{Name: "mia"})})
	if ev := nextEvent(s); ev.event != "snapshot" || ev.id != "4" || !strings.Contains(ev.data, `"name":"mia"`) {
		t.Errorf("new learner: %+v", ev)
	}
	s.body.Close()
	// An id the server never gave (it restarted) gets the class.
	s = connect(t, ctx, ts.URL+"/api/events?projector=1", "99")
	if ev := nextEvent(s); ev.event != "snapshot" || ev.id != "4" || strings.Contains(ev.data, "ben") {
		t.Errorf("unknown id: %+v", ev)
	}
	s.body.Close()
}

// nextEvent skips heartbeats.
func nextEvent(s *sse) frame {
	s.t.Helper()
	for {
		if f := s.next(); f.comment == "" {
			return f
		}
	}
}
