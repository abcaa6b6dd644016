package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/static"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// Bytes a client sends once it believes a protocol switch happened. Each
// asks the upstream for /admin (or makes a WebSocket upstream talk); their
// answers carry one of tunnelMarkers.
var (
	// h2Tunnel is the HTTP/2 connection preface, an empty SETTINGS frame
	// and a HEADERS frame (stream 3, END_STREAM|END_HEADERS) for
	// GET http://x/admin, HPACK-encoded without Huffman coding.
	h2Tunnel = func() []byte {
		var block []byte
		block = append(block, 0x82, 0x86)   // :method GET, :scheme http
		block = append(block, 0x04, 6)      // :path, literal value
		block = append(block, "/admin"...)  //
		block = append(block, 0x01, 1, 'x') // :authority x
		frame := func(typ, flags byte, stream uint32, payload []byte) []byte {
			h := make([]byte, 9)
			h[0], h[1], h[2] = byte(len(payload)>>16), byte(len(payload)>>8), byte(len(payload))
			h[3], h[4] = typ, flags
			binary.BigEndian.PutUint32(h[5:], stream)
			return append(h, payload...)
		}
		out := []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
		out = append(out, frame(0x4, 0, 0, nil)...)
		return append(out, frame(0x1, 0x5, 3, block)...)
	}()
	// wsTunnel is a masked WebSocket text frame ("hi").
	wsTunnel = []byte{0x81, 0x82, 1, 2, 3, 4, 'h' ^ 1, 'i' ^ 2}
	// http1Tunnel asks for /admin in HTTP/1.1 on the same connection.
	http1Tunnel = []byte("GET /admin HTTP/1.1\r\nHost: x\r\n\r\n")

	tunnelMarkers = []string{"ADMIN-REACHED", "OTHER-REACHED", "WS-TUNNEL", "WS-ECHO"}
)

// rawExchange sends request on a new connection, reads the response head
// and, unless it is 101, its body; then sends tunnel and returns everything
// the connection yields until it is closed or quiet for a second.
func rawExchange(t *testing.T, hostPort, request string, tunnel []byte) (resp *http.Response, body, after string) {
	t.Helper()
	c, br, resp := sendRaw(t, hostPort, request)
	defer c.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
	}
	c.Write(tunnel) // may fail: the connection is meant to be closed
	var rest bytes.Buffer
	for {
		c.SetReadDeadline(time.Now().Add(time.Second))
		buf := make([]byte, 4096)
		n, err := br.Read(buf)
		rest.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp, body, rest.String()
}

func containsTunnelMarker(s string) bool {
	for _, m := range tunnelMarkers {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// TestProxyRefusesProtocolSwitch runs the proxy in front of hypercorn, which
// switches to HTTP/2 on "Upgrade: h2c" and to WebSocket on a WebSocket
// handshake: no form of upgrade request may reach it, and no bytes sent
// after the refusal may either.
func TestProxyRefusesProtocolSwitch(t *testing.T) {
	up := hypercornUpstream(t)
	upHost := strings.TrimPrefix(up, "http://")
	kp := testkeystest.SharedRSAKeyPair(t)
	ts := startProxy(t, up+"/mcp", pemVars(kp))
	proxyHost := strings.TrimPrefix(ts.url, "http://")
	tok := mintFor(t, kp, ts, testkeys.TokenOptions{ExpiresIn: time.Hour})
	const h2cHeaders = "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n"
	const wsHeaders = "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	request := func(method, path, headers, token string) string {
		r := method + " " + path + " HTTP/1.1\r\nHost: " + proxyHost + "\r\n" + headers
		if token != "" {
			r += "Authorization: Bearer " + token + "\r\n"
		}
		return r + "\r\n"
	}

	// The upstream does switch: sent to it directly, an h2c upgrade opens
	// an HTTP/2 connection that reaches /admin, and a WebSocket handshake
	// a WebSocket.
	if resp, _, after := rawExchange(t, upHost, request("GET", "/mcp", h2cHeaders, ""), h2Tunnel); resp.StatusCode != http.StatusSwitchingProtocols || !strings.Contains(after, "ADMIN-REACHED") {
		t.Fatalf("hypercorn directly, h2c: %d %q; the upstream no longer demonstrates the attack", resp.StatusCode, after)
	}
	if resp, _, after := rawExchange(t, upHost, request("GET", "/mcp", wsHeaders, ""), wsTunnel); resp.StatusCode != http.StatusSwitchingProtocols || !strings.Contains(after, "WS-TUNNEL") {
		t.Fatalf("hypercorn directly, websocket: %d %q", resp.StatusCode, after)
	}
	// A plain request passes.
	if resp, body := do(t, http.MethodGet, ts.mcp()+"/x", tok, ""); resp.StatusCode != http.StatusOK || !strings.Contains(body, `"path": "/mcp/x"`) {
		t.Fatalf("plain GET through the proxy: %d %s", resp.StatusCode, body)
	}
	before := len(hypercornSeen(t, up))

	tests := []struct {
		name           string
		method, path   string
		headers        string
		tunnel         []byte
		wantStatus     int
		wantBodyPrefix string
	}{
		{"h2c", "GET", "/mcp", h2cHeaders, h2Tunnel, http.StatusBadRequest, `{"error":"invalid_request"`},
		{"h2c below the mount", "GET", "/mcp/x", h2cHeaders, h2Tunnel, http.StatusBadRequest, `{"error":"invalid_request"`},
		{"websocket", "GET", "/mcp", wsHeaders, wsTunnel, http.StatusBadRequest, `{"error":"invalid_request"`},
		{"lower-case tokens", "GET", "/mcp", "connection: upgrade\r\nupgrade: h2c\r\n", h2Tunnel, http.StatusBadRequest, `{"error":"invalid_request"`},
		{"upper-case tokens", "GET", "/mcp", "CONNECTION: UPGRADE\r\nUPGRADE: H2C\r\n", h2Tunnel, http.StatusBadRequest, `{"error":"invalid_request"`},
		{"upgrade among other Connection tokens", "GET", "/mcp", "Connection: keep-alive,  Upgrade ,x\r\nUpgrade: h2c\r\n", h2Tunnel, http.StatusBadRequest, `{"error":"invalid_request"`},
		{"upgrade in a second Connection line", "GET", "/mcp", "Connection: keep-alive\r\nConnection: upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", wsTunnel, http.StatusBadRequest, `{"error":"invalid_request"`},
		// hypercorn switches on the Upgrade header alone.
		{"Upgrade without a Connection token", "GET", "/mcp", "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n", h2Tunnel, http.StatusBadRequest, `{"error":"invalid_request"`},
		{"empty Upgrade", "GET", "/mcp", "Connection: Upgrade\r\nUpgrade: \r\n", http1Tunnel, http.StatusBadRequest, `{"error":"invalid_request"`},
		{"Connection upgrade alone", "GET", "/mcp", "Connection: Upgrade\r\n", http1Tunnel, http.StatusBadRequest, `{"error":"invalid_request"`},
		{"HTTP2-Settings alone", "GET", "/mcp", "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n", h2Tunnel, http.StatusBadRequest, `{"error":"invalid_request"`},
		{"any protocol", "GET", "/mcp", "Connection: Upgrade\r\nUpgrade: TLS/1.2, IRC/6.9\r\n", http1Tunnel, http.StatusBadRequest, `{"error":"invalid_request"`},
		{"POST", "POST", "/mcp", "Connection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 0\r\n", h2Tunnel, http.StatusBadRequest, `{"error":"invalid_request"`},
		{"HTTP/1.0", "GET", "/mcp", "Connection: Upgrade\r\nUpgrade: h2c\r\n", h2Tunnel, http.StatusBadRequest, `{"error":"invalid_request"`},
		{"CONNECT to the MCP path", "CONNECT", "/mcp", "", http1Tunnel, http.StatusMethodNotAllowed, `{"error":"invalid_request"`},
		{"TRACE", "TRACE", "/mcp", "", http1Tunnel, http.StatusMethodNotAllowed, `{"error":"invalid_request"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := request(tt.method, tt.path, tt.headers, tok)
			if tt.name == "HTTP/1.0" {
				req = strings.Replace(req, "HTTP/1.1", "HTTP/1.0", 1)
			}
			resp, body, after := rawExchange(t, proxyHost, req, tt.tunnel)
			if resp.StatusCode != tt.wantStatus || !strings.HasPrefix(body, tt.wantBodyPrefix) {
				t.Errorf("status %d body %q, want %d %s…", resp.StatusCode, body, tt.wantStatus, tt.wantBodyPrefix)
			}
			if !resp.Close {
				t.Errorf("the refusal does not close the connection")
			}
			if containsTunnelMarker(body + after) {
				t.Errorf("the bytes sent after the refusal reached the upstream: %q", after)
			}
			// Without a token, the same request is an unauthenticated one.
			resp, _, after = rawExchange(t, proxyHost, request(tt.method, tt.path, tt.headers, ""), tt.tunnel)
			if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != tt.wantStatus {
				t.Errorf("without a token: %d", resp.StatusCode)
			}
			if containsTunnelMarker(after) {
				t.Errorf("without a token, bytes reached the upstream: %q", after)
			}
		})
	}

	// Other ways in: CONNECT in authority form (to the upstream's own
	// address) and HTTP/2 with prior knowledge are not routed at all.
	for _, req := range []string{
		"CONNECT " + upHost + " HTTP/1.1\r\nHost: " + upHost + "\r\nAuthorization: Bearer " + tok + "\r\n\r\n",
		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
	} {
		resp, _, after := rawExchange(t, proxyHost, req, h2Tunnel)
		if resp.StatusCode < 400 || containsTunnelMarker(after) {
			t.Errorf("%q: %d, then %q", strings.SplitN(req, "\r\n", 2)[0], resp.StatusCode, after)
		}
	}

	if seen := hypercornSeen(t, up)[before:]; len(seen) != 0 {
		t.Errorf("the upstream received %d refused requests, the first %+v", len(seen), seen[0])
	}
}

// TestProxyNeverRelaysSwitchingProtocols removes the request check: even
// when an upgrade request reaches the upstream and it answers 101, the
// forwarding handler answers 502 and never hands the connection over.
func TestProxyNeverRelaysSwitchingProtocols(t *testing.T) {
	up := hypercornUpstream(t)
	v, err := static.NewTokenVerifier(map[string]static.Token{"tok": {ClientID: "app"}})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	u, err := url.Parse(up + "/mcp")
	if err != nil {
		t.Fatal(err)
	}
	p := newProxy(u, mcpPath, nil, slog.New(slog.NewTextHandler(logs, nil)))
	// The forwarding part alone, on a server whose ResponseWriter can be
	// hijacked.
	srv := httptest.NewServer(middleware.New(v)(p.rp))
	t.Cleanup(srv.Close)
	before := len(hypercornSeen(t, up))
	req := "GET /mcp HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	resp, body, after := rawExchange(t, strings.TrimPrefix(srv.URL, "http://"), req, wsTunnel)
	if resp.StatusCode != http.StatusBadGateway || containsTunnelMarker(body+after) {
		t.Errorf("101 from the upstream: relayed as %d %q, then %q", resp.StatusCode, body, after)
	}
	if seen := hypercornSeen(t, up)[before:]; len(seen) != 1 || seen[0].Type != "websocket" {
		t.Errorf("the upstream should have switched once (the check under test is the response side): %+v", seen)
	}
	if !strings.Contains(logs.String(), "switch protocols") {
		t.Errorf("the refused switch is not logged:\n%s", logs.String())
	}
}

// TestProxyResponseWriterCannotBeHijacked: the writer the reverse proxy
// gets offers Flush (for SSE) but no way to take over the connection.
func TestProxyResponseWriterCannotBeHijacked(t *testing.T) {
	errs := make(chan [2]error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(newNoHijackWriter(w))
		_, _, hijackErr := rc.Hijack()
		errs <- [2]error{hijackErr, rc.Flush()}
	}))
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	e := <-errs
	if hijackErr, flushErr := e[0], e[1]; !errors.Is(hijackErr, http.ErrNotSupported) || flushErr != nil {
		t.Errorf("Hijack: %v (want ErrNotSupported), Flush: %v (want nil)", hijackErr, flushErr)
	}
}
