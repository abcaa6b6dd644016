package testkeys_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/mcpauth/mcpauth/testkeys"
)

// Generate a key pair, mint a token for a protected MCP server and verify it
// with golang-jwt. A verifier would be configured with kp.PublicKeyPEM() (or
// a JWKS URL) and the same issuer and audience.
func Example() {
	kp, err := testkeys.GenerateRSAKeyPair()
	if err != nil {
		log.Fatal(err)
	}
	token, err := kp.CreateToken(testkeys.TokenOptions{
		Subject:  "alice",
		Audience: []string{"https://mcp.example.com/mcp"},
		Scopes:   []string{"read", "write"},
	})
	if err != nil {
		log.Fatal(err)
	}

	claims := jwt.MapClaims{}
	_, err = jwt.ParseWithClaims(token, claims,
		func(*jwt.Token) (any, error) { return kp.Public(), nil },
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithIssuer(testkeys.DefaultIssuer),
		jwt.WithAudience("https://mcp.example.com/mcp"),
	)
	fmt.Println("valid:", err == nil)
	fmt.Println("sub:", claims["sub"])
	fmt.Println("scope:", claims["scope"])
	// Output:
	// valid: true
	// sub: alice
	// scope: read write
}

// TokenOptions with a fixed issue time give reproducible claims.
// AdditionalClaims are merged last and may override the standard ones.
func ExampleKeyPair_CreateToken() {
	kp, err := testkeys.GenerateRSAKeyPair()
	if err != nil {
		log.Fatal(err)
	}
	token, err := kp.CreateToken(testkeys.TokenOptions{
		Issuer:           "https://auth.example.com",
		Audience:         []string{"https://mcp.example.com/mcp", "https://other.example.com"},
		Scopes:           []string{"tools:call"},
		IssuedAt:         time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		ExpiresIn:        5 * time.Minute,
		AdditionalClaims: map[string]any{"client_id": "my-app", "sub": "svc-42"},
		Algorithm:        "PS256",
	})
	if err != nil {
		log.Fatal(err)
	}
	payload, err := jwt.NewParser().DecodeSegment(strings.Split(token, ".")[1])
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(payload))
	// Output:
	// {"aud":["https://mcp.example.com/mcp","https://other.example.com"],"client_id":"my-app","exp":1767225900,"iat":1767225600,"iss":"https://auth.example.com","scope":"tools:call","sub":"svc-42"}
}

// A negative ExpiresIn mints a token that has already expired.
func ExampleTokenOptions_expired() {
	kp, err := testkeys.GenerateEd25519KeyPair()
	if err != nil {
		log.Fatal(err)
	}
	token, err := kp.CreateToken(testkeys.TokenOptions{ExpiresIn: -time.Minute})
	if err != nil {
		log.Fatal(err)
	}
	_, err = jwt.Parse(token,
		func(*jwt.Token) (any, error) { return kp.Public(), nil },
		jwt.WithValidMethods([]string{"EdDSA"}))
	fmt.Println(errors.Is(err, jwt.ErrTokenExpired))
	// Output: true
}

// Algorithms that do not suit the key are refused.
func ExampleKeyPair_CreateToken_incompatibleAlgorithm() {
	kp, err := testkeys.GenerateECKeyPair()
	if err != nil {
		log.Fatal(err)
	}
	_, err = kp.CreateToken(testkeys.TokenOptions{Algorithm: "RS256"})
	fmt.Println(errors.Is(err, testkeys.ErrUnsupportedAlgorithm))
	fmt.Println(err)
	// Output:
	// true
	// testkeys: unsupported algorithm: "RS256" cannot be used with this ECDSA key (allowed: ES256)
}

// The key ID of every pair is its RFC 7638 thumbprint; this is the example
// key of RFC 7638 §3.1.
func ExampleJWK_Thumbprint() {
	jwk := testkeys.JWK{
		Kty: "RSA",
		E:   "AQAB",
		N:   "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
	}
	tp, err := jwk.Thumbprint()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tp)
	// Output: NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs
}

// Keys survive a round trip through PEM, for example to hand a fixed key to a
// server under test.
func ExampleParsePrivateKeyPEM() {
	kp, err := testkeys.GenerateECKeyPair()
	if err != nil {
		log.Fatal(err)
	}
	again, err := testkeys.ParsePrivateKeyPEM(kp.PrivateKeyPEM())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(again.KeyID() == kp.KeyID(), again.Algorithm())
	// Output: true ES256
}

// Serve the JWK Set of a development key; NewJWKSServer also simulates
// rotation and outages.
func ExampleJWKSHandler() {
	kp, err := testkeys.GenerateEd25519KeyPair()
	if err != nil {
		log.Fatal(err)
	}
	h, err := testkeys.JWKSHandler(kp)
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/.well-known/jwks.json")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		log.Fatal(err)
	}
	var set testkeys.JWKSet
	if err := json.Unmarshal(body, &set); err != nil {
		log.Fatal(err)
	}
	k := set.Keys[0]
	fmt.Println(len(set.Keys), k.Kty, k.Crv, k.Alg, k.Use, k.Kid == kp.KeyID())
	// Output: 1 OKP Ed25519 EdDSA sig true
}

// SignCompact signs arbitrary bytes, for tokens CreateToken cannot express,
// such as duplicate JSON members.
func ExampleSignCompact() {
	kp, err := testkeys.GenerateEd25519KeyPair()
	if err != nil {
		log.Fatal(err)
	}
	token, err := testkeys.SignCompact(kp, "EdDSA",
		[]byte(`{"alg":"EdDSA","typ":"JWT"}`),
		[]byte(`{"sub":"alice","sub":"admin","exp":4102444800}`))
	if err != nil {
		log.Fatal(err)
	}
	payload, err := jwt.NewParser().DecodeSegment(strings.Split(token, ".")[1])
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(payload))
	// Output: {"sub":"alice","sub":"admin","exp":4102444800}
}

// A JWK Set server that a test or a development binary controls: rotate
// the key and watch the fetches.
func ExampleNewJWKSServer() {
	old, err := testkeys.GenerateEd25519KeyPair()
	if err != nil {
		log.Fatal(err)
	}
	srv, err := testkeys.NewJWKSServer(old)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	fetchKid := func() string {
		resp, err := http.Get(srv.URL())
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		var set testkeys.JWKSet
		if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
			log.Fatal(err)
		}
		return set.Keys[0].Kid
	}
	fmt.Println(fetchKid() == old.KeyID())

	rotated, err := testkeys.GenerateEd25519KeyPair()
	if err != nil {
		log.Fatal(err)
	}
	if err := srv.SetKeys(rotated); err != nil {
		log.Fatal(err)
	}
	fmt.Println(fetchKid() == rotated.KeyID(), srv.Requests())
	// Output:
	// true
	// true 2
}
