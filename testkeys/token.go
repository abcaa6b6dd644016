package testkeys

import (
	"bytes"
	"cmp"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/mcpauth/mcpauth/internal/jose"
)

// Defaults applied by CreateToken when the corresponding [TokenOptions] field
// is zero.
const (
	DefaultSubject   = "mcpauth-user"
	DefaultIssuer    = "https://mcpauth.example.com"
	DefaultExpiresIn = time.Hour
)

// TokenOptions describes a token minted by a pair's CreateToken. The zero
// value gives a token valid for an hour from now, with subject
// [DefaultSubject], issuer [DefaultIssuer], no audience and no scopes.
//
// The header is {"alg", "typ": "JWT", "kid"}; the claims are sub, iss, iat,
// exp, aud (when Audience is set) and scope (when Scopes is set). Then Header
// and AdditionalClaims are merged in, overriding members of the same name, and
// finally OmitHeader and OmitClaims remove members. The signature is always
// made with Algorithm, whatever the final header says, so tests can mint
// tokens whose header lies about their algorithm.
type TokenOptions struct {
	// Subject is the sub claim; "" means DefaultSubject.
	Subject string
	// Issuer is the iss claim; "" means DefaultIssuer.
	Issuer string
	// Audience is the aud claim. Empty means no aud claim; a single value is
	// encoded as a JSON string (unless AudienceAsArray), several as an array.
	Audience []string
	// AudienceAsArray encodes a single Audience value as a one-element array.
	AudienceAsArray bool
	// Scopes, when not empty, are joined with single spaces into the scope
	// claim, as given.
	Scopes []string
	// ExpiresIn is the lifetime: exp = IssuedAt + ExpiresIn. Zero means
	// DefaultExpiresIn; a negative value gives an already expired token.
	ExpiresIn time.Duration
	// IssuedAt is the iat claim; the zero time means time.Now(). Times are
	// encoded as whole Unix seconds.
	IssuedAt time.Time
	// AdditionalClaims are merged into the claims last and may override any
	// of them (FastMCP semantics). Values are encoded with encoding/json; use
	// json.RawMessage for exact JSON.
	AdditionalClaims map[string]any
	// KID is the kid header; "" means the pair's KeyID. It may name a key
	// that does not exist, for tests of unknown kids.
	KID string
	// OmitKID leaves the kid header out. It cannot be combined with KID.
	OmitKID bool
	// Algorithm is the JWS algorithm; "" means the pair's Algorithm. RSA
	// pairs accept RS256, RS384, RS512, PS256, PS384 and PS512; ECDSA pairs
	// only their own algorithm; Ed25519 pairs EdDSA (RFC 8037) and Ed25519
	// (the RFC 9864 fully-specified name, as jose 6 writes it; the signature
	// is the same). Anything else, Ed448 included, fails with
	// [ErrUnsupportedAlgorithm].
	Algorithm string
	// Header holds extra JOSE header members (typ, crit, ...), merged last;
	// they may override alg, typ and kid.
	Header map[string]any
	// OmitHeader names header members to remove after merging (for example
	// "typ", or even "alg").
	OmitHeader []string
	// OmitClaims names claims to remove after merging (for example "exp", to
	// mint a token that never expires).
	OmitClaims []string
}

// createToken implements CreateToken.
func (c *KeyPair) createToken(o TokenOptions) (string, error) {
	if c.signer == nil {
		return "", errZeroPair
	}
	alg := o.Algorithm
	if alg == "" {
		alg = c.alg
	}
	if err := checkAlgorithm(c.signer.Public(), alg); err != nil {
		return "", err
	}
	if o.KID != "" && o.OmitKID {
		return "", fmt.Errorf("%w: KID and OmitKID are both set", ErrInvalidOptions)
	}

	header := map[string]any{"alg": alg, "typ": "JWT"}
	if !o.OmitKID {
		header["kid"] = cmp.Or(o.KID, c.kid)
	}
	override(header, o.Header, o.OmitHeader)

	iat := o.IssuedAt
	if iat.IsZero() {
		iat = time.Now()
	}
	lifetime := o.ExpiresIn
	if lifetime == 0 {
		lifetime = DefaultExpiresIn
	}
	claims := map[string]any{
		"sub": cmp.Or(o.Subject, DefaultSubject),
		"iss": cmp.Or(o.Issuer, DefaultIssuer),
		"iat": iat.Unix(),
		"exp": iat.Add(lifetime).Unix(),
	}
	switch {
	case len(o.Audience) == 1 && !o.AudienceAsArray:
		claims["aud"] = o.Audience[0]
	case len(o.Audience) > 0:
		claims["aud"] = slices.Clone(o.Audience)
	}
	if len(o.Scopes) > 0 {
		claims["scope"] = strings.Join(o.Scopes, " ")
	}
	override(claims, o.AdditionalClaims, o.OmitClaims)

	hb, pb, err := encodeParts(header, claims)
	if err != nil {
		return "", err
	}
	return signCompact(c.signer, alg, hb, pb)
}

// SignCompact signs header and payload, used verbatim, with the pair's key
// and returns the JWS compact serialisation BASE64URL(header) "."
// BASE64URL(payload) "." BASE64URL(signature). alg chooses the signature
// algorithm ("" means the pair's Algorithm) and must suit the key; the header
// bytes are not inspected, so they may name another algorithm, repeat
// members or be invalid JSON. It is meant for tests of malformed tokens.
func SignCompact(p *KeyPair, alg string, header, payload []byte) (string, error) {
	if p == nil {
		return "", fmt.Errorf("%w: key pair is nil", ErrInvalidKey)
	}
	signer := p.Private()
	if signer == nil {
		return "", errZeroPair
	}
	if alg == "" {
		alg = p.Algorithm()
	}
	if err := checkAlgorithm(signer.Public(), alg); err != nil {
		return "", err
	}
	return signCompact(signer, alg, header, payload)
}

// errZeroPair is returned for pairs that were not created by a constructor.
var errZeroPair = fmt.Errorf("%w: key pair has no key; create it with a Generate, New or Parse function", ErrInvalidKey)

// signCompact signs header and payload with an algorithm already checked
// against the key.
func signCompact(signer crypto.Signer, alg string, header, payload []byte) (string, error) {
	method := signingMethod(alg)
	if method == nil {
		return "", fmt.Errorf("%w: %q", ErrUnsupportedAlgorithm, alg)
	}
	input := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(payload)
	sig, err := method.Sign(input, signer)
	if err != nil {
		return "", fmt.Errorf("%w: signing with %s: %w", ErrInvalidKey, alg, err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// signingMethod returns the golang-jwt method that makes alg signatures.
// golang-jwt has no "Ed25519" method; its EdDSA method makes the same
// Ed25519 signature.
func signingMethod(alg string) jwt.SigningMethod {
	if alg == "Ed25519" {
		return jwt.SigningMethodEdDSA
	}
	return jwt.GetSigningMethod(alg)
}

// Algorithms returns the JWS algorithms that can sign with the key of p, the
// default one first: RS256, RS384, RS512, PS256, PS384, PS512 for RSA;
// ES256, ES384 or ES512 for ECDSA according to the curve; EdDSA and Ed25519
// (RFC 9864) for Ed25519.
// It returns nil for a nil or zero pair.
func Algorithms(p *KeyPair) []string {
	if p == nil || p.Public() == nil {
		return nil
	}
	return algorithmsFor(p.Public())
}

// algorithmsFor lists the algorithms usable with a public key (the
// module's one table, internal/jose), in a slice the caller owns.
func algorithmsFor(pub crypto.PublicKey) []string {
	return slices.Clone(jose.AlgorithmsForKey(pub))
}

// checkAlgorithm fails unless alg can sign with the key of pub.
func checkAlgorithm(pub crypto.PublicKey, alg string) error {
	algs := algorithmsFor(pub)
	if slices.Contains(algs, alg) {
		return nil
	}
	if hint := jose.UnsupportedAlgorithmHint(alg); hint != "" {
		return fmt.Errorf("%w: %s", ErrUnsupportedAlgorithm, hint)
	}
	return fmt.Errorf("%w: %q cannot be used with this %s key (allowed: %s)",
		ErrUnsupportedAlgorithm, alg, keyTypeName(pub), strings.Join(algs, ", "))
}

// override puts add's members into m, then deletes the names in omit: how
// the options' Header and OmitHeader, AdditionalClaims and OmitClaims
// change what a token or proof would hold.
func override(m, add map[string]any, omit []string) {
	maps.Copy(m, add)
	for _, name := range omit {
		delete(m, name)
	}
}

// encodeParts encodes a JWS's header and claims.
func encodeParts(header, claims map[string]any) (hb, pb []byte, err error) {
	if hb, err = marshalJSON(header); err != nil {
		return nil, nil, fmt.Errorf("%w: encoding the header: %w", ErrInvalidOptions, err)
	}
	if pb, err = marshalJSON(claims); err != nil {
		return nil, nil, fmt.Errorf("%w: encoding the claims: %w", ErrInvalidOptions, err)
	}
	return hb, pb, nil
}

// marshalJSON encodes v compactly without escaping <, > and &.
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
