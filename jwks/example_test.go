package jwks_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/jwks"
)

// identityProvider serves a JWK Set with one Ed25519 key, kid "key-1".
func identityProvider() (*httptest.Server, ed25519.PublicKey) {
	pub := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public().(ed25519.PublicKey)
	body := fmt.Sprintf(`{"keys":[{"kty":"OKP","crv":"Ed25519","use":"sig","kid":"key-1","x":%q}]}`,
		base64.RawURLEncoding.EncodeToString(pub))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		fmt.Fprint(w, body)
	}))
	return srv, pub
}

func ExampleNew() {
	idp, pub := identityProvider()
	defer idp.Close()

	ctx := context.Background()
	// Plain http is accepted here only because httptest listens on loopback.
	set, err := jwks.New(ctx, idp.URL+"/.well-known/jwks.json", jwks.Options{
		Algorithms: []string{"EdDSA", "RS256"},
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer set.Close()

	// New returns at once; lookups wait for the first fetch (bounded).
	key, err := set.VerificationKey(ctx, "key-1", "EdDSA")
	fmt.Println(err == nil && pub.Equal(key), set.KeyIDs())

	// The key is pinned to EdDSA: a token claiming RS256 is refused.
	_, err = set.VerificationKey(ctx, "key-1", "RS256")
	fmt.Println(errors.Is(err, mcpauth.ErrInvalidToken), mcpauth.ReasonOf(err))

	// An unknown kid refreshes the set once, then is not found.
	_, err = set.VerificationKey(ctx, "key-2", "EdDSA")
	fmt.Println(errors.Is(err, mcpauth.ErrInvalidToken), mcpauth.ReasonOf(err))
	// Output:
	// true [key-1]
	// true algorithm
	// true unknown_key
}

func ExampleSet_VerificationKey_errors() {
	// Nothing listens on this loopback address: the set has no keys yet.
	set, err := jwks.New(context.Background(), "http://127.0.0.1:1/jwks.json", jwks.Options{
		Timeout: time.Second,
		Logger:  slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer set.Close()

	_, err = set.VerificationKey(context.Background(), "key-1", "RS256")
	switch {
	case errors.Is(err, mcpauth.ErrKeySourceUnavailable):
		fmt.Println("503: no keys yet, try again later")
	case errors.Is(err, mcpauth.ErrInvalidToken):
		fmt.Println("401: invalid token:", mcpauth.ReasonOf(err))
	}

	_, err = jwks.New(context.Background(), "http://idp.example.com/jwks.json", jwks.Options{})
	fmt.Println(errors.Is(err, mcpauth.ErrInvalidConfig))
	// Output:
	// 503: no keys yet, try again later
	// true
}
