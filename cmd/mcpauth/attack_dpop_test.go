package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/internal/attacks"
)

// TestAttackDPoPServe sends every request of the DPoP section of the shared
// attack table (internal/attacks) to "mcpauth serve", configured by its
// variables (MCPAUTH_DPOP, MCPAUTH_DPOP_NONCE and _NONCE_SECRET, and for the
// store-down rows MCPAUTH_DPOP_REPLAY_REDIS_URL naming a closed port), with
// the fixture's instant as its clock. It asserts the status, the rule in
// the log (reason and detail), the error of both challenges, DPoP-Nonce,
// and for accepted requests what whoami reports (dpop_jkt); neither the
// token nor a proof may appear in the response or the logs.
func TestAttackDPoPServe(t *testing.T) {
	f, _ := attacks.Cases(t)
	cases := attacks.DPoPCases(t, f)
	closed := closedPort(t)
	servers := map[attacks.DPoPServer]*testServer{}
	for _, c := range cases {
		if servers[c.Server] != nil {
			continue
		}
		vars := map[string]string{"MCPAUTH_JWT_BASE_URL": attacks.DPoPBaseURL, "MCPAUTH_DPOP": c.Server.Mode.String()}
		for _, kv := range f.Env(attacks.PEM) {
			k, v, _ := strings.Cut(kv, "=")
			vars[k] = v
		}
		if c.Server.Nonce {
			vars["MCPAUTH_DPOP_NONCE"], vars["MCPAUTH_DPOP_NONCE_SECRET"] = "true", attacks.DPoPNonceSecret
		}
		if c.Server.StoreDown {
			vars["MCPAUTH_DPOP_REPLAY_REDIS_URL"] = "redis://" + closed + "/0"
		}
		servers[c.Server] = startServer(t, "serve", vars, func(cfg *serverConfig) {
			cfg.now = func() time.Time { return f.Now }
		})
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			s := servers[c.Server]
			for i, p := range c.Prior {
				if resp, body := sendDPoPCase(t, s, c, []string{p}); resp.StatusCode != http.StatusOK {
					t.Fatalf("prior request %d: status %d (%s); want 200", i, resp.StatusCode, body)
				}
			}
			before := len(s.logs.String())
			resp, body := sendDPoPCase(t, s, c, c.Proofs)
			// The middleware logs a refusal before it answers.
			logs := s.logs.String()[before:]
			if resp.StatusCode != c.WantStatus {
				t.Fatalf("status %d; want %d (body %s, logs %s)", resp.StatusCode, c.WantStatus, body, logs)
			}
			if nonce := resp.Header.Get("DPoP-Nonce"); (nonce != "") != c.Server.Nonce {
				t.Fatalf("DPoP-Nonce %q; want one exactly when nonces are required (%v)", nonce, c.Server.Nonce)
			}
			dump := body + "\n" + logs
			for k, vs := range resp.Header {
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
				var rpc struct {
					Result struct {
						StructuredContent struct {
							ClientID string `json:"client_id"`
							DPoPJKT  string `json:"dpop_jkt"`
						} `json:"structuredContent"`
					} `json:"result"`
				}
				if err := json.Unmarshal([]byte(body), &rpc); err != nil {
					t.Fatalf("whoami answer %q: %v", body, err)
				}
				got := rpc.Result.StructuredContent
				want := ""
				if c.WantBound {
					want = c.Thumbprint
				}
				if got.ClientID == "" || got.DPoPJKT != want || len(resp.Header.Values("WWW-Authenticate")) != 0 {
					t.Fatalf("whoami %+v, challenges %q; want dpop_jkt %q", got, resp.Header.Values("WWW-Authenticate"), want)
				}
				return
			}
			if !strings.Contains(logs, "reason="+string(c.WantReason)+" ") || !strings.Contains(strings.ReplaceAll(logs, `\"`, `"`), c.WantLog) {
				t.Fatalf("logs %s; want reason %s and %q", logs, c.WantReason, c.WantLog)
			}
			if err := c.CheckChallenges(resp.Header.Values("WWW-Authenticate"), ""); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// sendDPoPCase sends the request of c to s: a whoami tools/call.
func sendDPoPCase(t *testing.T, s *testServer, c attacks.DPoPCase, proofs []string) (*http.Response, string) {
	t.Helper()
	req, err := c.NewRequest(s.url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":{}}}`), proofs)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}
