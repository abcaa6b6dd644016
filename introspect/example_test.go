package introspect_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/introspect"
)

// A verifier for opaque tokens: the authorization server's endpoint says
// whether each token is active.
func Example() {
	as := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.PostFormValue("token") == "good" {
			fmt.Fprint(w, `{"active":true,"client_id":"cli","scope":"tools:read","aud":"https://mcp.example.com/mcp"}`)
			return
		}
		fmt.Fprint(w, `{"active":false}`)
	}))
	defer as.Close()

	v, err := introspect.New(introspect.Config{
		Endpoint:     as.URL + "/introspect", // loopback: plain http allowed
		Audiences:    []string{"https://mcp.example.com/mcp"},
		ClientID:     "mcp-server",
		ClientSecret: "secret",
		CacheSize:    1000, // CacheMaxAge defaults to 60s
	})
	if err != nil {
		panic(err)
	}
	at, err := v.VerifyToken(context.Background(), "good")
	fmt.Println(at.ClientID, at.Scopes, err)

	_, err = v.VerifyToken(context.Background(), "revoked")
	fmt.Println(errors.Is(err, mcpauth.ErrInvalidToken), mcpauth.ReasonOf(err))

	as.Close() // the endpoint goes down: 503, never 401
	_, err = v.VerifyToken(context.Background(), "unseen")
	fmt.Println(errors.Is(err, mcpauth.ErrKeySourceUnavailable))
	// Output:
	// cli [tools:read] <nil>
	// true inactive
	// true
}
