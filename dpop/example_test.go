package dpop_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/dpop"
)

// ExampleVerifier_Verify checks the DPoP proof of a request whose access
// token was already verified. The middleware (middleware.WithDPoP) does
// this for you; call Verify directly in a gateway of your own.
func ExampleVerifier_Verify() {
	v, err := dpop.NewVerifier(dpop.Config{Mode: dpop.Require})
	if err != nil {
		panic(err)
	}
	base, err := dpop.CheckBaseURL("https://mcp.example.com")
	if err != nil {
		panic(err)
	}
	r := httptest.NewRequest("POST", "/mcp", nil)
	r.Header.Set("Authorization", "DPoP some-access-token")
	r.Header.Set("DPoP", "not-a-proof")
	at := &mcpauth.AccessToken{Claims: map[string]any{
		"cnf": map[string]any{"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"},
	}}

	jkt, err := dpop.Confirmation(at)
	if err != nil {
		panic(err)
	}
	uri, err := dpop.RequestURI(base, r)
	if err != nil {
		panic(err)
	}
	_, err = v.Verify(context.Background(), dpop.Request{
		Method:      r.Method,
		URI:         uri,
		Proofs:      r.Header.Values("DPoP"),
		AccessToken: "some-access-token",
		Thumbprint:  jkt,
	})
	fmt.Println(uri)
	fmt.Println(errors.Is(err, dpop.ErrInvalidProof), mcpauth.ReasonOf(err))
	fmt.Println(`WWW-Authenticate: DPoP ` + v.Challenge() + `, error="invalid_dpop_proof"`)
	// Output:
	// https://mcp.example.com/mcp
	// true dpop_malformed
	// WWW-Authenticate: DPoP algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA Ed25519", error="invalid_dpop_proof"
}
