package dpop

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// FuzzVerifyProof feeds arbitrary DPoP headers to Verify: it must never
// panic, never accept a proof not signed by the one test key, and every
// refusal must be a proof error that does not quote the input.
func FuzzVerifyProof(f *testing.F) {
	ec := testkeystest.SharedECKeyPair(f)
	good := defaultParts(f, ec)
	f.Add(good.sign(f, ec))
	for _, h := range []string{
		`{"typ":"dpop+jwt","alg":"none","jwk":{}}`,
		`{"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"EC","crv":"P-256","x":"","y":""}}`,
		`{"typ":"dpop+jwt","alg":"RS256","jwk":{"kty":"RSA","n":"AQAB","e":"AQAB","d":"AQAB"}}`,
		`{"typ":"dpop+jwt","alg":"EdDSA","jwk":{"kty":"OKP","crv":"Ed25519","x":"` + strings.Repeat("A", 43) + `"}}`,
		`{"typ":"dpop+jwt","alg":"ES256","crit":["b64"],"b64":false}`,
		`{"typ":"dpop+jwt","typ":"dpop+jwt"}`,
	} {
		f.Add(enc64([]byte(h)) + "." + enc64(mustJSON(f, good.claims)) + "." + enc64(make([]byte, 64)))
	}
	f.Add("a.b.c")
	f.Add("..")
	f.Add(strings.Repeat(".", 100))
	v := newTestVerifier(f, func(c *Config) { c.ReplayStore = NewMemoryStore(1<<16, nil) })
	f.Fuzz(func(t *testing.T, proof string) {
		p, err := v.Verify(context.Background(), request(ec, proof))
		if err == nil {
			if p.Thumbprint != ec.KeyID() {
				t.Fatalf("accepted a proof of another key")
			}
			return
		}
		if !errors.Is(err, ErrInvalidProof) || !errors.Is(err, mcpauth.ErrInvalidToken) {
			t.Fatalf("err %v is not an invalid-proof error", err)
		}
		msg := err.Error()
		for i := 0; i+16 <= len(proof); i += 8 {
			if strings.Contains(msg, proof[i:i+16]) {
				t.Fatalf("error %q quotes the proof", msg)
			}
		}
	})
}
