package introspect

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
)

func TestAcceptsActiveToken(t *testing.T) {
	s := newAuthServer(t, answerWith(activeAnswer()))
	v := newVerifier(t, testConfig(s), nil)
	at, err := v.VerifyToken(context.Background(), "opaque-token-1")
	if err != nil {
		t.Fatalf("VerifyToken: %v", err)
	}
	if at.Token != "opaque-token-1" || at.ClientID != "client-1" || at.Subject != "user-1" ||
		at.Issuer != testIssuer || !slices.Equal(at.Scopes, []string{"read", "write"}) ||
		!slices.Equal(at.Audience, []string{testAudience}) || !at.ExpiresAt.Equal(testNow.Add(time.Hour)) {
		t.Fatalf("access token = %+v", at)
	}
	ext, ok := at.Claims["ext"].(map[string]any)
	if !ok || ext["tenant"] != "t1" || at.Claims["token_type"] != "Bearer" {
		t.Fatalf("claims = %v; want every member of the answer", at.Claims)
	}
}

func TestRequestShape(t *testing.T) {
	for _, method := range []AuthMethod{"", ClientSecretBasic, ClientSecretPost} {
		t.Run(string(method), func(t *testing.T) {
			s := newAuthServer(t, answerWith(activeAnswer()))
			c := testConfig(s)
			c.AuthMethod = method
			v := newVerifier(t, c, nil)
			if _, err := v.VerifyToken(context.Background(), "tok+/="); err != nil {
				t.Fatal(err)
			}
			s.mu.Lock()
			r, form := s.last, s.form
			s.mu.Unlock()
			if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
				t.Errorf("Content-Type = %q", ct)
			}
			if form.Get("token") != "tok+/=" || form.Get("token_type_hint") != "access_token" {
				t.Errorf("form = %v", form)
			}
			auth := r.Header.Get("Authorization")
			if method == ClientSecretPost {
				if auth != "" || form.Get("client_id") != testClient || form.Get("client_secret") != testSecret {
					t.Errorf("client_secret_post: Authorization %q, form %v", auth, form)
				}
				return
			}
			// RFC 6749 §2.3.1: id and secret form-urlencoded, then Basic.
			want := "Basic " + base64.StdEncoding.EncodeToString([]byte("rs+client:s3cret%3A%2B%2F%26"))
			if auth != want || form.Has("client_secret") || form.Has("client_id") {
				t.Errorf("client_secret_basic: Authorization %q, want %q; form %v", auth, want, form)
			}
		})
	}
}

// TestResponseRules runs each rule on the answer's members: every row
// changes one member of an active answer.
func TestResponseRules(t *testing.T) {
	for _, tt := range []struct {
		name   string
		edit   func(m map[string]any)
		reason mcpauth.Reason // "" means accepted
	}{
		{"active", func(m map[string]any) {}, ""},
		{"active false", func(m map[string]any) { m["active"] = false }, mcpauth.ReasonInactive},
		{"active missing", func(m map[string]any) { delete(m, "active") }, mcpauth.ReasonBadClaims},
		{"active null", func(m map[string]any) { m["active"] = nil }, mcpauth.ReasonBadClaims},
		{"active as a string", func(m map[string]any) { m["active"] = "true" }, mcpauth.ReasonBadClaims},
		{"active as a number", func(m map[string]any) { m["active"] = 1 }, mcpauth.ReasonBadClaims},
		{"exp in the past", func(m map[string]any) { m["exp"] = testNow.Add(-time.Second).Unix() }, mcpauth.ReasonExpired},
		{"exp now", func(m map[string]any) { m["exp"] = testNow.Unix() }, mcpauth.ReasonExpired},
		{"exp as a string", func(m map[string]any) { m["exp"] = fmt.Sprint(testNow.Add(time.Hour).Unix()) }, mcpauth.ReasonBadClaims},
		{"exp out of range", func(m map[string]any) { m["exp"] = 1e300 }, mcpauth.ReasonBadClaims},
		{"exp absent", func(m map[string]any) { delete(m, "exp") }, ""},
		{"iat as a string", func(m map[string]any) { m["iat"] = "0" }, mcpauth.ReasonBadClaims},
		{"nbf negative", func(m map[string]any) { m["nbf"] = -1 }, mcpauth.ReasonBadClaims},
		{"iss another issuer", func(m map[string]any) { m["iss"] = "https://evil.example.com" }, mcpauth.ReasonIssuer},
		{"iss case variant", func(m map[string]any) { m["iss"] = "https://AS.example.com" }, mcpauth.ReasonIssuer},
		{"iss trailing slash", func(m map[string]any) { m["iss"] = testIssuer + "/" }, mcpauth.ReasonIssuer},
		{"iss not a string", func(m map[string]any) { m["iss"] = []string{testIssuer} }, mcpauth.ReasonIssuer},
		{"iss absent", func(m map[string]any) { delete(m, "iss") }, ""},
		{"aud missing", func(m map[string]any) { delete(m, "aud") }, mcpauth.ReasonAudience},
		{"aud another resource", func(m map[string]any) { m["aud"] = "https://other.example.com/mcp" }, mcpauth.ReasonAudience},
		{"aud list with ours", func(m map[string]any) { m["aud"] = []string{"https://other", testAudience} }, ""},
		{"aud list without ours", func(m map[string]any) { m["aud"] = []string{"https://other"} }, mcpauth.ReasonAudience},
		{"aud empty list", func(m map[string]any) { m["aud"] = []string{} }, mcpauth.ReasonAudience},
		{"aud non-string member", func(m map[string]any) { m["aud"] = []any{testAudience, 1} }, mcpauth.ReasonAudience},
		{"aud case variant", func(m map[string]any) { m["aud"] = strings.ToUpper(testAudience) }, mcpauth.ReasonAudience},
		{"scope with a tab", func(m map[string]any) { m["scope"] = "read\twrite" }, mcpauth.ReasonBadClaims},
		{"scope with a newline", func(m map[string]any) { m["scope"] = "read\nwrite" }, mcpauth.ReasonBadClaims},
		{"scope with runs of spaces (the module's one scope rule)", func(m map[string]any) { m["scope"] = "  read   write " }, ""},
		{"scope with a non-ASCII space", func(m map[string]any) { m["scope"] = "read\u00a0write" }, mcpauth.ReasonBadClaims},
		{"scope with a quote", func(m map[string]any) { m["scope"] = `re"ad` }, mcpauth.ReasonBadClaims},
		{"scope as a list", func(m map[string]any) { m["scope"] = []string{"read"} }, mcpauth.ReasonBadClaims},
		{"scope empty", func(m map[string]any) { m["scope"] = "" }, ""},
		{"client_id not a string", func(m map[string]any) { m["client_id"] = 7 }, mcpauth.ReasonBadClaims},
		{"sub not a string", func(m map[string]any) { m["sub"] = true }, mcpauth.ReasonBadClaims},
		{"username not a string", func(m map[string]any) { m["username"] = 1 }, mcpauth.ReasonBadClaims},
		{"sender-constrained (cnf)", func(m map[string]any) { m["cnf"] = map[string]any{"jkt": "x"} }, mcpauth.ReasonBadClaims},
		{"DPoP token type", func(m map[string]any) { m["token_type"] = "DPoP" }, mcpauth.ReasonBadClaims},
		{"token_type not a string", func(m map[string]any) { m["token_type"] = 1 }, mcpauth.ReasonBadClaims},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := activeAnswer()
			tt.edit(m)
			s := newAuthServer(t, answerWith(m))
			v := newVerifier(t, testConfig(s), nil)
			at, err := v.VerifyToken(context.Background(), "tok")
			if tt.reason == "" {
				if err != nil || at == nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if at != nil {
				t.Fatalf("accepted: %+v", at)
			}
			wantReason(t, err, tt.reason)
		})
	}
}

func TestIssuerDefaultsAndClientIDFallback(t *testing.T) {
	m := activeAnswer()
	delete(m, "iss")
	delete(m, "client_id")
	s := newAuthServer(t, answerWith(m))
	v := newVerifier(t, testConfig(s), nil)
	at, err := v.VerifyToken(context.Background(), "tok")
	if err != nil {
		t.Fatal(err)
	}
	if at.Issuer != testIssuer || at.ClientID != "user-1" {
		t.Fatalf("issuer %q client %q; want the configured issuer and the sub", at.Issuer, at.ClientID)
	}
	// Without a configured issuer any iss is taken as given.
	m["iss"] = "https://whoever.example.com"
	c := testConfig(s)
	c.Issuer = ""
	s.answer = answerWith(m)
	v = newVerifier(t, c, nil)
	if at, err = v.VerifyToken(context.Background(), "tok"); err != nil || at.Issuer != "https://whoever.example.com" {
		t.Fatalf("%+v, %v", at, err)
	}
}

func TestRequiredScopes(t *testing.T) {
	s := newAuthServer(t, answerWith(activeAnswer()))
	c := testConfig(s)
	c.RequiredScopes = []string{"read", "admin"}
	v := newVerifier(t, c, nil)
	if got := v.RequiredScopes(); !slices.Equal(got, []string{"read", "admin"}) {
		t.Fatalf("RequiredScopes = %v", got)
	}
	_, err := v.VerifyToken(context.Background(), "tok")
	var ise *mcpauth.InsufficientScopeError
	if !errors.As(err, &ise) || !slices.Equal(ise.Missing, []string{"admin"}) {
		t.Fatalf("error = %v; want missing admin", err)
	}
}

// TestEndpointFailuresAreUnavailable: anything but a 200 with a well-formed
// JSON object is the endpoint's fault, never the token's: 503, not 401.
func TestEndpointFailuresAreUnavailable(t *testing.T) {
	const token = "secret-token-value"
	for _, tt := range []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request, tok string)
	}{
		{"500", func(w http.ResponseWriter, _ *http.Request, tok string) {
			http.Error(w, "boom "+tok, http.StatusInternalServerError)
		}},
		{"503", func(w http.ResponseWriter, _ *http.Request, _ string) { w.WriteHeader(http.StatusServiceUnavailable) }},
		{"401 bad client credentials", func(w http.ResponseWriter, _ *http.Request, _ string) {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
		}},
		{"400", func(w http.ResponseWriter, _ *http.Request, _ string) { w.WriteHeader(http.StatusBadRequest) }},
		{"not JSON", func(w http.ResponseWriter, _ *http.Request, tok string) { writeRaw(w, "<html>"+tok) }},
		{"wrong content type", func(w http.ResponseWriter, _ *http.Request, _ string) {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write([]byte(`{"active":true}`))
		}},
		{"no content type", func(w http.ResponseWriter, _ *http.Request, _ string) {
			w.Header()["Content-Type"] = nil
			_, _ = w.Write([]byte(`{"active":true}`))
		}},
		{"array", func(w http.ResponseWriter, _ *http.Request, _ string) { writeRaw(w, `[{"active":true}]`) }},
		{"duplicate active", func(w http.ResponseWriter, _ *http.Request, _ string) {
			writeRaw(w, `{"active":false,"active":true,"aud":"`+testAudience+`"}`)
		}},
		{"duplicate nested member", func(w http.ResponseWriter, _ *http.Request, _ string) {
			writeRaw(w, `{"active":true,"aud":"`+testAudience+`","ext":{"a":1,"a":2}}`)
		}},
		{"case-variant member", func(w http.ResponseWriter, _ *http.Request, _ string) {
			writeRaw(w, `{"active":true,"Active":false,"aud":"`+testAudience+`"}`)
		}},
		{"case-variant aud", func(w http.ResponseWriter, _ *http.Request, _ string) {
			writeRaw(w, `{"active":true,"AUD":"`+testAudience+`"}`)
		}},
		{"invalid UTF-8", func(w http.ResponseWriter, _ *http.Request, _ string) {
			writeRaw(w, "{\"active\":true,\"sub\":\"\xff\",\"aud\":\""+testAudience+"\"}")
		}},
		{"trailing data", func(w http.ResponseWriter, _ *http.Request, _ string) {
			writeRaw(w, `{"active":true,"aud":"`+testAudience+`"} {}`)
		}},
		{"too deep", func(w http.ResponseWriter, _ *http.Request, _ string) {
			writeRaw(w, `{"active":true,"aud":"`+testAudience+`","x":`+strings.Repeat("[", 40)+strings.Repeat("]", 40)+`}`)
		}},
		{"oversized body (Content-Length)", func(w http.ResponseWriter, _ *http.Request, _ string) {
			writeRaw(w, `{"active":true,"aud":"`+testAudience+`","pad":"`+strings.Repeat("a", DefaultMaxBodyBytes)+`"}`)
		}},
		{"oversized body (chunked)", func(w http.ResponseWriter, _ *http.Request, _ string) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"active":true,"aud":"` + testAudience + `","pad":"`))
			w.(http.Flusher).Flush()
			for range 5 {
				_, _ = w.Write([]byte(strings.Repeat("a", DefaultMaxBodyBytes/4)))
			}
			_, _ = w.Write([]byte(`"}`))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newAuthServer(t, tt.answer)
			v := newVerifier(t, testConfig(s), nil)
			at, err := v.VerifyToken(context.Background(), token)
			if at != nil {
				t.Fatalf("accepted: %+v", at)
			}
			wantUnavailable(t, err)
			if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), testSecret) {
				t.Fatalf("error %q shows the token or the secret", err)
			}
			if strings.Contains(err.Error(), "boom") || strings.Contains(err.Error(), "invalid_client") {
				t.Fatalf("error %q carries the endpoint's body", err)
			}
		})
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	target := newAuthServer(t, answerWith(activeAnswer()))
	s := newAuthServer(t, func(w http.ResponseWriter, r *http.Request, _ string) {
		http.Redirect(w, r, target.endpoint(), http.StatusTemporaryRedirect)
	})
	c := testConfig(s)
	v, err := New(c, WithHTTPClient(&http.Client{})) // a client that would follow redirects
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.VerifyToken(context.Background(), "tok")
	wantUnavailable(t, err)
	if !strings.Contains(err.Error(), "redirects are not followed") {
		t.Fatalf("error %q does not say why", err)
	}
	if n := target.calls.Load(); n != 0 {
		t.Fatalf("the redirect target was called %d times", n)
	}
}

func TestSlowEndpointTimesOut(t *testing.T) {
	release := make(chan struct{})
	s := newAuthServer(t, func(w http.ResponseWriter, r *http.Request, _ string) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	c := testConfig(s)
	c.Timeout = 50 * time.Millisecond
	v := newVerifier(t, c, nil)
	_, err := v.VerifyToken(context.Background(), "tok")
	wantUnavailable(t, err)
	if !strings.Contains(err.Error(), "no complete response within 50ms") {
		t.Fatalf("error %q does not name the timeout", err)
	}
}

func TestEndpointDown(t *testing.T) {
	s := newAuthServer(t, answerWith(activeAnswer()))
	c := testConfig(s)
	s.Close()
	v := newVerifier(t, c, nil)
	_, err := v.VerifyToken(context.Background(), "tok")
	wantUnavailable(t, err)
}

func TestTokenLimits(t *testing.T) {
	s := newAuthServer(t, answerWith(activeAnswer()))
	c := testConfig(s)
	c.MaxTokenBytes = 10
	v := newVerifier(t, c, nil)
	_, err := v.VerifyToken(context.Background(), "")
	wantReason(t, err, mcpauth.ReasonMalformed)
	_, err = v.VerifyToken(context.Background(), strings.Repeat("a", 11))
	wantReason(t, err, mcpauth.ReasonTooLarge)
	if n := s.calls.Load(); n != 0 {
		t.Fatalf("%d calls; empty and oversized tokens must not be sent", n)
	}
	if _, err := v.VerifyToken(context.Background(), strings.Repeat("a", 10)); err != nil {
		t.Fatal(err)
	}
}

func TestCallerCancellation(t *testing.T) {
	release := make(chan struct{})
	s := newAuthServer(t, func(w http.ResponseWriter, r *http.Request, _ string) {
		<-release
		writeJSON(w, activeAnswer())
	})
	c := testConfig(s)
	c.CacheSize = 10
	v := newVerifier(t, c, nil)
	ended := make(chan struct{})
	v.flight.ended = func() { close(ended) }
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := v.VerifyToken(ctx, "tok")
	wantUnavailable(t, err)
	close(release)
	<-ended // the detached call completes and its answer reaches the cache
	if _, err := v.VerifyToken(context.Background(), "tok"); err != nil {
		t.Fatal(err)
	}
	if n := s.calls.Load(); n != 1 {
		t.Fatalf("%d calls; the abandoned call's answer should have been cached", n)
	}
}

// testJKT is a well-formed cnf.jkt (a base64url SHA-256 thumbprint).
const testJKT = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"

// TestDPoPBoundRules runs the binding rules with Config.DPoPBound: a
// cnf.jkt binding is accepted and kept in the claims for the middleware's
// proof check; every other binding, and every binding without DPoPBound,
// is refused.
func TestDPoPBoundRules(t *testing.T) {
	for _, tt := range []struct {
		name   string
		edit   func(m map[string]any)
		bound  bool           // Config.DPoPBound
		reason mcpauth.Reason // "" means accepted
		jkt    string         // the cnf.jkt an accepted token carries
	}{
		{"unbound token", func(m map[string]any) {}, true, "", ""},
		{"cnf.jkt", func(m map[string]any) { m["cnf"] = map[string]any{"jkt": testJKT} }, true, "", testJKT},
		{"cnf.jkt with token_type DPoP", func(m map[string]any) {
			m["cnf"], m["token_type"] = map[string]any{"jkt": testJKT}, "DPoP"
		}, true, "", testJKT},
		{"cnf.jkt with token_type dpop", func(m map[string]any) {
			m["cnf"], m["token_type"] = map[string]any{"jkt": testJKT}, "dpop"
		}, true, "", testJKT},
		{"cnf.jkt without DPoPBound", func(m map[string]any) { m["cnf"] = map[string]any{"jkt": testJKT} }, false, mcpauth.ReasonBadClaims, ""},
		{"token_type DPoP without DPoPBound", func(m map[string]any) {
			m["cnf"], m["token_type"] = map[string]any{"jkt": testJKT}, "DPoP"
		}, false, mcpauth.ReasonBadClaims, ""},
		{"token_type DPoP without cnf", func(m map[string]any) { m["token_type"] = "DPoP" }, true, mcpauth.ReasonBadClaims, ""},
		{"cnf not an object", func(m map[string]any) { m["cnf"] = testJKT }, true, mcpauth.ReasonBadClaims, ""},
		{"cnf null", func(m map[string]any) { m["cnf"] = nil }, true, mcpauth.ReasonBadClaims, ""},
		{"cnf empty", func(m map[string]any) { m["cnf"] = map[string]any{} }, true, mcpauth.ReasonBadClaims, ""},
		{"cnf of mutual TLS", func(m map[string]any) { m["cnf"] = map[string]any{"x5t#S256": testJKT} }, true, mcpauth.ReasonBadClaims, ""},
		{"cnf.jkt and another method", func(m map[string]any) {
			m["cnf"] = map[string]any{"jkt": testJKT, "x5t#S256": testJKT}
		}, true, mcpauth.ReasonBadClaims, ""},
		{"cnf.jkt not a string", func(m map[string]any) { m["cnf"] = map[string]any{"jkt": 1} }, true, mcpauth.ReasonBadClaims, ""},
		{"cnf.jkt too short", func(m map[string]any) { m["cnf"] = map[string]any{"jkt": testJKT[1:]} }, true, mcpauth.ReasonBadClaims, ""},
		{"cnf.jkt not base64url", func(m map[string]any) { m["cnf"] = map[string]any{"jkt": testJKT[1:] + "+"} }, true, mcpauth.ReasonBadClaims, ""},
		{"token_type not a string", func(m map[string]any) { m["token_type"] = 1 }, true, mcpauth.ReasonBadClaims, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := activeAnswer()
			tt.edit(m)
			s := newAuthServer(t, answerWith(m))
			c := testConfig(s)
			c.DPoPBound = tt.bound
			v := newVerifier(t, c, nil)
			if v.DefersDPoPBinding() != tt.bound {
				t.Fatalf("DefersDPoPBinding %v", v.DefersDPoPBinding())
			}
			at, err := v.VerifyToken(context.Background(), "tok")
			if tt.reason != "" {
				if at != nil {
					t.Fatalf("accepted: %+v", at)
				}
				wantReason(t, err, tt.reason)
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if got := cnfJKT(at); got != tt.jkt {
				t.Fatalf("cnf.jkt in the claims %q; want %q", got, tt.jkt)
			}
		})
	}
}

// cnfJKT returns the claims' cnf.jkt, as the middleware reads it.
func cnfJKT(at *mcpauth.AccessToken) string {
	cnf, _ := at.Claims["cnf"].(map[string]any)
	jkt, _ := cnf["jkt"].(string)
	return jkt
}
