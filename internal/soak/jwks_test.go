//go:build soak

package soak

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"
)

// fetch is one JWK Set document served to one process: when the response
// started and ended (zero while it is being written) and the kids it held.
type fetch struct {
	start, end time.Time
	kids       []string
}

// jwksServer serves a JWK Set at /jwks/<process name> and logs what it
// served to each process, so that the test knows which keys a process can
// have cached at any time. While down it fails every request in turn with
// a 503, a dropped connection, or a response that hangs past the client's
// timeout.
type jwksServer struct {
	srv  *httptest.Server
	hang time.Duration

	mu    sync.Mutex
	doc   []byte
	kids  []string
	down  bool
	fails int
	log   map[string][]*fetch
}

func newJWKSServer(hang time.Duration) *jwksServer {
	j := &jwksServer{hang: hang, log: map[string][]*fetch{}}
	j.srv = httptest.NewServer(http.HandlerFunc(j.serveHTTP))
	return j
}

// url returns the JWK Set URL for the process name.
func (j *jwksServer) url(name string) string { return j.srv.URL + "/jwks/" + name }

// publish replaces the document.
func (j *jwksServer) publish(doc []byte, kids []string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.doc, j.kids = doc, slices.Clone(kids)
}

// setDown starts or ends an outage.
func (j *jwksServer) setDown(down bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.down = down
}

// failures returns how many requests were failed during outages.
func (j *jwksServer) failures() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.fails
}

// served returns how many documents were served to name.
func (j *jwksServer) served(name string) int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.log[name])
}

func (j *jwksServer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, "/jwks/")
	if !ok || name == "" {
		http.NotFound(w, r)
		return
	}
	j.mu.Lock()
	if j.down {
		j.fails++
		mode := j.fails % 3
		j.mu.Unlock()
		switch mode {
		case 0:
			http.Error(w, "down", http.StatusServiceUnavailable)
		case 1:
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
					return
				}
			}
			http.Error(w, "down", http.StatusBadGateway)
		default:
			select {
			case <-time.After(j.hang):
			case <-r.Context().Done():
			}
			http.Error(w, "down", http.StatusGatewayTimeout)
		}
		return
	}
	f := &fetch{start: time.Now(), kids: j.kids}
	doc := j.doc
	j.log[name] = append(j.log[name], f)
	j.mu.Unlock()

	// No keep-alive: between fetches a process holds no connection to the
	// key server, so its descriptors and goroutines do not depend on when
	// they are counted.
	w.Header().Set("Connection", "close")
	w.Header().Set("Content-Type", "application/json")
	w.Write(doc)
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	j.mu.Lock()
	f.end = time.Now()
	j.mu.Unlock()
}

// keyState is what a process can know about one key during a request.
type keyState int

const (
	ambiguous keyState = iota // the key set changed around the request
	cached                    // the key was cached throughout the request
	absent                    // the key was not cached throughout (nor any token it signed)
)

// state says whether process name had kid cached throughout a request that
// ran from t0 to t1. A document counts from margin after it was served (the
// time to apply it); hold is how long an accepted token may still be
// answered after its key was removed (the verified-token cache's maximum
// age, or zero).
func (j *jwksServer) state(name, kid string, t0, t1 time.Time, margin, hold time.Duration) keyState {
	j.mu.Lock()
	defer j.mu.Unlock()
	has := func(f *fetch) bool { return slices.Contains(f.kids, kid) }
	// settledBefore reports whether f was completely served before t.
	settledBefore := func(f *fetch, t time.Time) bool { return !f.end.IsZero() && !f.end.After(t) }

	// Cached: the last document applied before t0 has the key, and every
	// document that may have been applied until t1 has it too.
	var last *fetch
	isCached := true
	for _, f := range j.log[name] {
		switch {
		case settledBefore(f, t0.Add(-margin)):
			last = f
		case !f.start.After(t1):
			isCached = isCached && has(f)
		}
	}
	if isCached && last != nil && has(last) {
		return cached
	}
	// Absent: the same, without the key, from hold before t0.
	last = nil
	isAbsent := true
	for _, f := range j.log[name] {
		switch {
		case settledBefore(f, t0.Add(-margin-hold)):
			last = f
		case !f.start.After(t1):
			isAbsent = isAbsent && !has(f)
		}
	}
	if isAbsent && (last == nil || !has(last)) {
		return absent
	}
	return ambiguous
}
