package resource_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/dpop"
	"github.com/mcpauth/mcpauth/metadata"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/resource"
	"github.com/mcpauth/mcpauth/static"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

func TestDerived(t *testing.T) {
	tests := []struct {
		url, path, metaURL, metaPath string
	}{
		{"https://mcp.example.com/mcp", "/mcp", "https://mcp.example.com/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource/mcp"},
		{"https://mcp.example.com/api/v1/mcp", "/api/v1/mcp", "https://mcp.example.com/.well-known/oauth-protected-resource/api/v1/mcp", "/.well-known/oauth-protected-resource/api/v1/mcp"},
		{"http://127.0.0.1:8080/mcp", "/mcp", "http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource/mcp"},
		{"https://mcp.example.com", "/", "https://mcp.example.com/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource"},
	}
	for _, tt := range tests {
		r, err := resource.New(resource.Config{URL: tt.url})
		if err != nil {
			t.Fatalf("%s: %v", tt.url, err)
		}
		if r.URL() != tt.url || r.Audience() != tt.url || r.Path() != tt.path || r.MetadataURL() != tt.metaURL || r.MetadataPath() != tt.metaPath {
			t.Errorf("%s: URL %q Audience %q Path %q MetadataURL %q MetadataPath %q", tt.url, r.URL(), r.Audience(), r.Path(), r.MetadataURL(), r.MetadataPath())
		}
		// The derived values agree with the metadata package's.
		if u, _ := metadata.WellKnownURL(tt.url); u != r.MetadataURL() {
			t.Errorf("%s: metadata.WellKnownURL = %q", tt.url, u)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	for name, c := range map[string]resource.Config{
		"no URL":            {},
		"relative URL":      {URL: "/mcp"},
		"query":             {URL: "https://mcp.example.com/mcp?x=1"},
		"fragment":          {URL: "https://mcp.example.com/mcp#x"},
		"user info":         {URL: "https://u:p@mcp.example.com/mcp"},
		"non-ASCII host":    {URL: "https://exämple.com/mcp"},
		"bad server":        {URL: "https://mcp.example.com/mcp", AuthorizationServers: []string{"issuer"}},
		"bad scope":         {URL: "https://mcp.example.com/mcp", Scopes: []string{"a b"}},
		"bad documentation": {URL: "https://mcp.example.com/mcp", Documentation: "docs"},
	} {
		r, err := resource.New(c)
		if !errors.Is(err, mcpauth.ErrInvalidConfig) || r != nil {
			t.Errorf("%s: New = %v, %v; want ErrInvalidConfig", name, r, err)
			continue
		}
		if !strings.Contains(err.Error(), "resource: ") {
			t.Errorf("%s: error %q does not name the package", name, err)
		}
	}
}

// TestWiring mounts what a Resource hands out the way the README does and
// follows a client's discovery: 401 with resource_metadata, whose URL serves
// a document naming the resource, the issuer and the scopes, and a token
// for the resource's audience gets through.
func TestWiring(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	res, err := resource.New(resource.Config{
		URL:                  base + "/mcp",
		AuthorizationServers: []string{"https://auth.example.com"},
		Scopes:               []string{"mcp:tools"},
	})
	if err != nil {
		t.Fatal(err)
	}
	v, err := static.NewTokenVerifier(map[string]static.Token{"good": {ClientID: "c", Scopes: []string{"mcp:tools"}}},
		static.WithRequiredScopes(res.Scopes()...))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(res.MetadataPath(), res.MetadataHandler())
	mux.Handle(res.Path(), middleware.New(v, res.MiddlewareOption())(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok"))
	})))
	srv.Config.Handler = mux
	srv.Start()
	defer srv.Close()

	resp, err := http.Post(res.URL(), "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	challenge := resp.Header.Get("WWW-Authenticate")
	if resp.StatusCode != 401 || !strings.Contains(challenge, `resource_metadata="`+res.MetadataURL()+`"`) {
		t.Fatalf("unauthenticated: %d %q", resp.StatusCode, challenge)
	}
	resp, err = http.Get(res.MetadataURL())
	if err != nil {
		t.Fatal(err)
	}
	var doc metadata.ProtectedResource
	err = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || doc.Resource != res.URL() ||
		strings.Join(doc.AuthorizationServers, " ") != "https://auth.example.com" || strings.Join(doc.ScopesSupported, " ") != "mcp:tools" {
		t.Fatalf("metadata: %d %+v %v", resp.StatusCode, doc, err)
	}
	req, _ := http.NewRequest("POST", res.URL(), nil)
	req.Header.Set("Authorization", "Bearer good")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("with token: %d", resp.StatusCode)
	}
}

func TestAccessorsCopy(t *testing.T) {
	r, err := resource.New(resource.Config{URL: "https://mcp.example.com/mcp", AuthorizationServers: []string{"https://a"}, Scopes: []string{"s"}})
	if err != nil {
		t.Fatal(err)
	}
	r.AuthorizationServers()[0] = "changed"
	r.Scopes()[0] = "changed"
	if r.AuthorizationServers()[0] != "https://a" || r.Scopes()[0] != "s" {
		t.Fatal("accessors return the Resource's own slices")
	}
}

// TestDPoPWiring: Config.DPoP reaches the metadata document and the
// middleware, whose htu base is the resource URL's origin.
func TestDPoPWiring(t *testing.T) {
	dv, err := dpop.NewVerifier(dpop.Config{Mode: dpop.Require, Algorithms: []string{"ES256"}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := resource.New(resource.Config{URL: "https://mcp.example.com/mcp", DPoP: dv})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	res.MetadataHandler().ServeHTTP(rec, httptest.NewRequest("GET", res.MetadataPath(), nil))
	var doc metadata.ProtectedResource
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || !doc.DPoPBoundAccessTokensRequired ||
		strings.Join(doc.DPoPSigningAlgValuesSupported, " ") != "ES256" {
		t.Fatalf("metadata %s (%v)", rec.Body, err)
	}

	key := testkeystest.SharedECKeyPair(t)
	v, err := static.NewTokenVerifier(map[string]static.Token{"bound": {ClientID: "c"}})
	if err != nil {
		t.Fatal(err)
	}
	bound := verifierFunc(func(ctx context.Context, tok string) (*mcpauth.AccessToken, error) {
		at, err := v.VerifyToken(ctx, tok)
		if err == nil {
			at.Claims = map[string]any{"cnf": testkeys.DPoPConfirmation(key)}
		}
		return at, err
	})
	h := middleware.New(bound, res.MiddlewareOption())(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	proof, err := testkeys.CreateDPoPProof(key, testkeys.DPoPProofOptions{Method: "POST", URL: res.URL(), AccessToken: "bound"})
	if err != nil {
		t.Fatal(err)
	}
	for authz, want := range map[string]int{"Bearer bound": 401, "DPoP bound": 200} {
		r := httptest.NewRequest("POST", "/mcp", nil)
		r.Header.Set("Authorization", authz)
		r.Header.Set("DPoP", proof)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("%s: %d; want %d (%v)", authz, w.Code, want, w.Header())
		}
	}
	if middleware.Combine(nil) != nil {
		t.Error("Combine with a nil option")
	}
}

type verifierFunc func(context.Context, string) (*mcpauth.AccessToken, error)

func (f verifierFunc) VerifyToken(ctx context.Context, tok string) (*mcpauth.AccessToken, error) {
	return f(ctx, tok)
}
