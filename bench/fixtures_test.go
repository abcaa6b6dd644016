package bench

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"hash"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The realistic access token every stack verifies: RFC 9068 claims of an
// MCP client, 560 to 870 bytes depending on the algorithm.
const (
	issuer   = "https://auth.example.com/"
	audience = "https://mcp.example.com/mcp"
	leeway   = 30 * time.Second
	// hmacSecret is a 32-byte HS256 test secret. It protects nothing.
	hmacSecret = "bench-only-hs256-secret-32-bytes"
)

// algorithms are the algorithms compared, in table order.
var algorithms = []string{"RS256", "PS256", "ES256", "EdDSA", "HS256"}

// fixture is one algorithm's key material and token.
type fixture struct {
	alg    string
	signer any       // private key or HMAC secret for golang-jwt
	public any       // public key or HMAC secret
	pem    string    // mcpauth's Settings.PublicKey
	token  string    // the signed token
	input  []byte    // its signing input: header.payload
	sig    []byte    // its decoded signature
	der    []byte    // ES256: the signature as ASN.1 DER, for the floor
	mac    hash.Hash // HS256: the keyed HMAC state, for the floor
	sum    [sha256.Size]byte
}

var (
	fixturesOnce sync.Once
	fixtures     map[string]*fixture
)

// fixtureFor returns the fixture of alg, making all keys on first use.
func fixtureFor(tb testing.TB, alg string) *fixture {
	tb.Helper()
	fixturesOnce.Do(func() {
		rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		edPub, edKey, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			panic(err)
		}
		fixtures = map[string]*fixture{
			"RS256": {alg: "RS256", signer: rsaKey, public: &rsaKey.PublicKey},
			"PS256": {alg: "PS256", signer: rsaKey, public: &rsaKey.PublicKey},
			"ES256": {alg: "ES256", signer: ecKey, public: &ecKey.PublicKey},
			"EdDSA": {alg: "EdDSA", signer: edKey, public: edPub},
			"HS256": {alg: "HS256", signer: []byte(hmacSecret), public: []byte(hmacSecret), pem: hmacSecret, mac: hmac.New(sha256.New, []byte(hmacSecret))},
		}
		for _, f := range fixtures {
			if f.pem == "" {
				der, err := x509.MarshalPKIXPublicKey(f.public)
				if err != nil {
					panic(err)
				}
				f.pem = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
			}
			f.token = signToken(f.alg, f.signer, audience)
			dot := strings.LastIndexByte(f.token, '.')
			f.input = []byte(f.token[:dot])
			if f.sig, err = base64.RawURLEncoding.DecodeString(f.token[dot+1:]); err != nil {
				panic(err)
			}
			if f.alg == "ES256" {
				r, s := new(big.Int).SetBytes(f.sig[:32]), new(big.Int).SetBytes(f.sig[32:])
				f.der = derSig(r, s)
			}
		}
	})
	return fixtures[alg]
}

// signToken mints the benchmark token for aud, valid for a day from now.
func signToken(alg string, key any, aud string) string { return signTokenWith(alg, key, aud, nil) }

// signTokenWith is signToken with extra claims (such as cnf).
func signTokenWith(alg string, key any, aud string, extra jwt.MapClaims) string {
	now := time.Now()
	claims := jwt.MapClaims{
		"iss":       issuer,
		"aud":       aud,
		"sub":       "248289761001-4f1c9a2e-2b7d-4f61-9d0e-8a1b2c3d4e5f",
		"client_id": "s6BhdRkqt3-mcp-desktop-client",
		"scope":     "openid profile mcp:tools mcp:resources mcp:prompts read:files write:files",
		"iat":       now.Unix(),
		"auth_time": now.Unix(),
		"exp":       now.Add(24 * time.Hour).Unix(),
		"jti":       "b6f3c0de-6a1e-4c4f-8d2a-0f9e8d7c6b5a",
	}
	for k, v := range extra {
		claims[k] = v
	}
	t := jwt.NewWithClaims(jwt.GetSigningMethod(alg), claims)
	t.Header["typ"] = "at+jwt"
	t.Header["kid"] = "2026-11-" + strings.ToLower(alg)
	s, err := t.SignedString(key)
	if err != nil {
		panic(err)
	}
	return s
}

// derSig encodes an ECDSA signature as ASN.1 DER.
func derSig(r, s *big.Int) []byte {
	enc := func(x *big.Int) []byte {
		b := x.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return append([]byte{0x02, byte(len(b))}, b...)
	}
	body := append(enc(r), enc(s)...)
	return append([]byte{0x30, byte(len(body))}, body...)
}
