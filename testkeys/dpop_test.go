package testkeys_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mcpauth/mcpauth/dpop"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// TestCreateDPoPProof mints a proof the dpop package accepts for a token
// bound with DPoPConfirmation, for each key type.
func TestCreateDPoPProof(t *testing.T) {
	v, err := dpop.NewVerifier(dpop.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*testkeys.KeyPair{testkeystest.SharedECKeyPair(t), testkeystest.SharedRSAKeyPair(t), testkeystest.SharedEd25519KeyPair(t)} {
		proof, err := testkeys.CreateDPoPProof(p, testkeys.DPoPProofOptions{Method: "GET", URL: "https://mcp.example.com/mcp", AccessToken: "tok"})
		if err != nil {
			t.Fatal(err)
		}
		jkt := testkeys.DPoPConfirmation(p)["jkt"].(string)
		if _, err := v.Verify(context.Background(), dpop.Request{
			Method: "GET", URI: "https://mcp.example.com/mcp", Proofs: []string{proof}, AccessToken: "tok", Thumbprint: jkt,
		}); err != nil {
			t.Fatalf("%s: %v", p.Algorithm(), err)
		}
	}
	if _, err := testkeys.CreateDPoPProof(testkeystest.SharedECKeyPair(t), testkeys.DPoPProofOptions{URL: "https://x"}); !errors.Is(err, testkeys.ErrInvalidOptions) {
		t.Fatalf("no method: %v", err)
	}
	if _, err := testkeys.CreateDPoPProof(&testkeys.KeyPair{}, testkeys.DPoPProofOptions{Method: "GET", URL: "https://x"}); !errors.Is(err, testkeys.ErrInvalidKey) {
		t.Fatalf("zero pair: %v", err)
	}
}
