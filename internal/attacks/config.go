package attacks

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"sync"
	"testing"

	"github.com/mcpauth/mcpauth/verify"
)

// ConfigCase is a configuration that must be refused when the verifier is
// built (RFC 8725 §3.5: weak keys; algorithm confusion; missing issuer or
// audience), before any token is seen.
type ConfigCase struct {
	// Name is unique among the configuration cases.
	Name string
	// Env is the complete MCPAUTH_JWT_* environment ("NAME=value").
	Env []string
	// WantError is a substring of the error, which must match
	// mcpauth.ErrInvalidConfig; "mcpauth verify" exits with ExitUsage and
	// prints it.
	WantError string
	// Secret is key material that must not be echoed in the error, or "".
	Secret string
}

// ConfigCases returns the configuration-time cases. Keys are generated for
// tb.
func ConfigCases(tb testing.TB, f *Fixture) []ConfigCase {
	tb.Helper()
	wk, err := weakKeys()
	if err != nil {
		tb.Fatal(err)
	}
	weak, p224 := wk.rsa, wk.p224
	pubPEM := func(pub any) string {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			tb.Fatal(err)
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(f.RSA.Private())
	if err != nil {
		tb.Fatal(err)
	}
	privPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}))
	jwk, err := json.Marshal(f.RSA.JWK())
	if err != nil {
		tb.Fatal(err)
	}
	p := verify.EnvPrefix
	env := func(vars ...string) []string {
		out := []string{p + "ISSUER=" + Issuer, p + "AUDIENCE=" + Audience}
		for _, v := range vars {
			name, _, _ := strings.Cut(v, "=")
			out = deleteVar(out, name)
			if !strings.HasSuffix(v, "=") || strings.Count(v, "=") > 1 {
				out = append(out, v)
			}
		}
		return out
	}
	key := p + "PUBLIC_KEY="
	alg := p + "ALGORITHM="
	rsaPEM := f.RSA.PublicKeyPEM()
	return []ConfigCase{
		{Name: "weak RSA key (1024 bits)", Env: env(key + pubPEM(&weak.PublicKey)), WantError: "1024 bits"},
		{Name: "P-224 key", Env: env(key + pubPEM(&p224.PublicKey)), WantError: "not supported"},
		{Name: "private key as the public key", Env: env(key + privPEM), WantError: "never the private key", Secret: privPEM},
		{Name: "HS256 secret of 31 bytes", Env: env(key+strings.Repeat("s", 31), alg+"HS256"), WantError: "at least 32"},
		{Name: "HS384 secret of 47 bytes", Env: env(key+strings.Repeat("s", 47), alg+"HS384"), WantError: "at least 48"},
		{Name: "HS512 secret of 63 bytes", Env: env(key+strings.Repeat("s", 63), alg+"HS512"), WantError: "at least 64"},
		{Name: "HS256 without a secret", Env: env(alg + "HS256"), WantError: "HMAC algorithms (HS256) need the shared secret in " + p + "PUBLIC_KEY"},
		{Name: "HS256 keyed with the RSA PEM", Env: env(key+rsaPEM, alg+"HS256"), WantError: "looks like a PEM key"},
		{Name: "HS256 keyed with the RSA JWK", Env: env(key+string(jwk), alg+"HS256"), WantError: "looks like a PEM key"},
		{Name: "HS256 with a JWK Set", Env: env(p+"JWKS_URI="+f.JWKSServer.URL(), alg+"HS256"), WantError: "cannot be used with " + p + "JWKS_URI"},
		{Name: "HS256 and RS256 mixed", Env: env(key+rsaPEM, alg+"HS256,RS256"), WantError: "cannot be mixed"},
		{Name: "alg none", Env: env(key+rsaPEM, alg+"none"), WantError: "never allowed"},
		{Name: "alg NONE", Env: env(key+rsaPEM, alg+"NONE"), WantError: "never allowed"},
		{Name: "ES256 for an RSA key", Env: env(key+rsaPEM, alg+"ES256"), WantError: "cannot be used with the configured RSA key"},
		{Name: "PEM key and JWK Set", Env: env(key+rsaPEM, p+"JWKS_URI="+f.JWKSServer.URL()), WantError: p + "JWKS_URI and " + p + "PUBLIC_KEY are both set; set exactly one key source"},
		{Name: "plain http JWK Set on a public host", Env: env(p + "JWKS_URI=http://idp.example.com/jwks.json"), WantError: "set " + p + "INSECURE_ALLOW_HTTP_JWKS=true to allow plain http"},
		{Name: "no issuer", Env: env(key+rsaPEM, p+"ISSUER="), WantError: p + "ISSUER is required"},
		{Name: "no audience", Env: env(key+rsaPEM, p+"AUDIENCE="), WantError: p + "AUDIENCE is required"},
		{Name: "leeway above the maximum", Env: env(key+rsaPEM, p+"LEEWAY=10m"), WantError: p + "LEEWAY=10m0s is larger than the maximum 5m0s; set at most 5m0s, or 0s for no leeway"},
		{Name: "misspelt variable", Env: env(key+rsaPEM, p+"AUDIENCES="+Audience), WantError: "unknown environment variable " + p + "AUDIENCES; did you mean " + p + "AUDIENCE?"},
	}
}

// weakKeys returns a 1024-bit RSA key and a P-224 key, generated once per
// process.
var weakKeys = sync.OnceValues(func() (weak struct {
	rsa  *rsa.PrivateKey
	p224 *ecdsa.PrivateKey
}, err error) {
	if weak.rsa, err = rsa.GenerateKey(rand.Reader, 1024); err != nil {
		return weak, err
	}
	weak.p224, err = ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	return weak, err
})

// deleteVar removes the entries of env named name.
func deleteVar(env []string, name string) []string {
	out := env[:0]
	for _, kv := range env {
		if n, _, _ := strings.Cut(kv, "="); n != name {
			out = append(out, kv)
		}
	}
	return out
}
