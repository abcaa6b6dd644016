package verify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
)

// TestHeaderKeyURLsAreNeverFetched proves jku and x5u are ignored: a
// server they point at is never contacted.
func TestHeaderKeyURLsAreNeverFetched(t *testing.T) {
	ks := k(t)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	v := rsaVerifier(t, nil)
	attacker, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, member := range []string{"jku", "x5u"} {
		// Signed by the attacker: rejected.
		tok := sign(t, "RS256", k(t).rsa2, map[string]any{member: srv.URL + "/keys"}, goodClaims())
		_, err := v.VerifyToken(context.Background(), tok)
		wantReason(t, err, mcpauth.ReasonSignature)
		tok = sign(t, "ES256", attacker, map[string]any{member: srv.URL + "/keys"}, goodClaims())
		_, err = v.VerifyToken(context.Background(), tok)
		wantReason(t, err, mcpauth.ReasonAlgorithm)
		// Signed by the real key: accepted, and still nothing fetched.
		tok = sign(t, "RS256", ks.rsa, map[string]any{member: srv.URL + "/keys"}, goodClaims())
		if _, err := v.VerifyToken(context.Background(), tok); err != nil {
			t.Fatalf("%s: legitimate token rejected: %v", member, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the verifier fetched a token-supplied URL %d times", n)
	}
}

func TestHMACVerifier(t *testing.T) {
	secret := testHMAC[:32]
	v, err := NewJWTVerifier(Settings{PublicKey: secret, Algorithms: []string{"HS256"}, Issuers: []string{testIssuer}, Audiences: []string{testAudience}},
		WithClock(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.VerifyToken(context.Background(), sign(t, "HS256", []byte(secret), nil, goodClaims())); err != nil {
		t.Fatalf("rejected: %v", err)
	}
	_, err = v.VerifyToken(context.Background(), sign(t, "HS256", []byte(strings.Repeat("x", 32)), nil, goodClaims()))
	wantReason(t, err, mcpauth.ReasonSignature)
	_, err = v.VerifyToken(context.Background(), sign(t, "HS512", []byte(secret), nil, goodClaims()))
	wantReason(t, err, mcpauth.ReasonAlgorithm)
	_, err = v.VerifyToken(context.Background(), sign(t, "RS256", k(t).rsa, nil, goodClaims()))
	wantReason(t, err, mcpauth.ReasonAlgorithm)
}

func TestMaxTokenBytes(t *testing.T) {
	v := rsaVerifier(t, func(s *Settings) { s.MaxTokenBytes = 600 })
	tok := sign(t, "RS256", k(t).rsa, nil, goodClaims())
	if len(tok) <= 600 {
		t.Fatalf("test token is only %d bytes", len(tok))
	}
	_, err := v.VerifyToken(context.Background(), tok)
	wantReason(t, err, mcpauth.ReasonTooLarge)
}

func TestAllowListNarrowsKeyAlgorithms(t *testing.T) {
	v := rsaVerifier(t, func(s *Settings) { s.Algorithms = []string{"PS256"} })
	_, err := v.VerifyToken(context.Background(), sign(t, "RS256", k(t).rsa, nil, goodClaims()))
	wantReason(t, err, mcpauth.ReasonAlgorithm)
	if _, err := v.VerifyToken(context.Background(), sign(t, "PS256", k(t).rsa, nil, goodClaims())); err != nil {
		t.Fatalf("PS256 rejected: %v", err)
	}
}

// flipLast changes the last base64url character of s, whose length must
// not be a multiple of 4, so that the decoded bytes are the same but the
// unused trailing bits are not zero.
func flipLast(s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	if len(s)%4 == 0 {
		panic("segment has no trailing bits")
	}
	i := strings.IndexByte(alphabet, s[len(s)-1])
	return string(alphabet[i^1])
}
