package verify_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/verify"
)

// Two issuers, each with its own key: a token's iss selects the issuer
// whose key alone checks it.
func ExampleProvider() {
	a, _ := testkeys.GenerateECKeyPair()
	b, _ := testkeys.GenerateEd25519KeyPair()
	v, err := verify.NewJWTVerifier(verify.Settings{
		Audiences: []string{"https://mcp.example.com/mcp"},
		Providers: []verify.Provider{
			{Issuer: "https://idp-a.example.com", PublicKey: a.PublicKeyPEM()},
			{Issuer: "https://idp-b.example.com", PublicKey: b.PublicKeyPEM(), RequiredScopes: []string{"mcp:use"}},
		},
	})
	if err != nil {
		panic(err)
	}
	defer v.Close()
	mint := func(kp *testkeys.KeyPair, iss string, scopes ...string) string {
		tok, err := kp.CreateToken(testkeys.TokenOptions{Issuer: iss, Audience: []string{"https://mcp.example.com/mcp"}, Scopes: scopes})
		if err != nil {
			panic(err)
		}
		return tok
	}
	ctx := context.Background()
	at, err := v.VerifyToken(ctx, mint(a, "https://idp-a.example.com"))
	fmt.Println(at.Issuer, err)
	at, err = v.VerifyToken(ctx, mint(b, "https://idp-b.example.com", "mcp:use"))
	fmt.Println(at.Issuer, err)

	// Issuer A's name on a token signed with B's key: refused.
	_, err = v.VerifyToken(ctx, mint(b, "https://idp-a.example.com"))
	fmt.Println(errors.Is(err, mcpauth.ErrInvalidToken))
	// An issuer no provider names: refused before any key is looked up.
	_, err = v.VerifyToken(ctx, mint(a, "https://idp-c.example.com"))
	fmt.Println(mcpauth.ReasonOf(err))
	fmt.Println(v.Issuers())
	// Output:
	// https://idp-a.example.com <nil>
	// https://idp-b.example.com <nil>
	// true
	// issuer
	// [https://idp-a.example.com https://idp-b.example.com]
}
