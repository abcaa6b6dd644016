package jwks

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/mcpauth/mcpauth"
)

func sign(t *testing.T, m jwt.SigningMethod, key crypto.Signer, kid any) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, jwt.MapClaims{"sub": "user", "exp": time.Now().Add(time.Hour).Unix()})
	if kid != nil {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestKeyfuncWithGolangJWT: the golang-jwt adapter keeps the per-key
// algorithm pinning. Every case runs with and without jwt.WithValidMethods,
// so the pinning is shown to come from the adapter, not from golang-jwt's
// method list: a key pinned to RS256 refuses a PS256 token signed by that
// very key, a key pinned to PS256 refuses RS256, an RSA key refuses ES256,
// and an HS256 token keyed with the RSA public key (algorithm confusion) is
// refused.
func TestKeyfuncWithGolangJWT(t *testing.T) {
	k := testKeys(t)
	srv := newServer(t, doc(t,
		rsaJWK("rs", &k.rsa1.PublicKey),
		rsaJWK("rs-pinned", &k.rsa2.PublicKey).with("alg", "RS256"),
		rsaJWK("ps-pinned", &k.rsa2.PublicKey).with("alg", "PS256"),
		ecJWK(t, "ec", &k.p256.PublicKey),
	))
	h := newHarness(t, srv.URL, nil)
	h.ready(t)
	der, err := x509.MarshalPKIXPublicKey(&k.rsa1.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	hs256 := func(secret []byte, kid string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "user", "exp": time.Now().Add(time.Hour).Unix()})
		tok.Header["kid"] = kid
		s, err := tok.SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	tests := []struct {
		name  string
		token string
		err   error // nil: valid
	}{
		{"RS256 with kid", sign(t, jwt.SigningMethodRS256, k.rsa1, "rs"), nil},
		{"PS256 with kid of unpinned RSA key", sign(t, jwt.SigningMethodPS256, k.rsa1, "rs"), nil},
		{"RS256 with key pinned to RS256", sign(t, jwt.SigningMethodRS256, k.rsa2, "rs-pinned"), nil},
		{"PS256 with key pinned to PS256", sign(t, jwt.SigningMethodPS256, k.rsa2, "ps-pinned"), nil},
		{"ES256 without kid", sign(t, jwt.SigningMethodES256, k.p256, nil), nil},
		{"PS256 against key pinned to RS256", sign(t, jwt.SigningMethodPS256, k.rsa2, "rs-pinned"), wantAlgorithm},
		{"RS256 against key pinned to PS256", sign(t, jwt.SigningMethodRS256, k.rsa2, "ps-pinned"), wantAlgorithm},
		{"ES256 with an RSA kid", sign(t, jwt.SigningMethodES256, k.p256, "rs"), wantAlgorithm},
		{"HS256 keyed with the RSA public key", hs256(pubPEM, "rs"), wantAlgorithm},
		{"RS256 without kid, several RSA keys", sign(t, jwt.SigningMethodRS256, k.rsa1, nil), wantUnknownKey},
		{"kid is a number", sign(t, jwt.SigningMethodRS256, k.rsa1, 7), reasonTarget(mcpauth.ReasonBadHeader)},
		{"signed by another key", sign(t, jwt.SigningMethodRS256, k.rsa2, "rs"), jwt.ErrTokenSignatureInvalid},
	}
	parsers := map[string][]jwt.ParserOption{
		"without WithValidMethods": nil,
		"with WithValidMethods":    {jwt.WithValidMethods([]string{"RS256", "PS256", "ES256", "HS256"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for pname, popts := range parsers {
				for name, f := range map[string]jwt.Keyfunc{"Keyfunc": h.Keyfunc, "KeyfuncCtx": h.KeyfuncCtx(context.Background())} {
					tok, err := jwt.Parse(tt.token, f, popts...)
					if tt.err == nil {
						if err != nil || !tok.Valid {
							t.Fatalf("%s %s: %v", name, pname, err)
						}
						continue
					}
					if !matches(err, tt.err) {
						t.Fatalf("%s %s: %v, want %v", name, pname, err, tt.err)
					}
				}
			}
		})
	}
}
