package differential_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/differential"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
	"github.com/mcpauth/mcpauth/verify"
)

// joseCorpus is testdata/jose.json: the output of interop/jose-mint.mjs
// (tokens minted by the jose npm library, an independent JOSE
// implementation, and the JWK Set it exported), recorded with a fixed NOW
// so that it verifies without Node.js. Re-record with
//
//	cd interop && npm ci && NOW=1795000000 ISSUER=https://issuer.interop.example \
//	  AUDIENCE=https://mcp.interop.example/mcp node jose-mint.mjs \
//	  > ../internal/differential/testdata/jose.json
type joseCorpus struct {
	Now      int64           `json:"now"`
	Issuer   string          `json:"issuer"`
	Audience string          `json:"audience"`
	JWKS     json.RawMessage `json:"jwks"`
	Tokens   []struct {
		Name  string `json:"name"`
		Token string `json:"token"`
		Want  string `json:"want"` // ok, invalid or scope
	} `json:"tokens"`
}

// TestDifferentialJose verifies the recorded jose corpus with mcpauth (the
// JWK Set served as jose exported it, the clock at the recording's NOW, no
// required scope) and checks every accepted token with golang-jwt keyed
// from the same JWK Set (parsed by jwkset): golang-jwt must accept it too
// and read the same claims. Each token must get the outcome jose-mint.mjs
// meant (ok and scope accepted, invalid refused).
func TestDifferentialJose(t *testing.T) {
	raw, err := os.ReadFile("testdata/jose.json")
	if err != nil {
		t.Fatal(err)
	}
	var corpus joseCorpus
	if err := json.Unmarshal(raw, &corpus); err != nil {
		t.Fatal(err)
	}
	if corpus.Now == 0 || corpus.Issuer == "" || corpus.Audience == "" || len(corpus.Tokens) < 20 {
		t.Fatalf("testdata/jose.json is incomplete: now %d, issuer %q, audience %q, %d tokens", corpus.Now, corpus.Issuer, corpus.Audience, len(corpus.Tokens))
	}
	srv := testkeystest.NewJWKSServer(t)
	srv.SetDocument(corpus.JWKS)
	now := func() time.Time { return time.Unix(corpus.Now, 0) }
	v, err := verify.NewJWTVerifier(verify.Settings{
		JWKSURI:   srv.URL(),
		Issuers:   []string{corpus.Issuer},
		Audiences: []string{corpus.Audience},
	}, verify.WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	keys, err := differential.KeysFromJWKS(corpus.JWKS)
	if err != nil {
		t.Fatal(err)
	}
	cfg := differential.Config{
		Keys:       keys,
		Algorithms: v.Algorithms(),
		Issuers:    v.Issuers(),
		Audiences:  v.Audiences(),
		Leeway:     verify.DefaultLeeway,
		Now:        now,
	}
	compared := 0
	for _, tok := range corpus.Tokens {
		t.Run(tok.Name, func(t *testing.T) {
			at, err := v.VerifyToken(context.Background(), tok.Token)
			switch {
			case tok.Want == "invalid" && err == nil:
				t.Fatal("accepted; jose-mint.mjs made it to be refused")
			case tok.Want == "invalid":
				if mcpauth.ReasonOf(err) == mcpauth.ReasonUnavailable {
					t.Fatalf("refused for want of keys: %v", err)
				}
				return
			case err != nil:
				t.Fatalf("refused (%v); jose-mint.mjs made it to be accepted (%s)", err, tok.Want)
			}
			compared++
			if err := differential.Check(cfg, tok.Token, at); err != nil {
				t.Fatal(err)
			}
		})
	}
	if compared < 14 {
		t.Errorf("only %d jose tokens compared; want every ok and scope token (14)", compared)
	}
}
