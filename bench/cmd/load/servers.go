package main

// servers.go: the upstream MCP server stand-in, the plain reverse proxy
// and the token issuer that bench/load.sh starts on loopback.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mcpauth/mcpauth/testkeys"
)

// upstreamBody is what the upstream answers every request with: the size
// and shape of a small MCP tools/call result.
const upstreamBody = `{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"hello from the load-test upstream"}],"isError":false}}` + "\n"

// serveUntil serves h on addr until ctx ends.
func serveUntil(ctx context.Context, addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	srv.Shutdown(sctx)
	return nil
}

// runUpstream answers every request 200 with upstreamBody after reading
// the request body. /healthz is the readiness probe.
func runUpstream(ctx context.Context, addr string) error {
	body := []byte(upstreamBody)
	return serveUntil(ctx, addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		w.Write(body)
	}))
}

// runPlain is the reference: an httputil.ReverseProxy without any
// authentication, with the upstream transport, buffer pool and flushing
// of mcpauth proxy (cmd/mcpauth/proxy_transport.go). With buffer it also
// reads small request bodies whole before forwarding, as mcpauth proxy
// does, so that the only difference left is authentication. /healthz is
// answered locally.
func runPlain(ctx context.Context, addr, upstream string, buffer bool) error {
	target, err := url.Parse(upstream)
	if err != nil || target.Host == "" {
		return fmt.Errorf("-upstream %q is not an absolute URL", upstream)
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.URL.Path, pr.Out.URL.RawPath = target.Path, ""
			pr.Out.Host = ""
			pr.SetXForwarded()
			if b, ok := pr.In.Body.(*bufferedBody); ok && pr.Out.Body != nil {
				// Unwrapped from ReverseProxy's guard, so that the
				// transport sees it is in memory (as cmd/mcpauth does).
				pr.Out.Body = io.NopCloser(&b.Reader)
			}
		},
		Transport:  upstreamTransport(),
		BufferPool: newBufferPool(),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if buffer {
			if err := bufferBody(r); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
		}
		rp.ServeHTTP(flushingWriter{w, http.NewResponseController(w)}, r)
	}))
	return serveUntil(ctx, addr, mux)
}

// upstreamTransport mirrors cmd/mcpauth's upstream transport settings.
func upstreamTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DisableCompression = true
	t.MaxIdleConns = 1024
	t.IdleConnTimeout = 90 * time.Second
	t.MaxIdleConnsPerHost = 1024
	return t
}

// flushingWriter mirrors cmd/mcpauth's noHijackWriter: every write is
// flushed at once (ReverseProxy itself flushes SSE and bodies of unknown
// length).
type flushingWriter struct {
	http.ResponseWriter
	rc *http.ResponseController
}

func (f flushingWriter) Write(b []byte) (int, error) {
	n, err := f.ResponseWriter.Write(b)
	if err != nil {
		return n, err
	}
	return n, f.rc.Flush()
}

func (f flushingWriter) FlushError() error { return f.rc.Flush() }

// bufferPool mirrors cmd/mcpauth's httputil.BufferPool.
type bufferPool struct{ p sync.Pool }

func newBufferPool() *bufferPool {
	return &bufferPool{p: sync.Pool{New: func() any { return new([32 << 10]byte) }}}
}

func (b *bufferPool) Get() []byte { return b.p.Get().(*[32 << 10]byte)[:] }
func (b *bufferPool) Put(s []byte) {
	if cap(s) == 32<<10 {
		b.p.Put((*[32 << 10]byte)(s[:32<<10]))
	}
}

// bufferBody mirrors cmd/mcpauth's: a request body of known length up to
// 64 KiB is read whole, so that the transport writes the upstream request
// in one write (the Rewrite above hands it to the transport as such).
func bufferBody(r *http.Request) error {
	if r.ContentLength <= 0 || r.ContentLength > 64<<10 {
		return nil
	}
	b := make([]byte, r.ContentLength+1)
	n, err := io.ReadFull(r.Body, b)
	if !errors.Is(err, io.ErrUnexpectedEOF) || int64(n) != r.ContentLength {
		return fmt.Errorf("bad request body (%d bytes, %v)", n, err)
	}
	bb := new(bufferedBody)
	bb.Reset(b[:n])
	r.Body = bb
	return nil
}

// bufferedBody is a request body bufferBody read whole.
type bufferedBody struct{ bytes.Reader }

// Close does nothing: the body is in memory.
func (*bufferedBody) Close() error { return nil }

// runIssuer generates an RS256 key, serves its JWK Set at
// /.well-known/jwks.json and an OpenID Provider configuration at
// /.well-known/openid-configuration (oauth2-proxy discovers its issuer;
// mcpauth reads the JWK Set), and writes n tokens for aud to out, one a
// line: one token per load-test client. The issuer is http://addr.
func runIssuer(ctx context.Context, addr, aud string, n int, out string) error {
	if aud == "" || out == "" || n < 1 {
		return errors.New("-aud, -out and -tokens >= 1 are required")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	issuer := "http://" + ln.Addr().String()
	key, err := testkeys.GenerateRSAKeyPair()
	if err != nil {
		return err
	}
	jwks, err := testkeys.JWKSHandler(key)
	if err != nil {
		return err
	}
	discovery, err := json.Marshal(map[string]any{
		"issuer":                                issuer,
		"jwks_uri":                              issuer + "/.well-known/jwks.json",
		"authorization_endpoint":                issuer + "/authorize",
		"token_endpoint":                        issuer + "/token",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
	})
	if err != nil {
		return err
	}
	var b strings.Builder
	for i := range n {
		client := fmt.Sprintf("load-client-%02d", i)
		tok, err := key.CreateToken(testkeys.TokenOptions{
			Issuer:    issuer,
			Subject:   client + "-user",
			Audience:  []string{aud},
			Scopes:    []string{"mcp:tools"},
			ExpiresIn: 2 * time.Hour,
			AdditionalClaims: map[string]any{
				"client_id": client,
				// oauth2-proxy's session takes the email claim (or the
				// subject) and checks email_verified when present.
				"email":          client + "@example.com",
				"email_verified": true,
			},
		})
		if err != nil {
			return err
		}
		b.WriteString(tok + "\n")
	}
	if err := os.WriteFile(out, []byte(b.String()), 0o600); err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/.well-known/jwks.json", jwks)
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(discovery)
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	return srv.Close()
}
