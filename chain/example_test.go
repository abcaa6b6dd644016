package chain_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/chain"
	"github.com/mcpauth/mcpauth/static"
)

// down stands for an introspection endpoint that cannot be reached.
type down struct{}

func (down) VerifyToken(context.Context, string) (*mcpauth.AccessToken, error) {
	return nil, mcpauth.ErrKeySourceUnavailable
}

// JWS-shaped tokens go to the JWT verifier, opaque ones to introspection.
// Here a static table stands in for the JWT verifier.
func ExampleByShape() {
	jwt, err := static.NewTokenVerifier(map[string]static.Token{
		"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln": {ClientID: "jwt-client"},
	})
	if err != nil {
		panic(err)
	}
	v, err := chain.ByShape(
		chain.Step{Name: "jwt", Verifier: jwt},
		chain.Step{Name: "introspection", Verifier: down{}},
	)
	if err != nil {
		panic(err)
	}
	at, err := v.VerifyToken(context.Background(), "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln")
	fmt.Println(at.ClientID, err)

	_, err = v.VerifyToken(context.Background(), "opaque-token")
	fmt.Println(errors.Is(err, mcpauth.ErrKeySourceUnavailable))
	// Output:
	// jwt-client <nil>
	// true
}

// Verifiers tried in order: a token refused by the first and unverifiable
// by the second (down) answers 503, not 401.
func ExampleFirstSuccess() {
	first, err := static.NewTokenVerifier(map[string]static.Token{"known": {ClientID: "c"}})
	if err != nil {
		panic(err)
	}
	v, err := chain.FirstSuccess([]chain.Step{
		{Name: "static", Verifier: first},
		{Name: "introspection", Verifier: down{}},
	})
	if err != nil {
		panic(err)
	}
	_, err = v.VerifyToken(context.Background(), "unknown")
	fmt.Println(errors.Is(err, mcpauth.ErrKeySourceUnavailable), mcpauth.ReasonOf(err))
	fmt.Println(err)
	// Output:
	// true key_source_unavailable
	// chain: no verifier accepted the token: static: invalid token: unknown_token: no such static token; introspection: key source unavailable
}
