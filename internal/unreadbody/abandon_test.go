package unreadbody

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// guard bounds every read in these tests: it only turns a hang into a
// failure, it is not a speed target.
const guard = 10 * time.Second

// rejecter answers 401 without reading the body, abandoning it with grace.
func rejecter(grace time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		abandon(w, r, grace)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":"invalid_token"}`)
	})
}

// send writes raw bytes on a new connection to srv and returns the
// connection and a reader over it.
func send(t *testing.T, srv *httptest.Server, raw string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(guard))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	return c, bufio.NewReader(c)
}

// readResponse reads one response and its body.
func readResponse(t *testing.T, br *bufio.Reader) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the response body: %v", err)
	}
	return resp, string(b)
}

// expectClosed fails unless the server has closed the connection (EOF or
// reset, not the guard's timeout).
func expectClosed(t *testing.T, br *bufio.Reader) {
	t.Helper()
	n, err := br.Read(make([]byte, 1))
	if n != 0 || !errors.Is(err, io.EOF) && !(err != nil && strings.Contains(err.Error(), "connection reset")) {
		t.Errorf("after the response: read %d bytes, %v; want the connection closed", n, err)
	}
}

var unsentBodies = []struct{ name, head, rest string }{
	{"content_length", "POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n", "0123456789"},
	{"partial_body", "POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01234", "56789"},
	{"chunked", "POST /mcp HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", "a\r\n0123456789\r\n0\r\n\r\n"},
	{"expect_continue", "POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n", "0123456789"},
}

// TestAbandonAnswersBeforeTheBody: with a grace longer than the test, a
// request announcing a body it has not sent still gets its response, so
// the response is written at once and not after a drain; the server closes
// the connection once the body has come.
func TestAbandonAnswersBeforeTheBody(t *testing.T) {
	srv := httptest.NewServer(rejecter(time.Hour))
	defer srv.Close()
	for _, tt := range unsentBodies {
		t.Run(tt.name, func(t *testing.T) {
			c, br := send(t, srv, tt.head)
			resp, body := readResponse(t, br)
			if resp.StatusCode != http.StatusUnauthorized || body != `{"error":"invalid_token"}` {
				t.Fatalf("got %d %q", resp.StatusCode, body)
			}
			if !resp.Close {
				t.Error("the response does not close the connection")
			}
			if _, err := io.WriteString(c, tt.rest); err != nil {
				t.Fatal(err)
			}
			expectClosed(t, br)
		})
	}
}

// TestAbandonClosesWithoutTheBody: with the real Grace, a body that never
// comes does not hold the connection: the server closes it.
func TestAbandonClosesWithoutTheBody(t *testing.T) {
	srv := httptest.NewServer(rejecter(Grace))
	t.Cleanup(srv.Close)
	for _, tt := range unsentBodies {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, br := send(t, srv, tt.head)
			if resp, _ := readResponse(t, br); resp.StatusCode != http.StatusUnauthorized || !resp.Close {
				t.Fatalf("got %d, close %v; want 401 closing the connection", resp.StatusCode, resp.Close)
			}
			expectClosed(t, br)
		})
	}
}

// TestAbandonKeepsPromptBodiesSafe: a client that sends its (large) body at
// once, as an ordinary client does, reads the whole response: the server
// reads the rest of the body within Grace instead of resetting the
// connection under the response.
func TestAbandonKeepsPromptBodiesSafe(t *testing.T) {
	srv := httptest.NewServer(rejecter(Grace))
	defer srv.Close()
	body := strings.Repeat("x", 200<<10)
	for i := range 20 {
		_, br := send(t, srv, "POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
		resp, got := readResponse(t, br)
		if resp.StatusCode != http.StatusUnauthorized || got != `{"error":"invalid_token"}` {
			t.Fatalf("request %d: got %d %q", i, resp.StatusCode, got)
		}
		expectClosed(t, br)
	}
}

// TestAbandonLeavesBodilessRequestsAlone: without a body there is nothing
// to wait for, and the connection stays open for the next request.
func TestAbandonLeavesBodilessRequestsAlone(t *testing.T) {
	srv := httptest.NewServer(rejecter(Grace))
	defer srv.Close()
	_, br := send(t, srv, "GET /mcp HTTP/1.1\r\nHost: x\r\n\r\nGET /mcp HTTP/1.1\r\nHost: x\r\n\r\n")
	for i := range 2 {
		resp, _ := readResponse(t, br)
		if resp.StatusCode != http.StatusUnauthorized || resp.Close {
			t.Fatalf("response %d: status %d, close %v; want 401 on a kept-alive connection", i, resp.StatusCode, resp.Close)
		}
	}
}
