package middleware

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestRejectionsDoNotWaitForTheBody sends, over a real connection, requests
// that announce a body and never send it. Every rejection (400, 401, 403,
// 503, and RequireScopes' 403 and 500) is answered without the body, closes
// the connection, and the body is never handed to the next handler. A
// server that drained the body first would never answer: the guard
// deadline turns that into a failure.
func TestRejectionsDoNotWaitForTheBody(t *testing.T) {
	reached := make(chan string, 10)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached <- r.URL.Path
		io.Copy(io.Discard, r.Body)
	})
	mux := http.NewServeMux()
	mw := New(&fakeVerifier{}, WithLogger(slog.New(slog.DiscardHandler)))
	mux.Handle("/mcp", mw(next))
	mux.Handle("/admin", mw(RequireScopes("admin")(next)))
	mux.Handle("/unprotected", RequireScopes("admin")(next))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	for _, tt := range []struct {
		name, path, auth string
		status           int
	}{
		{"no_token", "/mcp", "", http.StatusUnauthorized},
		{"expired", "/mcp", "Bearer " + tokExpired, http.StatusUnauthorized},
		{"bad_syntax", "/mcp", "Bearer a b", http.StatusBadRequest},
		{"insufficient_scope", "/mcp", "Bearer " + tokScope, http.StatusForbidden},
		{"key_source_unavailable", "/mcp", "Bearer " + tokUnavailable, http.StatusServiceUnavailable},
		{"route_scope", "/admin", "Bearer " + tokReadOnly, http.StatusForbidden},
		{"require_scopes_without_new", "/unprotected", "Bearer " + tokGood, http.StatusInternalServerError},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second)) // guard, not a speed target
			head := "POST " + tt.path + " HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n"
			if tt.auth != "" {
				head += "Authorization: " + tt.auth + "\r\n"
			}
			if _, err := io.WriteString(c, head+"\r\n"); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("no response without the body: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || !strings.Contains(string(body), `"error"`) {
				t.Fatalf("got %d %q, want %d with a JSON error", resp.StatusCode, body, tt.status)
			}
			if !resp.Close {
				t.Error("the rejection does not close the connection")
			}
			if n, err := br.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) && !(err != nil && strings.Contains(err.Error(), "connection reset")) {
				t.Errorf("after the rejection: read %d bytes, %v; want the connection closed", n, err)
			}
		})
	}
	t.Cleanup(func() {
		if len(reached) != 0 {
			t.Errorf("a rejected request reached the next handler (%s)", <-reached)
		}
	})
}
