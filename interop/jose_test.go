//go:build interop

package interop

// jose_test.go: tokens minted by the jose npm library (an independent JOSE
// implementation), served from a JWK Set that jose exported, verified by
// "mcpauth verify", by verify.JWTVerifier and through middleware.New; every
// accepted token is also checked with golang-jwt (internal/differential).

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/differential"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/verify"
)

const (
	joseIssuer   = "https://issuer.interop.example"
	joseAudience = "https://mcp.interop.example/mcp"
	joseScope    = "mcp:tools" // required by every verifier below
)

// joseToken is one token printed by jose-mint.mjs.
type joseToken struct {
	Name   string         `json:"name"`
	Alg    string         `json:"alg"`
	Typ    string         `json:"typ"`
	Token  string         `json:"token"`
	Claims map[string]any `json:"claims"`
	Want   string         `json:"want"` // ok, invalid or scope
}

// joseExpect is what mcpauth must do with each token jose-mint.mjs makes.
// The test fails on a token missing here, so that the two lists cannot
// drift apart.
var joseExpect = map[string]struct {
	want   string         // ok, invalid or scope
	reason mcpauth.Reason // for invalid ones
}{
	"valid-RS256":   {want: "ok"},
	"valid-RS384":   {want: "ok"},
	"valid-RS512":   {want: "ok"},
	"valid-PS256":   {want: "ok"},
	"valid-PS384":   {want: "ok"},
	"valid-PS512":   {want: "ok"},
	"valid-ES256":   {want: "ok"},
	"valid-ES384":   {want: "ok"},
	"valid-ES512":   {want: "ok"},
	"valid-EdDSA":   {want: "ok"},
	"valid-Ed25519": {want: "ok"},

	"expired":               {want: "invalid", reason: mcpauth.ReasonExpired},
	"not-yet-valid":         {want: "invalid", reason: mcpauth.ReasonNotYetValid},
	"wrong-audience":        {want: "invalid", reason: mcpauth.ReasonAudience},
	"wrong-issuer":          {want: "invalid", reason: mcpauth.ReasonIssuer},
	"id-token-typ":          {want: "invalid", reason: mcpauth.ReasonBadHeader},
	"tampered-payload":      {want: "invalid", reason: mcpauth.ReasonSignature},
	"foreign-key-known-kid": {want: "invalid", reason: mcpauth.ReasonSignature},
	// jose's UnsecuredJWT writes alg "none" and an empty third segment, as
	// RFC 7519 §6.1 says. mcpauth refuses it before it reads the header: an
	// empty segment is not a compact JWS it will parse (reason "malformed").
	// A token with alg none and a non-empty signature is refused with
	// reason "algorithm" (verify's own tests).
	"alg-none": {want: "invalid", reason: mcpauth.ReasonMalformed},
	// RFC 9864: jose 6 signs with alg "Ed25519", the fully-specified name
	// of EdDSA over Ed25519. mcpauth accepts it like EdDSA when the JWK has
	// no alg; a JWK alg pins the key to exactly that name (RFC 7517 §4.4),
	// so the other name is refused with reason "algorithm".
	"ed25519-fully-specified-alg":       {want: "ok"},
	"eddsa-unpinned-ed25519-key":        {want: "ok"},
	"ed25519-alg-with-eddsa-pinned-key": {want: "invalid", reason: mcpauth.ReasonAlgorithm},
	"eddsa-alg-with-ed25519-pinned-key": {want: "invalid", reason: mcpauth.ReasonAlgorithm},
	"alg-not-pinned-to-key":             {want: "invalid", reason: mcpauth.ReasonAlgorithm},
	"missing-scope":                     {want: "scope"},
}

func TestJoseTokens(t *testing.T) {
	out := runNode(t, map[string]string{"ISSUER": joseIssuer, "AUDIENCE": joseAudience}, "jose-mint.mjs")
	minted := decodeJSON[struct {
		JWKS   json.RawMessage `json:"jwks"`
		Tokens []joseToken     `json:"tokens"`
	}](t, "jose-mint.mjs output", out)

	// The JWK Set exactly as jose exported it.
	jwksSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(minted.JWKS)
	}))
	t.Cleanup(jwksSrv.Close)
	jwksURL := jwksSrv.URL + "/.well-known/jwks.json"

	settings := verify.Settings{
		JWKSURI:        jwksURL,
		Issuers:        []string{joseIssuer},
		Audiences:      []string{joseAudience},
		RequiredScopes: []string{joseScope},
	}
	v, err := verify.NewJWTVerifier(settings)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	// golang-jwt keyed from the same JWK Set (parsed by jwkset) must accept
	// every token mcpauth accepts and read the same claims.
	joseKeys, err := differential.KeysFromJWKS(minted.JWKS)
	if err != nil {
		t.Fatal(err)
	}
	reference := differential.Config{
		Keys: joseKeys, Algorithms: v.Algorithms(), Issuers: v.Issuers(), Audiences: v.Audiences(),
		Leeway: verify.DefaultLeeway, Now: time.Now,
	}

	// The middleware in front of a handler that echoes the access token.
	protected := middleware.New(v, middleware.WithResourceMetadata(joseAudience))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at, ok := middleware.AccessTokenFrom(r.Context())
		if !ok {
			http.Error(w, "no access token in the context", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(at)
	}))
	mwSrv := httptest.NewServer(protected)
	t.Cleanup(mwSrv.Close)

	verifyEnv := map[string]string{
		"MCPAUTH_JWT_JWKS_URI":        jwksURL,
		"MCPAUTH_JWT_ISSUER":          joseIssuer,
		"MCPAUTH_JWT_AUDIENCE":        joseAudience,
		"MCPAUTH_JWT_REQUIRED_SCOPES": joseScope,
	}

	var algsOK []string
	seen := map[string]bool{}
	for _, tok := range minted.Tokens {
		exp, known := joseExpect[tok.Name]
		if !known {
			t.Errorf("jose-mint.mjs made token %q, which this test does not know", tok.Name)
			continue
		}
		seen[tok.Name] = true
		if exp.want != tok.Want {
			t.Errorf("%s: jose-mint.mjs says %q, this test %q", tok.Name, tok.Want, exp.want)
		}
		if exp.want == "ok" {
			algsOK = append(algsOK, tok.Alg)
		}
		t.Run(tok.Name, func(t *testing.T) {
			// (a) verify.JWTVerifier in-process: the exact reason.
			at, err := v.VerifyToken(context.Background(), tok.Token)
			switch exp.want {
			case "ok":
				if err != nil {
					t.Fatalf("VerifyToken: %v", err)
				}
				checkJoseAccessToken(t, "VerifyToken", tok, toResult(t, at))
				if err := differential.Check(reference, tok.Token, at); err != nil {
					t.Errorf("golang-jwt: %v", err)
				}
			case "scope":
				if err == nil || mcpauth.ReasonOf(err) != mcpauth.ReasonInsufficientScope {
					t.Fatalf("VerifyToken: got %v (reason %q), want insufficient scope", err, mcpauth.ReasonOf(err))
				}
			default:
				if err == nil {
					t.Fatalf("VerifyToken accepted a token it must refuse: %+v", at)
				}
				if got := mcpauth.ReasonOf(err); got != exp.reason {
					t.Fatalf("VerifyToken: reason %q (%v), want %q", got, err, exp.reason)
				}
			}

			// (b) mcpauth verify: exit code and JSON.
			code, stdout, stderr := runVerify(t, verifyEnv, tok.Token)
			wantCode := map[string]int{"ok": 0, "invalid": 1, "scope": 3}[exp.want]
			if code != wantCode {
				t.Fatalf("mcpauth verify: exit %d, want %d; stderr: %s", code, wantCode, stderr)
			}
			switch exp.want {
			case "ok":
				checkJoseAccessToken(t, "mcpauth verify", tok, decodeJSON[whoamiResult](t, "mcpauth verify output", stdout))
			case "invalid":
				if want := "invalid token: " + string(exp.reason); !strings.Contains(stderr, want) {
					t.Errorf("mcpauth verify stderr %q does not contain %q", stderr, want)
				}
			}
			if strings.Contains(stderr, tok.Token) {
				t.Errorf("mcpauth verify echoed the token on stderr")
			}

			// (c) middleware.New over HTTP.
			req, err := http.NewRequest(http.MethodGet, mwSrv.URL+"/mcp", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+tok.Token)
			res := do(t, req)
			challenge := res.header.Get("WWW-Authenticate")
			switch exp.want {
			case "ok":
				if res.status != http.StatusOK {
					t.Fatalf("middleware: status %d, want 200; body %s", res.status, res.body)
				}
				checkJoseAccessToken(t, "middleware", tok, decodeJSON[whoamiResult](t, "middleware response", res.body))
			case "scope":
				if res.status != http.StatusForbidden || challengeParam(challenge, "error") != "insufficient_scope" {
					t.Fatalf("middleware: status %d, WWW-Authenticate %q; want 403 insufficient_scope", res.status, challenge)
				}
				if got := challengeParam(challenge, "scope"); got != joseScope {
					t.Errorf("middleware: scope=%q, want %q", got, joseScope)
				}
			default:
				if res.status != http.StatusUnauthorized || challengeParam(challenge, "error") != "invalid_token" {
					t.Fatalf("middleware: status %d, WWW-Authenticate %q; want 401 invalid_token", res.status, challenge)
				}
				if got := challengeParam(challenge, "resource_metadata"); got != joseAudience {
					t.Errorf("middleware: resource_metadata=%q, want %q", got, joseAudience)
				}
			}
		})
	}
	for name := range joseExpect {
		if !seen[name] {
			t.Errorf("jose-mint.mjs did not make token %q", name)
		}
	}
	// Every algorithm the issue names was accepted.
	for _, alg := range []string{"RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"} {
		if !slices.Contains(algsOK, alg) {
			t.Errorf("no valid jose token for %s", alg)
		}
	}
}

// toResult converts an AccessToken through its JSON form, the form that
// mcpauth verify prints and whoami returns.
func toResult(t *testing.T, at *mcpauth.AccessToken) whoamiResult {
	t.Helper()
	b, err := json.Marshal(at)
	if err != nil {
		t.Fatal(err)
	}
	return decodeJSON[whoamiResult](t, "AccessToken JSON", b)
}

// checkJoseAccessToken compares an accepted token's description with the
// claims jose signed.
func checkJoseAccessToken(t *testing.T, via string, tok joseToken, got whoamiResult) {
	t.Helper()
	c := tok.Claims
	str := func(k string) string { s, _ := c[k].(string); return s }
	if got.ClientID != str("client_id") || got.Subject != str("sub") || got.Issuer != str("iss") {
		t.Errorf("%s: client_id %q subject %q issuer %q; want %q %q %q", via, got.ClientID, got.Subject, got.Issuer, str("client_id"), str("sub"), str("iss"))
	}
	if !slices.Equal(got.Audience, []string{str("aud")}) {
		t.Errorf("%s: audience %q, want [%q]", via, got.Audience, str("aud"))
	}
	if want := strings.Fields(str("scope")); !slices.Equal(got.Scopes, want) {
		t.Errorf("%s: scopes %q, want %q", via, got.Scopes, want)
	}
	if exp, _ := c["exp"].(float64); got.ExpiresAt == nil || *got.ExpiresAt != int64(exp) {
		t.Errorf("%s: expires_at %v, want %d", via, got.ExpiresAt, int64(exp))
	}
	if got.Claims["jti"] != str("jti") || got.Claims["iat"] != c["iat"] {
		t.Errorf("%s: claims jti %v iat %v; want %q %v", via, got.Claims["jti"], got.Claims["iat"], str("jti"), c["iat"])
	}
}
