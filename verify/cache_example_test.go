package verify_test

import (
	"context"
	"fmt"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/verify"
)

// A verifier that remembers the tokens it accepted: the second request
// with the same token skips the signature check, for at most a minute and
// never past the token's exp. Rejected tokens are never remembered, and
// the required scopes are checked on every call.
func ExampleSettings_cacheSize() {
	kp, err := testkeys.GenerateECKeyPair()
	if err != nil {
		panic(err)
	}
	v, err := verify.NewJWTVerifier(verify.Settings{
		PublicKey:   kp.PublicKeyPEM(),
		Issuers:     []string{"https://auth.example.com"},
		Audiences:   []string{"https://mcp.example.com/mcp"},
		CacheSize:   1000,
		CacheMaxAge: time.Minute,
	})
	if err != nil {
		panic(err)
	}
	token, err := kp.CreateToken(testkeys.TokenOptions{
		Issuer:   "https://auth.example.com",
		Audience: []string{"https://mcp.example.com/mcp"},
		Subject:  "alice",
		Scopes:   []string{"mcp:tools"},
	})
	if err != nil {
		panic(err)
	}
	for range 2 {
		at, err := v.VerifyToken(context.Background(), token)
		if err != nil {
			panic(err)
		}
		fmt.Println(at.Subject, at.Scopes)
	}
	_, err = v.VerifyToken(context.Background(), token[:len(token)-4]+"AAAA")
	fmt.Println(mcpauth.ReasonOf(err))
	// Output:
	// alice [mcp:tools]
	// alice [mcp:tools]
	// signature
}

// The cache from the environment: MCPAUTH_JWT_CACHE_SIZE entries, served
// for at most MCPAUTH_JWT_CACHE_MAX_AGE.
func ExampleSettings_cache() {
	s, err := verify.SettingsFromMap(verify.EnvPrefix, map[string]string{
		"MCPAUTH_JWT_CACHE_SIZE":    "1000",
		"MCPAUTH_JWT_CACHE_MAX_AGE": "2m",
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(s.CacheSize, s.CacheMaxAge)
	// Output: 1000 2m0s
}
