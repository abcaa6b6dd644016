package differential

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
	"github.com/mcpauth/mcpauth"
)

func init() {
	// See the package documentation: make golang-jwt exact about
	// fractional NumericDates and teach it RFC 9864's "Ed25519".
	jwt.TimePrecision = time.Nanosecond
	jwt.RegisterSigningMethod(ed25519Method{}.Alg(), func() jwt.SigningMethod { return ed25519Method{} })
}

// ed25519Method is golang-jwt's EdDSA under RFC 9864's fully-specified
// name "Ed25519" (EdDSA over Ed25519, the only curve either library
// supports).
type ed25519Method struct{}

// Alg returns "Ed25519".
func (ed25519Method) Alg() string { return "Ed25519" }

// Verify verifies as golang-jwt's EdDSA does.
func (ed25519Method) Verify(signingString string, sig []byte, key any) error {
	return jwt.SigningMethodEdDSA.Verify(signingString, sig, key)
}

// Sign signs as golang-jwt's EdDSA does.
func (ed25519Method) Sign(signingString string, key any) ([]byte, error) {
	return jwt.SigningMethodEdDSA.Sign(signingString, key)
}

// Key is one verification key of a [Config].
type Key struct {
	// ID is the key's kid, or "" for a key that verifies a token whatever
	// its kid (a configured PEM key or HMAC secret).
	ID string
	// Public is an *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey, or
	// the HMAC secret as a []byte.
	Public any
}

// Config is the configuration mcpauth's verifier was given, in the terms
// golang-jwt is configured with.
type Config struct {
	// Keys are the verification keys. A token with a string kid is checked
	// with the keys of that ID and the keys without one; a token without
	// a kid with every key.
	Keys []Key
	// Algorithms is the allow-list (jwt.WithValidMethods).
	Algorithms []string
	// Issuers are the accepted issuers; golang-jwt takes one
	// (jwt.WithIssuer), so the token is accepted when it passes with any.
	Issuers []string
	// Audiences are the accepted audiences, any one of which must be in
	// the token's aud (jwt.WithAudience).
	Audiences []string
	// Leeway is the verifier's effective leeway (jwt.WithLeeway).
	Leeway time.Duration
	// Now is the verifier's clock (jwt.WithTimeFunc).
	Now func() time.Time
}

// Check parses token with golang-jwt v5 configured by cfg (exp required,
// iat checked, numbers as json.Number) and returns nil when golang-jwt
// accepts it and reads the same claims as at, the access token mcpauth
// returned for it: the same claims map (numbers compared by value), and
// the issuer, subject, audience and expiry at reports equal to
// golang-jwt's reading of them. The error says which of these failed.
func Check(cfg Config, token string, at *mcpauth.AccessToken) error {
	switch {
	case at == nil:
		return errors.New("differential: no access token to compare")
	case len(cfg.Keys) == 0 || len(cfg.Algorithms) == 0 || len(cfg.Issuers) == 0 || len(cfg.Audiences) == 0 || cfg.Now == nil:
		return errors.New("differential: Config needs keys, algorithms, issuers, audiences and a clock")
	case at.Token != token:
		return errors.New("differential: the access token's Token is not the token checked")
	}
	var errs []error
	for _, iss := range cfg.Issuers {
		p := jwt.NewParser(
			jwt.WithValidMethods(cfg.Algorithms),
			jwt.WithIssuer(iss),
			jwt.WithAudience(cfg.Audiences...),
			jwt.WithLeeway(cfg.Leeway),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithTimeFunc(cfg.Now),
			jwt.WithJSONNumber(),
		)
		claims := jwt.MapClaims{}
		if _, err := p.ParseWithClaims(token, claims, cfg.keyfunc); err != nil {
			errs = append(errs, fmt.Errorf("with issuer %q: %w", iss, err))
			continue
		}
		return compare(claims, at)
	}
	return fmt.Errorf("golang-jwt refuses a token mcpauth accepted: %w", errors.Join(errs...))
}

// keyfunc selects the keys for a token by its kid.
func (cfg Config) keyfunc(t *jwt.Token) (any, error) {
	kid, hasKid := t.Header["kid"].(string)
	var keys []jwt.VerificationKey
	for _, k := range cfg.Keys {
		if k.ID == "" || !hasKid || k.ID == kid {
			keys = append(keys, k.Public)
		}
	}
	switch len(keys) {
	case 0:
		return nil, errors.New("no configured key has the token's kid")
	case 1:
		return keys[0], nil
	}
	return jwt.VerificationKeySet{Keys: keys}, nil
}

// compare checks that mcpauth's access token says what golang-jwt read.
func compare(claims jwt.MapClaims, at *mcpauth.AccessToken) error {
	if err := sameObject(at.Claims, claims); err != nil {
		return fmt.Errorf("claims differ: %w", err)
	}
	iss, err1 := claims.GetIssuer()
	sub, err2 := claims.GetSubject()
	aud, err3 := claims.GetAudience()
	exp, err4 := claims.GetExpirationTime()
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return fmt.Errorf("golang-jwt cannot read a registered claim of an accepted token: %w", err)
	}
	switch {
	case at.Issuer != iss:
		return fmt.Errorf("issuer: mcpauth %q, golang-jwt %q", at.Issuer, iss)
	case at.Subject != sub:
		return fmt.Errorf("subject: mcpauth %q, golang-jwt %q", at.Subject, sub)
	case !slices.Equal(at.Audience, []string(aud)):
		return fmt.Errorf("audience: mcpauth %q, golang-jwt %q", at.Audience, []string(aud))
	case exp == nil || !at.ExpiresAt.Equal(exp.Time):
		return fmt.Errorf("expiry: mcpauth %v, golang-jwt %v", at.ExpiresAt, exp)
	}
	return nil
}

// sameObject compares two decoded JSON objects and names the first member
// (in sorted order) that differs.
func sameObject(mine, theirs map[string]any) error {
	names := make([]string, 0, len(mine)+len(theirs))
	for k := range mine {
		names = append(names, k)
	}
	for k := range theirs {
		if _, ok := mine[k]; !ok {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		a, inMine := mine[k]
		b, inTheirs := theirs[k]
		if !inMine || !inTheirs || !sameJSON(a, b) {
			return fmt.Errorf("member %q: mcpauth %s, golang-jwt %s", k, describe(a, inMine), describe(b, inTheirs))
		}
	}
	return nil
}

// describe renders a member's value for an error.
func describe(v any, present bool) string {
	if !present {
		return "(absent)"
	}
	return fmt.Sprintf("%#v", v)
}

// sameJSON compares decoded JSON values: json.Number by value (the same
// text, or the same float64), strings, booleans and null exactly, arrays
// and objects member by member. Any other type is a difference.
func sameJSON(a, b any) bool {
	switch x := a.(type) {
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		fx, errX := strconv.ParseFloat(string(x), 64)
		fy, errY := strconv.ParseFloat(string(y), 64)
		return errX == nil && errY == nil && fx == fy
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		return ok && sameObject(x, y) == nil
	default:
		return false
	}
}

// KeysFromJWKS decodes a JWK Set with jwkset (a JWK parser independent of
// mcpauth's) into keys by kid, skipping keys whose use is "enc", which
// mcpauth never verifies with either.
func KeysFromJWKS(doc []byte) ([]Key, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		return nil, fmt.Errorf("JWK Set: %w", err)
	}
	var keys []Key
	for i, raw := range set.Keys {
		jwk, err := jwkset.NewJWKFromRawJSON(raw, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
		if err != nil {
			return nil, fmt.Errorf("JWK %d: %w", i, err)
		}
		m := jwk.Marshal()
		if m.USE == jwkset.UseEnc {
			continue
		}
		keys = append(keys, Key{ID: m.KID, Public: jwk.Key()})
	}
	if len(keys) == 0 {
		return nil, errors.New("JWK Set has no signing key")
	}
	return keys, nil
}
