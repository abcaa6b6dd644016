package middleware_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/static"
)

// devVerifier returns a static verifier for the examples.
func devVerifier() mcpauth.TokenVerifier {
	v, err := static.NewTokenVerifier(map[string]static.Token{
		"dev-token-alice": {ClientID: "alice", Scopes: []string{"mcp:tools", "mcp:admin"}},
		"dev-token-bob":   {ClientID: "bob", Scopes: []string{"mcp:tools"}},
		"dev-token-eve":   {ClientID: "eve"},
	})
	if err != nil {
		log.Fatal(err)
	}
	return v
}

// serve sends one request with the given Authorization header and prints
// the response.
func serve(h http.Handler, path, authorization string) {
	r := httptest.NewRequest(http.MethodPost, path, nil)
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Body.String())
	if c := w.Header().Get("WWW-Authenticate"); c != "" {
		fmt.Println("  WWW-Authenticate:", c)
	}
}

func Example() {
	mcp := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at, _ := middleware.AccessTokenFrom(r.Context())
		fmt.Fprintf(w, "hello %s, scopes %v", at.ClientID, at.Scopes)
	})
	protect := middleware.New(devVerifier(),
		middleware.WithRequiredScopes("mcp:tools"),
		middleware.WithResourceMetadata("https://mcp.example.com/.well-known/oauth-protected-resource/mcp"),
		middleware.WithLogger(slog.New(slog.DiscardHandler)),
	)
	h := protect(mcp)

	serve(h, "/mcp", "Bearer dev-token-alice")
	serve(h, "/mcp", "")
	serve(h, "/mcp", "Bearer dev-token-eve")
	// Output:
	// 200 hello alice, scopes [mcp:tools mcp:admin]
	// 401 {"error":"invalid_token","error_description":"authentication required: send an access token in the Authorization header with the Bearer scheme"}
	//   WWW-Authenticate: Bearer scope="mcp:tools", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
	// 403 {"error":"insufficient_scope","error_description":"the access token lacks a required scope"}
	//   WWW-Authenticate: Bearer error="insufficient_scope", error_description="the access token lacks a required scope", scope="mcp:tools", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
}

func ExampleRequireScopes() {
	mux := http.NewServeMux()
	mux.Handle("/tools", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "tools")
	}))
	mux.Handle("/admin", middleware.RequireScopes("mcp:admin")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "admin")
	})))
	h := middleware.New(devVerifier(),
		middleware.WithRequiredScopes("mcp:tools"),
		middleware.WithLogger(slog.New(slog.DiscardHandler)),
	)(mux)

	serve(h, "/admin", "Bearer dev-token-alice")
	serve(h, "/tools", "Bearer dev-token-bob")
	serve(h, "/admin", "Bearer dev-token-bob")
	// Output:
	// 200 admin
	// 200 tools
	// 403 {"error":"insufficient_scope","error_description":"the access token lacks a required scope"}
	//   WWW-Authenticate: Bearer error="insufficient_scope", error_description="the access token lacks a required scope", scope="mcp:tools mcp:admin"
}

// Verifier errors tell what to answer: errors.Is against the verify
// sentinels, errors.As for the details. The middleware does this for you;
// code calling a verifier directly does the same.
func Example_verifierErrors() {
	v := devVerifier()
	for _, token := range []string{"dev-token-bob", "no-such-token"} {
		at, err := v.VerifyToken(context.Background(), token)
		var ite *mcpauth.InvalidTokenError
		switch {
		case err == nil:
			fmt.Println("accepted:", at.ClientID)
			if err := at.CheckScopes([]string{"mcp:admin"}); err != nil {
				var ise *mcpauth.InsufficientScopeError
				if errors.As(err, &ise) {
					fmt.Println("  403 insufficient_scope, missing", ise.Missing)
				}
			}
		case errors.As(err, &ite):
			fmt.Println("401 invalid_token, reason", ite.Reason, "=", mcpauth.ReasonOf(err))
		case errors.Is(err, mcpauth.ErrKeySourceUnavailable):
			fmt.Println("503, retry later")
		}
	}
	// Output:
	// accepted: bob
	//   403 insufficient_scope, missing [mcp:admin]
	// 401 invalid_token, reason unknown_token = unknown_token
}

func ExampleWithObserver() {
	counts := map[string]int{}
	h := middleware.New(devVerifier(),
		middleware.WithLogger(slog.New(slog.DiscardHandler)),
		middleware.WithObserver(func(r *http.Request, o middleware.Outcome) {
			// A Prometheus counter vector would use these as labels.
			counts[fmt.Sprintf("accepted=%v status=%d reason=%s", o.Accepted, o.Status, o.Reason)]++
		}),
	)(http.NotFoundHandler())
	for _, auth := range []string{"Bearer dev-token-bob", "Bearer dev-token-bob", "Bearer nope", "", "Bearer"} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	fmt.Println(counts["accepted=true status=0 reason="])
	fmt.Println(counts["accepted=false status=401 reason=unknown_token"])
	fmt.Println(counts["accepted=false status=401 reason=no_credentials"])
	fmt.Println(counts["accepted=false status=400 reason=invalid_request"])
	// Output:
	// 2
	// 1
	// 1
	// 1
}
