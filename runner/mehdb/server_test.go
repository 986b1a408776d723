package mehdb

import (
	"bytes"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// newShard returns the API of a shard with identity id on a fresh data
// directory holding the given keys, and its log.
func newShard(t *testing.T, id string, keys map[string]string) (*Server, Config, *bytes.Buffer) {
	t.Helper()
	cfg := Config{
		Identity: id, Port: DefaultPort, DataDir: t.TempDir(), Service: DefaultService,
		LeaderURL: "http://mehdb-0.mehdb:9876",
	}
	for k, v := range keys {
		if err := (store{dir: cfg.DataDir}).put(k, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	var logs bytes.Buffer
	return NewServer(cfg, log.New(&logs, "", 0)), cfg, &logs
}

// newTestServer serves newShard over a real HTTP server (so headers are
// what a client sees, not what a recorder guesses).
func newTestServer(t *testing.T, id string, keys map[string]string) (*httptest.Server, Config, *bytes.Buffer) {
	t.Helper()
	s, cfg, logs := newShard(t, id, keys)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv, cfg, logs
}

// noRedirects returns a client that shows redirects instead of following them.
func noRedirects() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func do(t *testing.T, srv *httptest.Server, method, path, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := noRedirects().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// absent marks a header that must not be set.
const absent = "<absent>"

const textPlain = "text/plain; charset=utf-8"

func TestEndpoints(t *testing.T) {
	type want struct {
		code    int
		body    string
		headers map[string]string
	}
	notFound := want{404, "404 page not found\n", map[string]string{"Content-Type": textPlain, "X-Content-Type-Options": "nosniff"}}
	notAllowed := want{405, "", map[string]string{"Content-Type": absent, "Allow": absent}}
	tests := []struct {
		name         string
		method, path string
		body         string
		keys         map[string]string
		leader       want
		follower     want // zero: same as leader
	}{
		{name: "status", method: "GET", path: "/status",
			leader:   want{200, "leader", map[string]string{"Content-Type": textPlain}},
			follower: want{200, "follower", nil}},
		{name: "status other level", method: "GET", path: "/status?level=basic",
			leader: want{200, "leader", nil}, follower: want{200, "follower", nil}},
		{name: "status empty level", method: "GET", path: "/status?level=",
			leader: want{200, "leader", nil}, follower: want{200, "follower", nil}},
		{name: "status full no keys", method: "GET", path: "/status?level=full",
			leader: want{200, "0\n", map[string]string{"Content-Type": textPlain}}},
		{name: "status full counts keys", method: "GET", path: "/status?level=full",
			keys:   map[string]string{"a": "1", "b": ""},
			leader: want{200, "2\n", nil}},
		{name: "keys empty", method: "GET", path: "/keys",
			leader: want{200, "[]\n", map[string]string{"Content-Type": textPlain}}},
		{name: "keys sorted", method: "GET", path: "/keys",
			keys:   map[string]string{"zeta": "z", "alpha": "a", "mid": "m"},
			leader: want{200, `["alpha","mid","zeta"]` + "\n", nil}},
		{name: "get", method: "GET", path: "/get/test",
			keys:   map[string]string{"test": "test data\n"},
			leader: want{200, "test data\n", map[string]string{"Content-Type": textPlain}}},
		{name: "get empty value", method: "GET", path: "/get/test",
			keys:   map[string]string{"test": ""},
			leader: want{200, "", nil}},
		{name: "get missing", method: "GET", path: "/get/nope",
			leader: want{404, "\n", map[string]string{"Content-Type": textPlain, "X-Content-Type-Options": "nosniff"}}},
		{name: "get escaped key", method: "GET", path: "/get/%74est",
			keys:   map[string]string{"test": "v"},
			leader: want{200, "v", nil}},
		{name: "set", method: "PUT", path: "/set/test", body: "test data\n",
			leader:   want{200, "WRITE completed", map[string]string{"Content-Type": textPlain}},
			follower: want{307, "", map[string]string{"Location": "http://mehdb-0.mehdb:9876/set/test", "Content-Type": absent}}},
		{name: "set empty body", method: "PUT", path: "/set/empty",
			leader:   want{200, "WRITE completed", nil},
			follower: want{307, "", map[string]string{"Location": "http://mehdb-0.mehdb:9876/set/empty"}}},
		{name: "key with digit", method: "GET", path: "/get/a1", leader: notFound},
		{name: "key with capital", method: "PUT", path: "/set/Abc", leader: notFound},
		{name: "empty key", method: "GET", path: "/get/", leader: notFound},
		{name: "trailing slash", method: "GET", path: "/get/abc/", leader: notFound},
		{name: "status trailing slash", method: "GET", path: "/status/", leader: notFound},
		{name: "unknown path", method: "GET", path: "/nope", leader: notFound},
		{name: "root", method: "GET", path: "/", leader: notFound},
		{name: "wrong method on unknown path", method: "POST", path: "/nope", leader: notFound},
		{name: "GET on set", method: "GET", path: "/set/abc", leader: notAllowed},
		{name: "POST on status", method: "POST", path: "/status", leader: notAllowed},
		{name: "PUT on keys", method: "PUT", path: "/keys", leader: notAllowed},
		{name: "HEAD on get", method: "HEAD", path: "/get/abc", leader: notAllowed},
		{name: "POST on set", method: "POST", path: "/set/abc", body: "x", leader: notAllowed},
		{name: "double slash", method: "GET", path: "//get/abc",
			leader: want{301, "", map[string]string{"Location": "/get/abc"}}},
		{name: "dot element keeps query", method: "GET", path: "/get/./abc?x=1",
			leader: want{301, "", map[string]string{"Location": "/get/abc?x=1"}}},
		{name: "dot-dot", method: "PUT", path: "/set/x/../abc",
			leader: want{301, "", map[string]string{"Location": "/set/abc"}}},
		{name: "clean before method", method: "POST", path: "//status?level=full",
			leader: want{301, "", map[string]string{"Location": "/status?level=full"}}},
	}
	for _, tt := range tests {
		for _, role := range []string{"leader", "follower"} {
			t.Run(tt.name+"/"+role, func(t *testing.T) {
				id, w := LeaderName, tt.leader
				if role == "follower" {
					id = "mehdb-1"
					if tt.follower.code != 0 {
						w = tt.follower
					}
				}
				srv, _, _ := newTestServer(t, id, tt.keys)
				resp := do(t, srv, tt.method, tt.path, tt.body)
				got, err := io.ReadAll(resp.Body)
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != w.code || string(got) != w.body {
					t.Errorf("%s %s = %d %q, want %d %q", tt.method, tt.path, resp.StatusCode, got, w.code, w.body)
				}
				for h, v := range w.headers {
					if _, set := resp.Header[h]; v == absent && set {
						t.Errorf("header %s = %q, want none", h, resp.Header.Get(h))
					} else if v != absent && resp.Header.Get(h) != v {
						t.Errorf("header %s = %q, want %q", h, resp.Header.Get(h), v)
					}
				}
			})
		}
	}
}

func TestSetStoresValue(t *testing.T) {
	srv, cfg, logs := newTestServer(t, LeaderName, nil)
	for _, v := range []string{"first value", "second"} { // the second overwrites
		if resp := do(t, srv, "PUT", "/set/test", v); resp.StatusCode != 200 {
			t.Fatalf("PUT: %d", resp.StatusCode)
		}
	}
	b, err := os.ReadFile(filepath.Join(cfg.DataDir, "test", "content"))
	if err != nil || string(b) != "second" {
		t.Fatalf("content file = %q, %v; want %q", b, err, "second")
	}
	if fi, _ := os.Stat(filepath.Join(cfg.DataDir, "test", "content")); fi.Mode().Perm() != 0o644 {
		t.Errorf("content mode = %v, want 0644", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Join(cfg.DataDir, "test"))
	if len(entries) != 1 {
		t.Errorf("key directory holds %d entries, want only content (no temporary files left)", len(entries))
	}
	if !strings.Contains(logs.String(), "Done writing key test\n") {
		t.Errorf("logs lack the write:\n%s", logs)
	}
}

func TestFollowerDoesNotWrite(t *testing.T) {
	srv, cfg, logs := newTestServer(t, "mehdb-1", nil)
	do(t, srv, "PUT", "/set/test", "v")
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "test")); !os.IsNotExist(err) {
		t.Errorf("a follower stored a write: %v", err)
	}
	if want := "Redirecting WRITE to http://mehdb-0.mehdb:9876/set/test\n"; !strings.Contains(logs.String(), want) {
		t.Errorf("logs lack %q:\n%s", want, logs)
	}
}

func TestKeysIgnoreNonKeys(t *testing.T) {
	srv, cfg, _ := newTestServer(t, LeaderName, map[string]string{"real": "v"})
	for _, d := range []string{"lost+found", "empty", ".hidden"} {
		os.Mkdir(filepath.Join(cfg.DataDir, d), 0o755)
	}
	os.WriteFile(filepath.Join(cfg.DataDir, ".hidden", "content"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(cfg.DataDir, "stray-file"), []byte("x"), 0o644)
	got, _ := io.ReadAll(do(t, srv, "GET", "/keys", "").Body)
	if string(got) != "[\"real\"]\n" {
		t.Errorf("/keys = %q, want only the key with a content file", got)
	}
}

func TestDataDirErrors(t *testing.T) {
	srv, cfg, _ := newTestServer(t, LeaderName, nil)
	// A file where the data directory should be: listing and writing fail.
	os.RemoveAll(cfg.DataDir)
	if err := os.WriteFile(cfg.DataDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ method, path, body string }{
		{"GET", "/keys", ""}, {"GET", "/status?level=full", ""}, {"PUT", "/set/abc", "v"},
	} {
		resp := do(t, srv, tt.method, tt.path, tt.body)
		got, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 500 || !strings.Contains(string(got), cfg.DataDir) {
			t.Errorf("%s %s = %d %q, want 500 with the error naming the data directory", tt.method, tt.path, resp.StatusCode, got)
		}
	}
	// The role does not depend on the data.
	if got, _ := io.ReadAll(do(t, srv, "GET", "/status", "").Body); string(got) != "leader" {
		t.Errorf("/status = %q", got)
	}
}

func TestCleanPath(t *testing.T) {
	for in, want := range map[string]string{
		"": "/", "/": "/", "get/a": "/get/a", "//get/a": "/get/a", "/get/./a": "/get/a",
		"/get/a/": "/get/a/", "/get//a/": "/get/a/", "/../status": "/status",
	} {
		if got := cleanPath(in); got != want {
			t.Errorf("cleanPath(%q) = %q, want %q", in, got, want)
		}
	}
}
