package testkeystest

import (
	"testing"

	"github.com/mcpauth/mcpauth/testkeys"
)

// JWKSServer is a [testkeys.JWKSServer] bound to a test: it is closed when
// the test ends, and SetKeys and SetStatus fail the test instead of
// returning an error. Every other method is the embedded server's.
type JWKSServer struct {
	*testkeys.JWKSServer
	tb testing.TB
}

// NewJWKSServer starts a [testkeys.JWKSServer] serving the JWK Set of keys
// and registers its Close with tb.Cleanup. It calls tb.Fatal if the server
// cannot start or the set cannot be built.
func NewJWKSServer(tb testing.TB, keys ...*testkeys.KeyPair) *JWKSServer {
	tb.Helper()
	srv, err := testkeys.NewJWKSServer(keys...)
	if err != nil {
		tb.Fatalf("%v", err)
	}
	tb.Cleanup(func() { srv.Close() })
	return &JWKSServer{JWKSServer: srv, tb: tb}
}

// SetKeys replaces the served document with the JWK Set of keys; see
// [testkeys.JWKSServer.SetKeys]. It calls Fatal on the server's testing.TB
// if the set cannot be built, so it must be called from the test's
// goroutine.
func (s *JWKSServer) SetKeys(keys ...*testkeys.KeyPair) {
	s.tb.Helper()
	if err := s.JWKSServer.SetKeys(keys...); err != nil {
		s.tb.Fatalf("%v", err)
	}
}

// SetStatus makes the server answer with status code; see
// [testkeys.JWKSServer.SetStatus]. It calls Fatal on the server's
// testing.TB unless 200 <= code <= 599.
func (s *JWKSServer) SetStatus(code int) {
	s.tb.Helper()
	if err := s.JWKSServer.SetStatus(code); err != nil {
		s.tb.Fatalf("%v", err)
	}
}
