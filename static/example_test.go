package static_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/static"
)

func Example() {
	v, err := static.NewTokenVerifier(map[string]static.Token{
		"dev-token-alice": {ClientID: "alice", Scopes: []string{"read", "write"}, Subject: "alice@example.com"},
	}, static.WithRequiredScopes("read"))
	if err != nil {
		log.Fatal(err)
	}
	at, err := v.VerifyToken(context.Background(), "dev-token-alice")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(at.ClientID, at.Subject, at.Scopes)
	// Output: alice alice@example.com [read write]
}

func ExampleTokenVerifier_VerifyToken_errors() {
	v, err := static.NewTokenVerifier(map[string]static.Token{
		"dev-token-ci":  {ClientID: "ci", Scopes: []string{"read"}},
		"dev-token-old": {ClientID: "old", Scopes: []string{"read", "write"}, ExpiresAt: 1_600_000_000},
	},
		static.WithRequiredScopes("write"),
		static.WithClock(func() time.Time { return time.Unix(1_700_000_000, 0) }),
	)
	if err != nil {
		log.Fatal(err)
	}
	for _, token := range []string{"no-such-token", "dev-token-old", "dev-token-ci"} {
		_, err := v.VerifyToken(context.Background(), token)
		var ise *mcpauth.InsufficientScopeError
		switch {
		case errors.Is(err, mcpauth.ErrInvalidToken):
			fmt.Println("401 invalid_token, reason", mcpauth.ReasonOf(err))
		case errors.As(err, &ise):
			fmt.Println("403 insufficient_scope, missing", ise.Missing)
		}
	}
	// Output:
	// 401 invalid_token, reason unknown_token
	// 401 invalid_token, reason expired
	// 403 insufficient_scope, missing [write]
}

func ExampleParseTokens() {
	tokens, err := static.ParseTokens(strings.NewReader(`{
	  "dev-token-alice": {"client_id": "alice", "scopes": ["read"], "expires_at": 1893456000}
	}`))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%+v\n", tokens["dev-token-alice"])

	_, err = static.ParseTokens(strings.NewReader(`{"dev-token-bob": {"client_id": "bob", "scope": "read"}}`))
	fmt.Println(err)
	// Output:
	// {ClientID:alice Scopes:[read] ExpiresAt:1893456000 Subject:}
	// invalid configuration: static tokens: entry 1 (client_id "bob"): unknown member "scope"
}
