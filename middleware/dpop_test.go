package middleware

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/dpop"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

const (
	dpopBase     = "https://mcp.example.com"
	dpopURL      = dpopBase + "/mcp"
	tokBound     = "bound-" + secret
	tokPlain     = "plain-" + secret
	tokBadCnf    = "badcnf-" + secret
	tokOtherBind = "otherbind-" + secret
)

// dpopVerifier knows bound, plain and malformed-binding tokens.
func dpopVerifier(t *testing.T) mcpauth.TokenVerifier {
	key := testkeystest.SharedECKeyPair(t)
	return verifierFunc(func(_ context.Context, token string) (*mcpauth.AccessToken, error) {
		at := &mcpauth.AccessToken{Token: token, ClientID: "client-d", Scopes: []string{"read"}}
		switch token {
		case tokBound:
			at.Claims = map[string]any{"cnf": testkeys.DPoPConfirmation(key)}
		case tokOtherBind:
			at.Claims = map[string]any{"cnf": map[string]any{"jkt": strings.Repeat("A", 43)}}
		case tokBadCnf:
			at.Claims = map[string]any{"cnf": "jkt"}
		case tokPlain:
		default:
			return nil, mcpauth.InvalidToken(mcpauth.ReasonUnknownToken, "no such token")
		}
		return at, nil
	})
}

// dpopHandler returns the middleware in mode over a handler that records
// the accepted token.
func dpopHandler(t *testing.T, mod func(*dpop.Config), opts ...Option) (http.Handler, **mcpauth.AccessToken) {
	t.Helper()
	cfg := dpop.Config{}
	if mod != nil {
		mod(&cfg)
	}
	v, err := dpop.NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var got *mcpauth.AccessToken
	opts = append([]Option{WithDPoP(v, dpopBase), WithResourceMetadata(dpopBase + "/.well-known/oauth-protected-resource/mcp")}, opts...)
	h := New(dpopVerifier(t), opts...)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = AccessTokenFrom(r.Context())
		w.WriteHeader(http.StatusNoContent)
	}))
	return h, &got
}

// proofFor mints a proof for POST dpopURL bound to tok with the shared key.
func proofFor(t *testing.T, tok string, mod func(*testkeys.DPoPProofOptions)) string {
	t.Helper()
	o := testkeys.DPoPProofOptions{Method: "POST", URL: dpopURL, AccessToken: tok}
	if mod != nil {
		mod(&o)
	}
	p, err := testkeys.CreateDPoPProof(testkeystest.SharedECKeyPair(t), o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// dpopRequest sends POST /mcp with the given Authorization and DPoP
// headers (empty means none).
func dpopRequest(h http.Handler, authz string, proofs ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/mcp", nil)
	if authz != "" {
		r.Header.Set("Authorization", authz)
	}
	for _, p := range proofs {
		r.Header.Add("DPoP", p)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// challenges returns the Bearer and DPoP challenges of a response.
func challenges(w *httptest.ResponseRecorder) (bearer, dp string) {
	for _, c := range w.Result().Header.Values("WWW-Authenticate") {
		switch {
		case strings.HasPrefix(c, "Bearer"):
			bearer = c
		case strings.HasPrefix(c, "DPoP "):
			dp = c
		}
	}
	return bearer, dp
}

func TestDPoPAllow(t *testing.T) {
	h, got := dpopHandler(t, nil)
	cases := []struct {
		name       string
		authz      string
		proofs     func(t *testing.T) []string
		status     int
		bearerErr  string // error= in the Bearer challenge ("" none; "-" no Bearer challenge)
		dpopErr    string // error= in the DPoP challenge
		thumbprint bool
	}{
		{"no credentials", "", nil, 401, "", "", false},
		{"plain bearer token", "Bearer " + tokPlain, nil, 204, "", "", false},
		{"bound token as Bearer (downgrade)", "Bearer " + tokBound, nil, 401, "", "invalid_token", false},
		{"bound token as Bearer with a proof", "Bearer " + tokBound, func(t *testing.T) []string { return []string{proofFor(t, tokBound, nil)} }, 401, "", "invalid_token", false},
		{"bound token with proof", "DPoP " + tokBound, func(t *testing.T) []string { return []string{proofFor(t, tokBound, nil)} }, 204, "", "", true},
		{"scheme in lower case", "dpop " + tokBound, func(t *testing.T) []string { return []string{proofFor(t, tokBound, nil)} }, 204, "", "", true},
		{"bound token without proof", "DPoP " + tokBound, nil, 401, "", "invalid_dpop_proof", false},
		{"two proofs", "DPoP " + tokBound, func(t *testing.T) []string {
			return []string{proofFor(t, tokBound, nil), proofFor(t, tokBound, nil)}
		}, 401, "", "invalid_dpop_proof", false},
		{"proof for another URI", "DPoP " + tokBound, func(t *testing.T) []string {
			return []string{proofFor(t, tokBound, func(o *testkeys.DPoPProofOptions) { o.URL = "https://evil.example.com/mcp" })}
		}, 401, "", "invalid_dpop_proof", false},
		{"proof for another method", "DPoP " + tokBound, func(t *testing.T) []string {
			return []string{proofFor(t, tokBound, func(o *testkeys.DPoPProofOptions) { o.Method = "GET" })}
		}, 401, "", "invalid_dpop_proof", false},
		{"proof without ath", "DPoP " + tokBound, func(t *testing.T) []string {
			return []string{proofFor(t, "", nil)}
		}, 401, "", "invalid_dpop_proof", false},
		{"proof of another key", "DPoP " + tokOtherBind, func(t *testing.T) []string { return []string{proofFor(t, tokOtherBind, nil)} }, 401, "", "invalid_dpop_proof", false},
		{"unbound token with DPoP", "DPoP " + tokPlain, func(t *testing.T) []string { return []string{proofFor(t, tokPlain, nil)} }, 401, "", "invalid_token", false},
		{"malformed cnf", "DPoP " + tokBadCnf, func(t *testing.T) []string { return []string{proofFor(t, tokBadCnf, nil)} }, 401, "invalid_token", "invalid_token", false},
		{"malformed cnf as Bearer", "Bearer " + tokBadCnf, nil, 401, "invalid_token", "invalid_token", false},
		{"unknown token with DPoP", "DPoP nope", func(t *testing.T) []string { return []string{proofFor(t, "nope", nil)} }, 401, "invalid_token", "invalid_token", false},
		{"DPoP scheme without token", "DPoP ", nil, 400, "invalid_request", "invalid_request", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			*got = nil
			var proofs []string
			if c.proofs != nil {
				proofs = c.proofs(t)
			}
			w := dpopRequest(h, c.authz, proofs...)
			if w.Code != c.status {
				t.Fatalf("status %d; want %d (%s)", w.Code, c.status, w.Body)
			}
			if c.status == 204 {
				if *got == nil || (*got).SenderConstrained() != c.thumbprint {
					t.Fatalf("token %+v; want sender-constrained %v", *got, c.thumbprint)
				}
				if c.thumbprint && (*got).DPoPThumbprint != testkeystest.SharedECKeyPair(t).KeyID() {
					t.Fatal("wrong thumbprint")
				}
				return
			}
			bearer, dp := challenges(w)
			checkChallenge(t, "Bearer", bearer, c.bearerErr)
			checkChallenge(t, "DPoP", dp, c.dpopErr)
			if !strings.Contains(dp, `algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA Ed25519"`) ||
				!strings.Contains(dp, "resource_metadata=") || !strings.Contains(bearer, "resource_metadata=") {
				t.Fatalf("challenges %q, %q lack algs or resource_metadata", bearer, dp)
			}
			if containsSecret(w.Body.String(), bearer, dp) {
				t.Fatal("the response echoes the token")
			}
		})
	}
}

// checkChallenge checks one challenge is present with the error wanted
// ("" none, "-" the challenge must be absent).
func checkChallenge(t *testing.T, scheme, c, wantErr string) {
	t.Helper()
	switch {
	case wantErr == "-":
		if c != "" {
			t.Fatalf("%s challenge %q; want none", scheme, c)
		}
	case c == "":
		t.Fatalf("no %s challenge", scheme)
	case wantErr == "":
		if strings.Contains(c, "error=") {
			t.Fatalf("%s challenge %q; want no error", scheme, c)
		}
	case !strings.Contains(c, `error="`+wantErr+`"`):
		t.Fatalf("%s challenge %q; want error=%q", scheme, c, wantErr)
	}
}

// TestDPoPReplay refuses a proof used twice.
func TestDPoPReplay(t *testing.T) {
	h, _ := dpopHandler(t, nil)
	proof := proofFor(t, tokBound, nil)
	if w := dpopRequest(h, "DPoP "+tokBound, proof); w.Code != 204 {
		t.Fatalf("first use: %d", w.Code)
	}
	w := dpopRequest(h, "DPoP "+tokBound, proof)
	_, dp := challenges(w)
	if w.Code != 401 || !strings.Contains(dp, `error="invalid_dpop_proof"`) {
		t.Fatalf("replay: %d %q", w.Code, dp)
	}
}

// TestDPoPHostHeaderIgnored: htu comes from the configured base URL, so a
// proof naming the Host the client sent is refused.
func TestDPoPHostHeaderIgnored(t *testing.T) {
	h, _ := dpopHandler(t, nil)
	r := httptest.NewRequest("POST", "http://evil.example.com/mcp", nil)
	r.Header.Set("X-Forwarded-Host", "evil.example.com")
	r.Header.Set("Authorization", "DPoP "+tokBound)
	r.Header.Set("DPoP", proofFor(t, tokBound, func(o *testkeys.DPoPProofOptions) { o.URL = "http://evil.example.com/mcp" }))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 401 {
		t.Fatalf("status %d; want 401", w.Code)
	}
}

func TestDPoPRequire(t *testing.T) {
	h, got := dpopHandler(t, func(c *dpop.Config) { c.Mode = dpop.Require })
	for _, c := range []struct {
		name, authz string
		proof       bool
		status      int
		dpopErr     string
	}{
		{"no credentials", "", false, 401, ""},
		{"plain bearer", "Bearer " + tokPlain, false, 401, "invalid_token"},
		{"bound bearer", "Bearer " + tokBound, false, 401, "invalid_token"},
		{"unbound DPoP", "DPoP " + tokPlain, true, 401, "invalid_token"},
		{"bound DPoP", "DPoP " + tokBound, true, 204, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var proofs []string
			if c.proof {
				proofs = []string{proofFor(t, strings.TrimPrefix(c.authz, "DPoP "), nil)}
			}
			w := dpopRequest(h, c.authz, proofs...)
			if w.Code != c.status {
				t.Fatalf("status %d; want %d", w.Code, c.status)
			}
			if c.status == 204 {
				if !(*got).SenderConstrained() {
					t.Fatal("not sender-constrained")
				}
				return
			}
			bearer, dp := challenges(w)
			checkChallenge(t, "Bearer", bearer, "-")
			checkChallenge(t, "DPoP", dp, c.dpopErr)
		})
	}
}

func TestDPoPOff(t *testing.T) {
	h, got := dpopHandler(t, func(c *dpop.Config) { c.Mode = dpop.Off })
	w := dpopRequest(h, "DPoP "+tokBound, proofFor(t, tokBound, nil))
	bearer, dp := challenges(w)
	if w.Code != 401 || dp != "" || strings.Contains(bearer, "error=") {
		t.Fatalf("DPoP scheme while off: %d %q %q; want 401 no credentials, Bearer only", w.Code, bearer, dp)
	}
	if w := dpopRequest(h, "Bearer "+tokBound); w.Code != 204 || (*got).SenderConstrained() {
		t.Fatalf("bound token as Bearer while off: %d", w.Code)
	}
}

// TestDPoPNonce: a proof without the server nonce gets use_dpop_nonce and a
// DPoP-Nonce; the retry with it passes.
func TestDPoPNonce(t *testing.T) {
	h, _ := dpopHandler(t, func(c *dpop.Config) { c.RequireNonce = true })
	w := dpopRequest(h, "DPoP "+tokBound, proofFor(t, tokBound, nil))
	_, dp := challenges(w)
	nonce := w.Header().Get("DPoP-Nonce")
	if w.Code != 401 || !strings.Contains(dp, `error="use_dpop_nonce"`) || nonce == "" {
		t.Fatalf("no nonce: %d %q nonce %q", w.Code, dp, nonce)
	}
	w = dpopRequest(h, "DPoP "+tokBound, proofFor(t, tokBound, func(o *testkeys.DPoPProofOptions) { o.Nonce = nonce }))
	if w.Code != 204 || w.Header().Get("DPoP-Nonce") != nonce {
		t.Fatalf("with nonce: %d", w.Code)
	}
}

// TestDPoPStoreDown fails closed with 503.
func TestDPoPStoreDown(t *testing.T) {
	h, _ := dpopHandler(t, func(c *dpop.Config) { c.ReplayStore = downStore{} })
	if w := dpopRequest(h, "DPoP "+tokBound, proofFor(t, tokBound, nil)); w.Code != 503 || w.Header().Get("Retry-After") == "" {
		t.Fatalf("status %d; want 503 with Retry-After", w.Code)
	}
}

type downStore struct{}

func (downStore) Seen(context.Context, string, time.Time) (bool, error) {
	return false, errors.New("dial tcp: connection refused")
}

// TestDPoPScope: a proven token lacking a scope gets 403 with both
// challenges naming the scope.
func TestDPoPScope(t *testing.T) {
	h, _ := dpopHandler(t, nil, WithRequiredScopes("admin"))
	w := dpopRequest(h, "DPoP "+tokBound, proofFor(t, tokBound, nil))
	bearer, dp := challenges(w)
	if w.Code != 403 || !strings.Contains(dp, `error="insufficient_scope"`) || !strings.Contains(dp, `scope="admin"`) || !strings.Contains(bearer, `scope="admin"`) {
		t.Fatalf("%d %q %q", w.Code, bearer, dp)
	}
}

func TestWithDPoPConfig(t *testing.T) {
	v, err := dpop.NewVerifier(dpop.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for name, opt := range map[string]Option{
		"nil verifier":  WithDPoP(nil, dpopBase),
		"relative base": WithDPoP(v, "/mcp"),
		"base w/ query": WithDPoP(v, dpopBase+"?x"),
		"no base":       WithDPoP(v, ""),
	} {
		if _, err := NewChecked(dpopVerifier(t), opt); !errors.Is(err, mcpauth.ErrInvalidConfig) || !strings.Contains(err.Error(), "WithDPoP") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// TestDPoPHeaderKey: the middleware reads the DPoP header by its canonical
// name, which every spelling a client sends is stored under.
func TestDPoPHeaderKey(t *testing.T) {
	if got := http.CanonicalHeaderKey("DPoP"); got != dpopHeaderKey {
		t.Fatalf("canonical key %q; the middleware reads %q", got, dpopHeaderKey)
	}
}

// TestDPoPRequestURIMemo: the remembered URI is dpop.RequestURI's for
// every request, whichever path came before, including paths that differ
// only in RawPath (their escaped forms differ) and paths too long to
// remember.
func TestDPoPRequestURIMemo(t *testing.T) {
	base, err := dpop.CheckBaseURL(dpopBase + "/prefix")
	if err != nil {
		t.Fatal(err)
	}
	d := &dpopConfig{base: base}
	long := "/" + strings.Repeat("a", maxMemoPath)
	targets := []string{"/mcp", "/mcp", "/MCP", "/a%2Fb", "/a/b", "/a%2Fb", "/%7Euser", "/~user", long, "/mcp", "/x/../y", "/mcp"}
	for i, target := range targets {
		r := httptest.NewRequest(http.MethodPost, target, nil)
		want, wantErr := dpop.RequestURI(base, r)
		got, gotErr := d.requestURI(r)
		if got != want || (gotErr == nil) != (wantErr == nil) {
			t.Errorf("request %d %q: requestURI = %q, %v; want %q, %v", i, target, got, gotErr, want, wantErr)
		}
	}
	if e := d.uri.Load(); e == nil || e.path != "/mcp" {
		t.Errorf("memo after the last request = %+v; want /mcp's", e)
	}
}
