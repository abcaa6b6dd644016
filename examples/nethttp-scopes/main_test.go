package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
	"github.com/mcpauth/mcpauth/verify"
)

const audience = "https://notes.example.com"

// newServer starts the API with a verifier built from the key's PEM public
// key, as MCPAUTH_JWT_PUBLIC_KEY configures it.
func newServer(t *testing.T, key *testkeys.KeyPair) *httptest.Server {
	t.Helper()
	v, err := verify.NewJWTVerifier(verify.Settings{
		PublicKey: key.PublicKeyPEM(),
		Issuers:   []string{testkeys.DefaultIssuer},
		Audiences: []string{audience},
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := newHandler(v, middleware.WithRealm("notes"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func mint(t *testing.T, key *testkeys.KeyPair, subject string, scopes ...string) string {
	t.Helper()
	tok, err := key.CreateToken(testkeys.TokenOptions{Subject: subject, Audience: []string{audience}, Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// do sends a request and returns the status, WWW-Authenticate and body.
func do(t *testing.T, method, url, token, body string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), string(b)
}

func TestPerRouteScopes(t *testing.T) {
	key := testkeystest.SharedRSAKeyPair(t)
	srv := newServer(t, key)
	reader := mint(t, key, "rita", scopeRead)
	writer := mint(t, key, "walt", scopeRead, scopeWrite)
	writeOnly := mint(t, key, "wendy", scopeWrite)
	admin := mint(t, key, "ada", scopeRead, scopeWrite, scopeAdmin)
	const insufficient = `Bearer realm="notes", error="insufficient_scope", error_description="the access token lacks a required scope", scope=`

	tests := []struct {
		name       string
		method     string
		path       string
		token      string
		wantStatus int
		wantAuth   string // exact WWW-Authenticate; "" means none
	}{
		{"health needs no token", "GET", "/healthz", "", 200, ""},
		{"no token", "GET", "/notes", "", 401, `Bearer realm="notes"`},
		{"no token on an unknown path", "GET", "/admin", "", 401, `Bearer realm="notes"`},
		{"reader lists", "GET", "/notes", reader, 200, ""},
		{"reader cannot add", "POST", "/notes", reader, 403, insufficient + `"notes:write"`},
		{"reader cannot delete", "DELETE", "/notes", reader, 403, insufficient + `"notes:write notes:admin"`},
		{"writer adds", "POST", "/notes", writer, 201, ""},
		{"write-only cannot list", "GET", "/notes", writeOnly, 403, insufficient + `"notes:read"`},
		{"writer cannot delete", "DELETE", "/notes", writer, 403, insufficient + `"notes:write notes:admin"`},
		{"admin deletes", "DELETE", "/notes", admin, 204, ""},
		{"unknown path with a token", "GET", "/admin", admin, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, auth, body := do(t, tt.method, srv.URL+tt.path, tt.token, "note")
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", status, tt.wantStatus, body)
			}
			if auth != tt.wantAuth {
				t.Fatalf("WWW-Authenticate:\n got %q\nwant %q", auth, tt.wantAuth)
			}
		})
	}
}

// TestHandlersSeeTheCaller checks that handlers read the verified token: a
// note is signed with the subject of the token that posted it.
func TestHandlersSeeTheCaller(t *testing.T) {
	key := testkeystest.SharedRSAKeyPair(t)
	srv := newServer(t, key)
	if status, _, body := do(t, "POST", srv.URL+"/notes", mint(t, key, "walt", scopeWrite), "  buy milk \n"); status != 201 {
		t.Fatalf("POST: %d %s", status, body)
	}
	if status, _, body := do(t, "POST", srv.URL+"/notes", mint(t, key, "ada", scopeWrite), "ship it"); status != 201 {
		t.Fatalf("POST: %d %s", status, body)
	}
	status, _, body := do(t, "GET", srv.URL+"/notes", mint(t, key, "rita", scopeRead), "")
	if status != 200 {
		t.Fatalf("GET: %d %s", status, body)
	}
	var notes []note
	if err := json.Unmarshal([]byte(body), &notes); err != nil {
		t.Fatal(err)
	}
	want := []note{{Author: "walt", Text: "buy milk"}, {Author: "ada", Text: "ship it"}}
	if len(notes) != len(want) || notes[0] != want[0] || notes[1] != want[1] {
		t.Fatalf("notes = %+v, want %+v", notes, want)
	}

	if status, _, _ := do(t, "POST", srv.URL+"/notes", mint(t, key, "walt", scopeWrite), strings.Repeat("x", maxNoteBytes+1)); status != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized note: status %d", status)
	}
}

// TestTokensFromOtherKeysOrAudiences checks that the PEM verifier refuses
// tokens it must not accept, whatever their scopes.
func TestTokensFromOtherKeysOrAudiences(t *testing.T) {
	key := testkeystest.SharedRSAKeyPair(t)
	srv := newServer(t, key)
	foreign := testkeystest.SharedECKeyPair(t)
	wrongAud, err := key.CreateToken(testkeys.TokenOptions{Audience: []string{"https://other.example.com"}, Scopes: []string{scopeRead}})
	if err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{
		"foreign key":    mint(t, foreign, "eve", scopeRead),
		"wrong audience": wrongAud,
	} {
		t.Run(name, func(t *testing.T) {
			status, auth, _ := do(t, "GET", srv.URL+"/notes", tok, "")
			if status != 401 || auth != `Bearer realm="notes", error="invalid_token", error_description="the access token is invalid"` {
				t.Fatalf("status %d, WWW-Authenticate %q", status, auth)
			}
		})
	}
}

func TestNewHandlerNeedsVerifier(t *testing.T) {
	if _, err := newHandler(nil); err == nil {
		t.Fatal("newHandler(nil) succeeded")
	}
}
