package dpop

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// TestNonce requires the server's nonce (RFC 9449 §8): missing, foreign or
// stale nonces give ErrUseNonce; the current and the previous one pass.
func TestNonce(t *testing.T) {
	ec := testkeystest.SharedECKeyPair(t)
	now := testNow
	secret := []byte("0123456789abcdef0123456789abcdef")
	v := newTestVerifier(t, func(c *Config) {
		c.RequireNonce = true
		c.NonceSecret = secret
		c.NonceLifetime = time.Minute
		c.MaxAge = 10 * time.Minute
		c.Clock = func() time.Time { return now }
	})
	other := newTestVerifier(t, func(c *Config) { c.RequireNonce = true })
	verify := func(nonce any) error {
		pp := defaultParts(t, ec)
		pp.claims["iat"] = now.Unix()
		if nonce != nil {
			pp.claims["nonce"] = nonce
		}
		_, err := v.Verify(context.Background(), request(ec, pp.sign(t, ec)))
		return err
	}
	n1 := v.Nonce()
	if n1 == "" || v.Nonce() != n1 {
		t.Fatalf("Nonce() = %q, then %q; want a stable non-empty nonce", n1, v.Nonce())
	}
	if err := verify(nil); !errors.Is(err, ErrUseNonce) {
		t.Fatalf("no nonce: %v; want ErrUseNonce", err)
	}
	if err := verify(other.Nonce()); !errors.Is(err, ErrUseNonce) {
		t.Fatalf("another server's nonce: %v; want ErrUseNonce", err)
	}
	if err := verify("not-a-nonce"); !errors.Is(err, ErrUseNonce) {
		t.Fatalf("garbage nonce: %v; want ErrUseNonce", err)
	}
	if err := verify(""); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("empty nonce: %v; want ErrInvalidProof", err)
	}
	if err := verify(n1); err != nil {
		t.Fatalf("current nonce: %v", err)
	}
	now = now.Add(time.Minute)
	n2 := v.Nonce()
	if n2 == n1 {
		t.Fatal("the nonce did not rotate")
	}
	if err := verify(n1); err != nil {
		t.Fatalf("previous nonce: %v", err)
	}
	if err := verify(n2); err != nil {
		t.Fatalf("rotated nonce: %v", err)
	}
	now = now.Add(time.Minute)
	if err := verify(n1); !errors.Is(err, ErrUseNonce) {
		t.Fatalf("stale nonce: %v; want ErrUseNonce", err)
	}
	// A replica sharing the secret accepts this server's nonce.
	replica := newTestVerifier(t, func(c *Config) {
		c.RequireNonce, c.NonceSecret, c.NonceLifetime = true, secret, time.Minute
		c.Clock = func() time.Time { return now }
	})
	if replica.Nonce() != v.Nonce() {
		t.Fatal("replicas sharing a secret issue different nonces")
	}
}

// TestNonceOff: without RequireNonce no nonce is issued and a proof's nonce
// is ignored.
func TestNonceOff(t *testing.T) {
	ec := testkeystest.SharedECKeyPair(t)
	v := newTestVerifier(t, nil)
	if v.Nonce() != "" {
		t.Fatal("a nonce was issued with nonces off")
	}
	pp := defaultParts(t, ec)
	pp.claims["nonce"] = "anything"
	if _, err := v.Verify(context.Background(), request(ec, pp.sign(t, ec))); err != nil {
		t.Fatal(err)
	}
}
