package middleware_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/dpop"
	"github.com/mcpauth/mcpauth/internal/attacks"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/verify"
)

// dpopAttackServer is the middleware with DPoP for one attacks.DPoPServer,
// on the fixture's clock, over HTTP.
type dpopAttackServer struct {
	url  string
	logs *lockedBuffer

	mu      sync.Mutex
	reasons []mcpauth.Reason // Outcome reasons, in order
	seen    *mcpauth.AccessToken
}

func newDPoPAttackServer(t *testing.T, f *attacks.Fixture, s attacks.DPoPServer) *dpopAttackServer {
	t.Helper()
	clock := func() time.Time { return f.Now }
	v, err := verify.NewJWTVerifier(f.Settings(attacks.PEM), verify.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	dv, err := dpop.NewVerifier(s.Config(clock))
	if err != nil {
		t.Fatal(err)
	}
	srv := &dpopAttackServer{logs: &lockedBuffer{}}
	logger := slog.New(slog.NewJSONHandler(srv.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at, _ := middleware.AccessTokenFrom(r.Context())
		srv.mu.Lock()
		srv.seen = at
		srv.mu.Unlock()
		io.WriteString(w, "hello "+at.ClientID)
	})
	h, err := middleware.NewChecked(v,
		middleware.WithDPoP(dv, attacks.DPoPBaseURL),
		middleware.WithResourceMetadata(attacks.ResourceMetadata),
		middleware.WithRequiredScopes(attacks.RequiredScope),
		middleware.WithLogger(logger),
		middleware.WithObserver(func(_ *http.Request, o middleware.Outcome) {
			srv.mu.Lock()
			srv.reasons = append(srv.reasons, o.Reason)
			srv.mu.Unlock()
		}))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h(next))
	t.Cleanup(hs.Close)
	srv.url = hs.URL
	return srv
}

// take returns and clears the recorded reasons and token.
func (s *dpopAttackServer) take() ([]mcpauth.Reason, *mcpauth.AccessToken) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, at := s.reasons, s.seen
	s.reasons, s.seen = nil, nil
	return r, at
}

// send makes the request of c with the DPoP header lines proofs.
func (s *dpopAttackServer) send(t *testing.T, c attacks.DPoPCase, proofs []string) response {
	t.Helper()
	req, err := c.NewRequest(s.url, nil, proofs)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, body}
}

// TestAttackDPoPHTTP sends every request of the DPoP section of the shared
// attack table (internal/attacks) to the middleware with WithDPoP over
// HTTP, and asserts the status, the rule that decided (Outcome.Reason),
// the error of each challenge (Bearer and DPoP), the JSON body, the
// DPoP-Nonce header of a nonce server, the token the handler sees, and
// that neither the token nor a proof appears in the response or the logs.
func TestAttackDPoPHTTP(t *testing.T) {
	f, _ := attacks.Cases(t)
	cases := attacks.DPoPCases(t, f)
	servers := map[attacks.DPoPServer]*dpopAttackServer{}
	for _, c := range cases {
		if servers[c.Server] == nil {
			servers[c.Server] = newDPoPAttackServer(t, f, c.Server)
		}
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			s := servers[c.Server]
			for i, p := range c.Prior {
				if r := s.send(t, c, []string{p}); r.status != http.StatusOK {
					t.Fatalf("prior request %d: status %d (%s); want 200", i, r.status, r.body)
				}
			}
			s.take()
			s.logs.take()
			r := s.send(t, c, c.Proofs)
			reasons, seen := s.take()
			checkDPoPAnswer(t, c, r, s.logs.take(), reasons, seen)
		})
	}
}

// checkDPoPAnswer asserts the answer to c.
func checkDPoPAnswer(t *testing.T, c attacks.DPoPCase, r response, logs string, reasons []mcpauth.Reason, seen *mcpauth.AccessToken) {
	t.Helper()
	if r.status != c.WantStatus {
		t.Fatalf("status %d; want %d (reasons %v, body %s)", r.status, c.WantStatus, reasons, r.body)
	}
	if len(reasons) != 1 || reasons[0] != c.WantReason {
		t.Fatalf("reasons %q; want exactly %q", reasons, c.WantReason)
	}
	if c.WantLog != "" && !strings.Contains(strings.ReplaceAll(logs, `\"`, `"`), c.WantLog) {
		t.Fatalf("logs %s; want them to name the rule: %q", logs, c.WantLog)
	}
	if nonce := r.header.Get("DPoP-Nonce"); (nonce != "") != c.Server.Nonce {
		t.Fatalf("DPoP-Nonce %q; want one exactly when the server requires nonces (%v)", nonce, c.Server.Nonce)
	}
	dump := string(r.body) + "\n" + logs
	for k, vs := range r.header {
		dump += "\n" + k + ": " + strings.Join(vs, ", ")
	}
	for _, secret := range c.Secrets {
		for _, part := range append([]string{secret}, strings.Split(secret, ".")...) {
			if len(part) >= 16 && strings.Contains(dump, part) {
				t.Fatalf("a token or proof (segment) appears in the response or the logs:\n%s", dump)
			}
		}
	}
	if c.WantStatus == http.StatusOK {
		if !strings.HasPrefix(string(r.body), "hello ") || len(r.header.Values("WWW-Authenticate")) != 0 {
			t.Fatalf("body %q, challenges %q; want the next handler's answer", r.body, r.header.Values("WWW-Authenticate"))
		}
		switch {
		case seen == nil:
			t.Fatal("the handler saw no access token")
		case seen.SenderConstrained() != c.WantBound:
			t.Fatalf("sender-constrained %v; want %v", seen.SenderConstrained(), c.WantBound)
		case c.WantBound && seen.DPoPThumbprint != c.Thumbprint:
			t.Fatalf("DPoPThumbprint %q; want %q", seen.DPoPThumbprint, c.Thumbprint)
		}
		return
	}
	if err := c.CheckChallenges(r.header.Values("WWW-Authenticate"), attacks.ResourceMetadata); err != nil {
		t.Fatal(err)
	}
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("body %q is not JSON: %v", r.body, err)
	}
	want := "invalid_token" // no credentials: no error in the challenges, but the body needs a code
	switch {
	case c.WantStatus == http.StatusServiceUnavailable:
		want = "temporarily_unavailable"
	case c.WantDPoP != attacks.NoChallenge && c.WantDPoP != attacks.NoError:
		want = c.WantDPoP
	case c.WantBearer != attacks.NoChallenge && c.WantBearer != attacks.NoError:
		want = c.WantBearer
	}
	if body.Error != want || body.Description == "" {
		t.Fatalf("body %+v; want error %q with a description", body, want)
	}
}
