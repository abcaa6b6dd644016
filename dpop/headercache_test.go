package dpop

import (
	"context"
	"crypto/sha256"
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
	if v.headers.get(sha256.Sum256([]byte(good[:strings.IndexByte(good, '.')]))) == nil {
		t.Fatal("the accepted header is not cached")
	}
	parts := strings.Split(good, ".")
	sig := []byte(parts[2])
	sig[5] ^= 1
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
	var first [sha256.Size]byte
	for i := range 3 * headerCacheSize {
		k := sha256.Sum256([]byte{byte(i), byte(i >> 8), byte(i >> 16)})
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
}
