package testkeys_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// secondRSA is a second RSA pair, distinct from SharedRSAKeyPair, generated
// once per test binary.
var secondRSA = sync.OnceValues(testkeys.GenerateRSAKeyPair)

func otherRSAKeyPair(t *testing.T) *testkeys.KeyPair {
	t.Helper()
	kp, err := secondRSA()
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

// namedPair is a key pair with a name for subtests.
type namedPair struct {
	name string
	kp   *testkeys.KeyPair
}

// allPairs returns the shared pair of every type.
func allPairs(t *testing.T) []namedPair {
	t.Helper()
	return []namedPair{
		{"RSA", testkeystest.SharedRSAKeyPair(t)},
		{"EC", testkeystest.SharedECKeyPair(t)},
		{"Ed25519", testkeystest.SharedEd25519KeyPair(t)},
	}
}

// decodedToken is a compact JWS split into its parts.
type decodedToken struct {
	input     string         // header.payload
	header    map[string]any // numbers as json.Number
	claims    map[string]any // numbers as json.Number
	rawHeader []byte
	rawClaims []byte
	signature []byte
}

// decodeToken splits and decodes a token without verifying it.
func decodeToken(t *testing.T, token string) decodedToken {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d segments, want 3", len(parts))
	}
	var d decodedToken
	var err error
	d.input = parts[0] + "." + parts[1]
	if d.rawHeader, err = base64.RawURLEncoding.DecodeString(parts[0]); err != nil {
		t.Fatalf("header is not base64url: %v", err)
	}
	if d.rawClaims, err = base64.RawURLEncoding.DecodeString(parts[1]); err != nil {
		t.Fatalf("payload is not base64url: %v", err)
	}
	if d.signature, err = base64.RawURLEncoding.DecodeString(parts[2]); err != nil {
		t.Fatalf("signature is not base64url: %v", err)
	}
	d.header = decodeJSONObject(t, d.rawHeader)
	d.claims = decodeJSONObject(t, d.rawClaims)
	return d
}

func decodeJSONObject(t *testing.T, b []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, b)
	}
	return m
}

// verifySignature checks the token's signature with alg and the pair's
// public key, whatever its header says.
func verifySignature(t *testing.T, d decodedToken, alg string, kp *testkeys.KeyPair) {
	t.Helper()
	m := jwt.GetSigningMethod(alg)
	if m == nil {
		t.Fatalf("unknown algorithm %q", alg)
	}
	if err := m.Verify(d.input, d.signature, kp.Public()); err != nil {
		t.Fatalf("signature does not verify with %s: %v", alg, err)
	}
}

// parseJWT verifies a token with golang-jwt, allowing only alg and the
// pair's public key, and returns its claims.
func parseJWT(token, alg string, kp *testkeys.KeyPair, opts ...jwt.ParserOption) (jwt.MapClaims, error) {
	claims := jwt.MapClaims{}
	opts = append([]jwt.ParserOption{jwt.WithValidMethods([]string{alg})}, opts...)
	_, err := jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) {
		return kp.Public(), nil
	}, opts...)
	return claims, err
}

// keysOf returns the sorted member names of m, comma-separated.
func keysOf(m map[string]any) string {
	return strings.Join(slices.Sorted(maps.Keys(m)), ",")
}
