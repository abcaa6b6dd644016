package jwks

import (
	"context"
	"crypto"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
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

func TestKeyfuncWithGolangJWT(t *testing.T) {
	k := testKeys(t)
	srv := newServer(t, doc(t,
		rsaJWK("rs", &k.rsa1.PublicKey),
		rsaJWK("rs-pinned", &k.rsa2.PublicKey).with("alg", "RS256"),
		rsaJWK("rs-other", &k.rsa2.PublicKey),
		ecJWK(t, "ec", &k.p256.PublicKey),
	))
	h := newHarness(t, srv.URL, nil)
	h.ready(t)
	var kf keyfunc.Keyfunc = h.Set // drop-in for keyfunc users
	methods := jwt.WithValidMethods([]string{"RS256", "PS256", "ES256"})

	tests := []struct {
		name  string
		token string
		err   error // nil: valid
	}{
		{"RS256 with kid", sign(t, jwt.SigningMethodRS256, k.rsa1, "rs"), nil},
		{"PS256 with kid of unpinned RSA key", sign(t, jwt.SigningMethodPS256, k.rsa1, "rs"), nil},
		{"ES256 without kid", sign(t, jwt.SigningMethodES256, k.p256, nil), nil},
		{"PS256 against key pinned to RS256", sign(t, jwt.SigningMethodPS256, k.rsa2, "rs-pinned"), wantAlgorithm},
		{"RS256 without kid, several RSA keys", sign(t, jwt.SigningMethodRS256, k.rsa1, nil), wantUnknownKey},
		{"ES256 with an RSA kid", sign(t, jwt.SigningMethodES256, k.p256, "rs"), wantAlgorithm},
		{"kid is a number", sign(t, jwt.SigningMethodRS256, k.rsa1, 7), reasonTarget(mcpauth.ReasonBadHeader)},
		{"signed by another key", sign(t, jwt.SigningMethodRS256, k.rsa2, "rs"), jwt.ErrTokenSignatureInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, f := range map[string]jwt.Keyfunc{"Keyfunc": kf.Keyfunc, "KeyfuncCtx": kf.KeyfuncCtx(context.Background())} {
				tok, err := jwt.Parse(tt.token, f, methods)
				if tt.err == nil {
					if err != nil || !tok.Valid {
						t.Fatalf("%s: %v", name, err)
					}
					continue
				}
				if !matches(err, tt.err) {
					t.Fatalf("%s: %v, want %v", name, err, tt.err)
				}
			}
		})
	}
}

func TestStorageAndVerificationKeySet(t *testing.T) {
	k := testKeys(t)
	srv := newServer(t, nil)
	srv.set(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) })
	h := newHarness(t, srv.URL, func(o *Options) { o.RefreshRateLimit = time.Hour })
	if err := h.nextFetch(t); err == nil {
		t.Fatal("first fetch succeeded")
	}
	if _, err := h.VerificationKeySet(context.Background()); !errors.Is(err, mcpauth.ErrKeySourceUnavailable) {
		t.Fatalf("VerificationKeySet before any fetch = %v", err)
	}
	if all, _ := h.Storage().KeyReadAll(context.Background()); len(all) != 0 {
		t.Fatalf("Storage before any fetch has %d keys", len(all))
	}

	srv.serve(doc(t, rsaJWK("a", &k.rsa1.PublicKey), ecJWK(t, "b", &k.p256.PublicKey), rsaJWK("weak", &k.rsaWeak.PublicKey)))
	if err := h.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	ks, err := h.VerificationKeySet(context.Background())
	if err != nil || len(ks.Keys) != 2 {
		t.Fatalf("VerificationKeySet = %d keys, %v; want the 2 usable ones", len(ks.Keys), err)
	}
	st := h.Storage()
	all, _ := st.KeyReadAll(context.Background())
	var kids []string
	for _, j := range all {
		kids = append(kids, j.Marshal().KID)
		if j.Marshal().D != "" {
			t.Error("storage holds private material")
		}
	}
	if !slices.Equal(kids, []string{"a", "b"}) {
		t.Fatalf("Storage kids %v", kids)
	}
	if _, err := st.KeyDelete(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	mustKey(t, h.Set, "a", "RS256", &k.rsa1.PublicKey) // the copy is independent
}
