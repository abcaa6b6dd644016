package attacks

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
	"github.com/mcpauth/mcpauth/verify"
)

// Variant names the key source a [Case] is verified with.
type Variant string

// Key sources of the fixture.
const (
	// PEM is a verifier configured with the fixture's RSA public key as a
	// PEM block (Settings.PublicKey), all RSA algorithms allowed.
	PEM Variant = "pem"
	// JWKS is a verifier configured with the fixture's JWK Set URL
	// (Settings.JWKSURI), served on loopback by a testkeys.JWKSServer.
	JWKS Variant = "jwks"
	// Providers is a verifier with two providers: Issuer with the RSA key
	// as a PEM block, and SecondIssuer with the EC key as a PEM block
	// (Settings.Providers; MCPAUTH_JWT_PROVIDERS_FILE for the CLI).
	Providers Variant = "providers"
)

// Identifiers of the fixture. Tokens are issued by Issuer for Audience.
const (
	Issuer   = "https://issuer.example.com"
	Audience = "https://mcp.example.com/mcp"
	// RequiredScope is required by every verifier of the fixture; valid
	// tokens grant "read write".
	RequiredScope = "read"
	// SecondIssuer is the second provider of the Providers variant; its
	// tokens are signed by the EC key.
	SecondIssuer = "https://second-issuer.example.com"
)

// Fixture holds what the cases assume: the trusted keys, the attacker's
// keys, the settings of each [Variant] and the instant the tokens were
// minted around.
type Fixture struct {
	// Now is the instant (whole seconds) tokens are minted around: valid
	// tokens were issued a minute before and expire an hour after. Verifiers
	// may use it as their clock, or the real clock (the CLI does): the
	// cases hold for at least half an hour after Now.
	Now time.Time

	// RSA is the trusted RSA-2048 key: the PublicKey of the PEM variant
	// and, in the JWK Set, the key with kid RSA.KeyID() (use "sig").
	RSA *testkeys.KeyPair
	// EC is a trusted P-256 key, in the JWK Set only (use "sig").
	EC *testkeys.KeyPair
	// Enc is a P-256 key published in the JWK Set with use "enc": tokens
	// it signs must be refused.
	Enc *testkeys.KeyPair
	// EncRSA is an RSA key published in the JWK Set with use "enc".
	EncRSA *testkeys.KeyPair
	// Attacker keys, trusted by nobody.
	AttackerRSA  *testkeys.KeyPair
	AttackerEC   *testkeys.KeyPair
	AttackerP384 *testkeys.KeyPair
	AttackerEd   *testkeys.KeyPair
	// DPoPKey (P-256) and DPoPEdKey (Ed25519) are the keys of a DPoP
	// client: the tokens of [DPoPCases] are bound to them (cnf.jkt) and
	// their proofs are signed with them.
	DPoPKey, DPoPEdKey *testkeys.KeyPair

	// JWKSServer serves the JWK Set of the JWKS variant; it is closed when
	// the test ends.
	JWKSServer *testkeystest.JWKSServer

	// Valid is a token every variant accepts (signed by RSA, with kid).
	Valid string

	// providersFile is the providers file of the Providers variant.
	providersFile string
}

// Settings returns the verifier settings of variant v. The caller owns the
// returned value.
func (f *Fixture) Settings(v Variant) verify.Settings {
	s := verify.Settings{
		Issuers:        []string{Issuer},
		Audiences:      []string{Audience},
		RequiredScopes: []string{RequiredScope},
	}
	switch v {
	case PEM:
		s.PublicKey = f.RSA.PublicKeyPEM()
	case JWKS:
		s.JWKSURI = f.JWKSServer.URL()
	case Providers:
		s.PublicKey = f.RSA.PublicKeyPEM()
		s.Providers = []verify.Provider{{Issuer: SecondIssuer, PublicKey: f.EC.PublicKeyPEM()}}
	default:
		panic("attacks: unknown variant " + string(v))
	}
	return s
}

// Env returns the settings of variant v as MCPAUTH_JWT_* environment
// entries ("NAME=value"), for "mcpauth verify".
func (f *Fixture) Env(v Variant) []string {
	env := []string{
		verify.EnvPrefix + "ISSUER=" + Issuer,
		verify.EnvPrefix + "AUDIENCE=" + Audience,
		verify.EnvPrefix + "REQUIRED_SCOPES=" + RequiredScope,
	}
	switch v {
	case PEM:
		env = append(env, verify.EnvPrefix+"PUBLIC_KEY="+f.RSA.PublicKeyPEM())
	case JWKS:
		env = append(env, verify.EnvPrefix+"JWKS_URI="+f.JWKSServer.URL())
	case Providers:
		env = append(env, verify.EnvPrefix+"PUBLIC_KEY="+f.RSA.PublicKeyPEM(), verify.EnvPrefix+"PROVIDERS_FILE="+f.providersFile)
	default:
		panic("attacks: unknown variant " + string(v))
	}
	return env
}

// newFixture generates the keys and starts the JWK Set server.
// DegenerateKeyID is the kid of the fixture JWK Set's degenerate Ed25519
// key (the identity point), which the key rule must refuse.
const DegenerateKeyID = "degenerate-ed25519"

func newFixture(tb testing.TB) *Fixture {
	tb.Helper()
	f := &Fixture{Now: time.Now().Truncate(time.Second)}
	f.RSA = testkeystest.SharedRSAKeyPair(tb)
	f.EC = testkeystest.SharedECKeyPair(tb)
	k, err := generatedKeys()
	if err != nil {
		tb.Fatalf("generating keys: %v", err)
	}
	f.Enc, f.EncRSA, f.AttackerRSA, f.AttackerEC, f.AttackerP384, f.AttackerEd = k.enc, k.encRSA, k.attackerRSA, k.attackerEC, k.attackerP384, k.attackerEd
	f.DPoPKey, f.DPoPEdKey = k.dpop, k.dpopEd

	enc, encRSA := f.Enc.JWK(), f.EncRSA.JWK()
	enc.Use, encRSA.Use = "enc", "enc"
	// DegenerateKeyID names an Ed25519 identity key (0x01 then zeros): the
	// key rule refuses it, so no token verifies under it.
	degenerate := testkeys.JWK{Kty: "OKP", Crv: "Ed25519", Kid: DegenerateKeyID, X: base64.RawURLEncoding.EncodeToString(append([]byte{1}, make([]byte, 31)...))}
	doc, err := json.Marshal(testkeys.JWKSet{Keys: []testkeys.JWK{f.RSA.JWK(), f.EC.JWK(), enc, encRSA, degenerate}})
	if err != nil {
		tb.Fatal(err)
	}
	f.JWKSServer = testkeystest.NewJWKSServer(tb)
	f.JWKSServer.SetDocument(doc)
	f.Valid = f.mint(tb, f.RSA, nil, nil)
	providers, err := json.Marshal([]map[string]string{{"issuer": SecondIssuer, "public_key": f.EC.PublicKeyPEM()}})
	if err != nil {
		tb.Fatal(err)
	}
	f.providersFile = filepath.Join(tb.TempDir(), "providers.json")
	if err := os.WriteFile(f.providersFile, providers, 0o600); err != nil {
		tb.Fatal(err)
	}
	return f
}

// keySet holds the keys generated once per process: RSA key generation is
// slow, under the race detector in particular.
type keySet struct {
	enc, attackerEC, attackerP384 *testkeys.KeyPair
	encRSA, attackerRSA           *testkeys.KeyPair
	attackerEd                    *testkeys.KeyPair
	dpop, dpopEd                  *testkeys.KeyPair
}

// generatedKeys returns the process's key set, generating it on first use.
var generatedKeys = sync.OnceValues(func() (keySet, error) {
	var k keySet
	var errs [8]error
	k.enc, errs[0] = testkeys.GenerateECKeyPair()
	k.encRSA, errs[1] = testkeys.GenerateRSAKeyPair()
	k.attackerRSA, errs[2] = testkeys.GenerateRSAKeyPair()
	k.attackerEC, errs[3] = testkeys.GenerateECKeyPair()
	k.attackerEd, errs[4] = testkeys.GenerateEd25519KeyPair()
	k.dpop, errs[6] = testkeys.GenerateECKeyPair()
	k.dpopEd, errs[7] = testkeys.GenerateEd25519KeyPair()
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		return k, err
	}
	k.attackerP384, errs[5] = testkeys.NewECKeyPair(p384)
	return k, errors.Join(errs[:]...)
})

// claims returns the JSON of valid claims with overrides applied: a nil
// value removes the claim, a json.RawMessage is used verbatim.
func (f *Fixture) claims(tb testing.TB, override map[string]any) string {
	tb.Helper()
	c := map[string]any{
		"iss":       Issuer,
		"aud":       Audience,
		"sub":       "user-1",
		"client_id": "client-1",
		"scope":     "read write",
		"iat":       f.Now.Add(-time.Minute).Unix(),
		"exp":       f.Now.Add(time.Hour).Unix(),
		"jti":       "id-1",
	}
	for k, v := range override {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	b, err := json.Marshal(c)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// mint signs valid claims (with overrides) with kp and its default
// algorithm, header {"alg","typ":"JWT","kid"} plus hdr (nil values remove).
func (f *Fixture) mint(tb testing.TB, kp *testkeys.KeyPair, hdr, claims map[string]any) string {
	tb.Helper()
	h := map[string]any{"alg": kp.Algorithm(), "typ": "JWT", "kid": kp.KeyID()}
	for k, v := range hdr {
		if v == nil {
			delete(h, k)
			continue
		}
		h[k] = v
	}
	alg := kp.Algorithm()
	if a, ok := h["alg"].(string); ok && slices.Contains(testkeys.Algorithms(kp), a) {
		alg = a
	}
	hb, err := json.Marshal(h)
	if err != nil {
		tb.Fatal(err)
	}
	return signCompact(tb, kp, alg, string(hb), f.claims(tb, claims))
}

// signCompact signs header and payload verbatim with kp and alg.
func signCompact(tb testing.TB, kp *testkeys.KeyPair, alg, header, payload string) string {
	tb.Helper()
	tok, err := testkeys.SignCompact(kp, alg, []byte(header), []byte(payload))
	if err != nil {
		tb.Fatalf("signing %s: %v", alg, err)
	}
	return tok
}
