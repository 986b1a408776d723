package mehdb

import (
	"encoding/json"
	"io"
	"log"
	"net/http"
	"path"
	"strings"
)

// Server is one shard's HTTP API:
//
//	GET /status               "leader" or "follower"
//	GET /status?level=full    the number of keys as JSON, plus "\n"
//	GET /keys                 the sorted key names as a JSON array, plus "\n"
//	GET /get/{key}            the value's bytes; 404 with body "\n" if absent
//	PUT /set/{key}            leader: store the body, "WRITE completed";
//	                          follower: 307 to the leader's /set/{key}
//
// A key is [a-z]+. The routing reproduces what upstream's router (gorilla/mux
// v1.6) lets a client observe: an unknown path, a key outside [a-z]+ or a
// trailing slash is a 404 "404 page not found\n"; a known path with another
// method (HEAD included) is a 405 with an empty body; a path that is not in
// canonical form (//get/a, /get/./a) is a 301 to the cleaned path with the
// query kept. Values are written with the Go defaults (a sniffed
// Content-Type), as upstream's handlers do.
type Server struct {
	cfg   Config
	store store
	log   *log.Logger
}

// NewServer returns the API of the shard cfg describes, logging to lg.
func NewServer(cfg Config, lg *log.Logger) *Server {
	return &Server{cfg: cfg, store: store{dir: cfg.DataDir}, log: lg}
}

// handler serves one known path; key is the path's key, if any.
type handler func(w http.ResponseWriter, r *http.Request, key string)

// match finds the method and handler of a clean path and the key it names.
func (s *Server) match(p string) (method string, h handler, key string, ok bool) {
	switch p {
	case "/status":
		return http.MethodGet, s.status, "", true
	case "/keys":
		return http.MethodGet, s.keys, "", true
	}
	if k, found := strings.CutPrefix(p, "/get/"); found && validKey(k) {
		return http.MethodGet, s.get, k, true
	}
	if k, found := strings.CutPrefix(p, "/set/"); found && validKey(k) {
		return http.MethodPut, s.set, k, true
	}
	return "", nil, "", false
}

// validKey reports whether k matches [a-z]+.
func validKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 'a' || k[i] > 'z' {
			return false
		}
	}
	return true
}

// cleanPath is the canonical form of p: rooted, no "." or ".." elements, no
// double slashes, and a trailing slash kept (so "/get/a/" stays a 404
// instead of redirecting).
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

// ServeHTTP routes a request: clean path, then known path, then method.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p := cleanPath(r.URL.Path); p != r.URL.Path {
		u := *r.URL
		u.Path, u.RawPath = p, ""
		w.Header().Set("Location", u.String())
		w.WriteHeader(http.StatusMovedPermanently)
		return
	}
	method, h, key, ok := s.match(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Method != method {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	h(w, r, key)
}

// status answers the role, or with level=full the number of local keys. In
// v0.6 the count is 200 even when it is 0, so a readiness probe on it does
// not wait for data (and a fresh leader becomes Ready).
func (s *Server) status(w http.ResponseWriter, r *http.Request, _ string) {
	if r.URL.Query().Get("level") != "full" {
		role := "follower"
		if s.cfg.Leader() {
			role = "leader"
		}
		io.WriteString(w, role)
		return
	}
	keys, err := s.store.keys()
	if err != nil {
		s.log.Printf("Can't list keys due to %v", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	json.NewEncoder(w).Encode(len(keys))
}

// keys answers the sorted names of the local keys.
func (s *Server) keys(w http.ResponseWriter, _ *http.Request, _ string) {
	keys, err := s.store.keys()
	if err != nil {
		s.log.Printf("Can't list keys due to %v", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	json.NewEncoder(w).Encode(keys)
}

// get answers a key's value from local data, on leader and followers alike.
func (s *Server) get(w http.ResponseWriter, _ *http.Request, key string) {
	v, err := s.store.get(key)
	if err != nil {
		s.log.Printf("Can't read key %s due to %v", key, err)
		http.Error(w, "", http.StatusNotFound)
		return
	}
	w.Write(v)
	s.log.Printf("Done reading key %s", key)
}

// set stores a value on the leader. A follower does not read the body: it
// redirects with 307, which tells the client to repeat the PUT, body and
// all, at the leader (curl -L does).
func (s *Server) set(w http.ResponseWriter, r *http.Request, key string) {
	if !s.cfg.Leader() {
		to := s.cfg.LeaderURL + "/set/" + key
		s.log.Printf("Redirecting WRITE to %s", to)
		w.Header().Set("Location", to)
		w.WriteHeader(http.StatusTemporaryRedirect)
		return
	}
	v, err := io.ReadAll(r.Body)
	if err != nil {
		s.log.Printf("Can't read the value of key %s due to %v", key, err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if err := s.store.put(key, v); err != nil {
		s.log.Printf("Can't write key %s due to %v", key, err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	io.WriteString(w, "WRITE completed")
	s.log.Printf("Done writing key %s", key)
}
