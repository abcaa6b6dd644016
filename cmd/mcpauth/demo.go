package main

// demo.go is the demo mode of "mcpauth serve": an ephemeral key published at
// the demo JWKS path, a token for it, a self-check and the banner.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/dpop"
	"github.com/mcpauth/mcpauth/internal/urlrule"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/verify"
)

// Demo mode.
const (
	// demoJWKSPath serves the demo's ephemeral public key.
	demoJWKSPath = testkeys.JWKSPath
	// demoScope is required (and granted to the demo token) in demo mode
	// unless MCPAUTH_JWT_REQUIRED_SCOPES says otherwise.
	demoScope = "mcp:tools"
	// demoReadyTimeout bounds the demo's self-check of its own token.
	demoReadyTimeout = 10 * time.Second
)

// Demo identity.
const (
	demoClientID = "mcpauth-demo"
	demoSubject  = "demo-user"
	demoLifetime = time.Hour
)

// demoInfo is the demo's ephemeral key and its token.
type demoInfo struct {
	key      *testkeys.KeyPair
	issuer   string
	audience string
	scopes   []string
	token    string

	// With MCPAUTH_DPOP=require a bearer token can never work: the demo
	// token is bound (cnf.jkt) to client, an ephemeral P-256 key saved at
	// clientKeyFile (in clientDir, removed at shutdown) so that
	// "mcpauth token -dpop" can make the proofs.
	client        *testkeys.KeyPair
	clientDir     string
	clientKeyFile string
	proofMaxAge   time.Duration // how long a proof is accepted
}

// demoClientKeyName is the file name of the demo's DPoP client key.
const demoClientKeyName = "dpop-client-key.pem"

// newDemo makes the ephemeral key and the handler publishing it, and when
// dp requires DPoP the client's DPoP key.
func newDemo(st *site, dp dpop.Config) (*demoInfo, http.Handler, error) {
	kp, err := testkeys.GenerateRSAKeyPair()
	if err != nil {
		return nil, nil, fmt.Errorf("demo: generating the key: %w", err)
	}
	h, err := testkeys.JWKSHandler(kp)
	if err != nil {
		return nil, nil, fmt.Errorf("demo: building the JWKS: %w", err)
	}
	d := &demoInfo{key: kp, issuer: st.baseURL, audience: st.resource}
	if dp.Mode == dpop.Require {
		if d.client, err = testkeys.GenerateECKeyPair(); err != nil {
			return nil, nil, fmt.Errorf("demo: generating the DPoP client key: %w", err)
		}
		d.proofMaxAge = dp.MaxAge
		if d.proofMaxAge == 0 {
			d.proofMaxAge = dpop.DefaultMaxAge
		}
	}
	return d, h, nil
}

// saveClientKey writes the DPoP client key, readable by this user only,
// in a new temporary directory; cleanup removes it.
func (d *demoInfo) saveClientKey() error {
	if d.client == nil {
		return nil
	}
	dir, err := os.MkdirTemp("", "mcpauth-demo-")
	if err != nil {
		return fmt.Errorf("demo: a directory for the DPoP client key: %w", err)
	}
	f := filepath.Join(dir, demoClientKeyName)
	if err := os.WriteFile(f, []byte(d.client.PrivateKeyPEM()), 0o600); err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("demo: saving the DPoP client key: %w", err)
	}
	d.clientDir, d.clientKeyFile = dir, f
	return nil
}

// cleanup removes the saved DPoP client key.
func (d *demoInfo) cleanup() {
	if d.clientDir != "" {
		os.RemoveAll(d.clientDir)
	}
}

// checkDemoVariables refuses, in demo mode, the settings that only make
// sense with a production key source: audience and algorithm are the
// demo's own, so a value for them means a key source was forgotten.
func checkDemoVariables(set func(name string) bool) error {
	for _, k := range []string{envAudience, envAlgorithm} {
		if set(k) {
			return configErrorf("%s is set but no key source is: set %s, %s or %s (or unset %s to run the demo)", k, envJWKSURI, envPublicKey, envIssuer, k)
		}
	}
	return nil
}

// verifierSettings returns s changed to verify the demo's tokens: the
// demo's JWKS on this server (listenURL), issuer = the base URL, the
// required scopes (demoScope unless configured), which the demo token
// then grants.
func (d *demoInfo) verifierSettings(s verify.Settings, listenURL string) verify.Settings {
	s.JWKSURI = listenURL + demoJWKSPath
	s.Issuers = []string{d.issuer}
	if len(s.RequiredScopes) == 0 {
		s.RequiredScopes = []string{demoScope}
	}
	d.scopes = s.RequiredScopes
	// The key is this process's own; reaching it over plain http on a
	// non-loopback listen address is no risk.
	if u, _ := url.Parse(listenURL); !urlrule.IsLoopbackHost(u.Hostname()) {
		s.InsecureAllowHTTPJWKS = true
	}
	return s
}

// mint makes the demo token: an RFC 9068 access token for the resource,
// bound to the DPoP client key when there is one.
func (d *demoInfo) mint() (string, error) {
	claims := map[string]any{"client_id": demoClientID}
	if d.client != nil {
		claims["cnf"] = testkeys.DPoPConfirmation(d.client)
	}
	return d.key.CreateToken(testkeys.TokenOptions{
		Subject:          demoSubject,
		Issuer:           d.issuer,
		Audience:         []string{d.audience},
		Scopes:           d.scopes,
		ExpiresIn:        demoLifetime,
		Header:           map[string]any{"typ": "at+jwt"},
		AdditionalClaims: claims,
	})
}

// selfCheck waits until the verifier has loaded the demo JWKS from this
// server and accepts the demo token, so that the printed command works at
// once.
func (d *demoInfo) selfCheck(ctx context.Context, v mcpauth.TokenVerifier) error {
	ctx, cancel := context.WithTimeout(ctx, demoReadyTimeout)
	defer cancel()
	for {
		_, err := v.VerifyToken(ctx, d.token)
		switch {
		case err == nil:
			return nil
		case !errors.Is(err, mcpauth.ErrKeySourceUnavailable):
			return fmt.Errorf("demo: the demo token does not verify: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("demo: the server's own JWKS did not load within %s: %w", demoReadyTimeout, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// demoRequestBody calls whoami without a session: the server is stateless.
const demoRequestBody = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":{}}}`

// demoProtocolVersion is sent in the demo request's MCP-Protocol-Version.
const demoProtocolVersion = "2025-11-25"

// demoCurl returns a shell command that calls whoami at endpoint.
func demoCurl(endpoint, token string) string {
	return strings.Join([]string{
		"curl", "-sS", shellQuote(endpoint),
		"-H", shellQuote("Authorization: Bearer " + token),
		"-H", shellQuote("Content-Type: application/json"),
		"-H", shellQuote("Accept: application/json, text/event-stream"),
		"-H", shellQuote("MCP-Protocol-Version: " + demoProtocolVersion),
		"-d", shellQuote(demoRequestBody),
	}, " ")
}

// demoDPoPProofCommand returns a shell command that sets DPOP_PROOF to a
// new proof by the key in keyFile for the token in $DPOP_TOKEN, for a POST
// to endpoint ("mcpauth token -dpop -dpop-token -").
func demoDPoPProofCommand(keyFile, endpoint string) string {
	return `eval "$(printf '%s' "$DPOP_TOKEN" | mcpauth token -dpop -dpop-key ` + shellQuote(keyFile) +
		` -dpop-token - -htu ` + shellQuote(endpoint) + `)"`
}

// demoDPoPCurl returns a shell command that calls whoami at endpoint with
// $DPOP_TOKEN and $DPOP_PROOF.
func demoDPoPCurl(endpoint string) string {
	return strings.Join([]string{
		"curl", "-sS", shellQuote(endpoint),
		"-H", `"Authorization: DPoP $DPOP_TOKEN"`,
		"-H", `"DPoP: $DPOP_PROOF"`,
		"-H", shellQuote("Content-Type: application/json"),
		"-H", shellQuote("Accept: application/json, text/event-stream"),
		"-H", shellQuote("MCP-Protocol-Version: " + demoProtocolVersion),
		"-d", shellQuote(demoRequestBody),
	}, " ")
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// printBanner prints the demo's endpoints, token and curl command. This is
// the only place a token is ever printed: handing it out is the demo's
// point.
func (d *demoInfo) printBanner(w io.Writer, st *site) {
	if w == nil {
		return
	}
	if d.client != nil {
		d.printDPoPBanner(w, st)
		return
	}
	fmt.Fprintf(w, `mcpauth serve: demo mode. No verifier is configured, so the server made an
ephemeral RSA key, publishes it at %s and verifies tokens
against that JWKS exactly as it would against an identity provider's.

  MCP endpoint  %s
  Metadata      %s
  Issuer        %s
  Audience      %s
  Scopes        %s

Token for client %q (valid for one hour):

%s

Call the whoami tool:

%s

Without the Authorization header, with an expired token or with a token for
another audience the server answers 401 with WWW-Authenticate.
`, st.listenURL+demoJWKSPath, st.resource, st.metadataURL, d.issuer, d.audience,
		strings.Join(d.scopes, " "), demoClientID, d.token, demoCurl(st.resource, d.token))
}

// printDPoPBanner is the banner with MCPAUTH_DPOP=require: the token is
// DPoP-bound, and each request needs a new proof by the client key.
func (d *demoInfo) printDPoPBanner(w io.Writer, st *site) {
	fmt.Fprintf(w, `mcpauth serve: demo mode, DPoP required (MCPAUTH_DPOP=require). No
verifier is configured, so the server made an ephemeral RSA key, publishes it
at %s and verifies tokens against that JWKS exactly as
it would against an identity provider's.

  MCP endpoint  %s
  Metadata      %s
  Issuer        %s
  Audience      %s
  Scopes        %s

Bearer tokens are refused: the token for client %q (valid for one
hour) is bound (cnf.jkt) to a client key the demo made and saved, until the
server stops, at
  %s
Each request needs a new DPoP proof by that key (RFC 9449), which
"mcpauth token -dpop" makes (from a checkout, "go run ./cmd/mcpauth" for
"mcpauth"). Call the whoami tool:

DPOP_TOKEN=%s
%s
%s

Run the last two lines again for each call: a proof is accepted once,
within %s. Sent as Bearer, with a reused proof, or with a proof by
another key, the token is refused with 401 and WWW-Authenticate.
`, st.listenURL+demoJWKSPath, st.resource, st.metadataURL, d.issuer, d.audience,
		strings.Join(d.scopes, " "), demoClientID, d.clientKeyFile, shellQuote(d.token),
		demoDPoPProofCommand(d.clientKeyFile, st.resource), demoDPoPCurl(st.resource), d.proofMaxAge)
}
