package dpop

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// TestHeaderCacheDecidesAsAMiss: once a client's header is cached, its
// next proofs still have their signature and claims checked.
func TestHeaderCacheDecidesAsAMiss(t *testing.T) {
	kp := testkeystest.SharedECKeyPair(t)
	v := newTestVerifier(t, nil)
	ctx := context.Background()
	if _, err := v.Verify(ctx, request(kp, defaultParts(t, kp).sign(t, kp))); err != nil {
		t.Fatal(err)
	}
	good := defaultParts(t, kp).sign(t, kp)
	if v.headers.get(good[:strings.IndexByte(good, '.')]) == nil {
		t.Fatal("the accepted header is not cached")
	}
	parts := strings.Split(good, ".")
	sig := []byte(parts[2])
	if sig[5] == 'A' {
		sig[5] = 'B'
	} else {
		sig[5] = 'A'
	}
	_, err := v.Verify(ctx, request(kp, parts[0]+"."+parts[1]+"."+string(sig)))
	wantProofErr(t, err, ErrInvalidProof, ReasonSignature)

	other := defaultParts(t, kp)
	other.claims["htm"] = "GET"
	_, err = v.Verify(ctx, request(kp, other.sign(t, kp)))
	wantProofErr(t, err, ErrInvalidProof, ReasonMethod)

	bad := defaultParts(t, kp)
	bad.header["typ"] = "JWT"
	_, err = v.Verify(ctx, request(kp, bad.sign(t, kp)))
	wantProofErr(t, err, ErrInvalidProof, ReasonHeader)
}

// TestHeaderCacheBounded: the cache holds at most two generations.
func TestHeaderCacheBounded(t *testing.T) {
	var c headerCache
	h := &checkedHeader{alg: "ES256"}
	var first string
	for i := range 3 * headerCacheSize {
		k := fmt.Sprint("header-", i)
		if i == 0 {
			first = k
		}
		c.put(k, h)
		if n := len(c.cur) + len(c.prev); n > 2*headerCacheSize {
			t.Fatalf("%d entries after %d puts", n, i+1)
		}
	}
	if c.get(first) != nil {
		t.Fatal("the oldest entry survived two rotations")
	}
	long := strings.Repeat("h", maxCachedHeader+1)
	c.put(long, h)
	if c.get(long) != nil {
		t.Fatal("a header longer than the limit was cached")
	}
}

// TestReplayKey: the key is the base64url SHA-256 of thumbprint, a zero
// byte and jti, whatever their lengths.
func TestReplayKey(t *testing.T) {
	for _, c := range []struct{ jkt, jti string }{
		{strings.Repeat("t", thumbprintLen), "jti-1"},
		{strings.Repeat("t", thumbprintLen), strings.Repeat("j", maxJTIBytes)},
		{strings.Repeat("t", 100), strings.Repeat("j", maxJTIBytes)},
	} {
		sum := sha256.Sum256([]byte(c.jkt + "\x00" + c.jti))
		if got, want := replayKey(c.jkt, c.jti), base64.RawURLEncoding.EncodeToString(sum[:]); got != want {
			t.Errorf("replayKey(%d bytes, %d bytes) = %s; want %s", len(c.jkt), len(c.jti), got, want)
		}
	}
}
