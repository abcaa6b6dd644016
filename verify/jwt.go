package verify

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/jose"
	"github.com/mcpauth/mcpauth/internal/scopetoken"
	"github.com/mcpauth/mcpauth/internal/strictjson"
)

// maxMaxTokenBytes bounds Settings.MaxTokenBytes.
const maxMaxTokenBytes = 1 << 20

// JWTVerifier verifies JWT access tokens signed with a configured key or a
// key from a JWK Set. It is the Go counterpart of FastMCP's JWTVerifier.
// Build it with [NewJWTVerifier]; it is safe for concurrent use.
type JWTVerifier struct {
	issuers        []string
	audiences      []string
	algorithms     []string
	requiredScopes []string
	leeway         time.Duration
	maxTokenBytes  int
	requireATJWT   bool
	now            func() time.Time

	// Exactly one of staticKey and source is set.
	staticKey any // crypto.PublicKey, or []byte for HMAC
	source    mcpauth.KeySource
	hmac      *hmacPools  // keyed HMAC states when staticKey is a secret
	cache     *tokenCache // nil unless caching is enabled

	// providers is set, instead of the key fields, for a verifier with
	// several providers (Settings.Providers, or several issuers to
	// discover); see providers.go.
	providers *providerSet

	closeOnce sync.Once
	closeFn   func()
}

var _ mcpauth.TokenVerifier = (*JWTVerifier)(nil)

// NewJWTVerifier validates s and returns a verifier. Every configuration
// problem is reported here, as an error matching [mcpauth.ErrInvalidConfig]; a
// returned verifier never fails later because of its configuration.
//
// With neither PublicKey nor JWKSURI, the JWK Set URL is discovered from the
// issuer's OpenID Connect or RFC 8414 metadata (see jwks.NewFromIssuer),
// which must name the same issuer; with several issuers, each one's keys are
// discovered from its own metadata and used for its tokens only. With
// Settings.Providers, each provider has its own key source and rules (see
// [Provider]).
//
// With a JWKSURI (or discovery), the key set is fetched in the background: construction does
// not fail when the server is unreachable, and tokens are answered with
// [mcpauth.ErrKeySourceUnavailable] until a first key set arrives. Call
// [JWTVerifier.Close] (or cancel the [WithContext] context) to stop the
// refresh loop.
func NewJWTVerifier(s Settings, opts ...Option) (*JWTVerifier, error) {
	v, err := newJWTVerifier(s, opts)
	if err != nil {
		return nil, fromOrigin(err, s.env)
	}
	return v, nil
}

// newJWTVerifier is NewJWTVerifier; its configuration errors name settings
// as {Field} placeholders.
func newJWTVerifier(s Settings, opts []Option) (*JWTVerifier, error) {
	o := options{now: time.Now, ctx: context.Background()}
	for i, opt := range opts {
		if opt == nil {
			return nil, configErr("Option %d is nil", i)
		}
		opt(&o)
	}
	if o.now == nil {
		o.now = time.Now
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	if o.ctx == nil {
		o.ctx = context.Background()
	}
	if usesProviders(s, o) {
		return newProviderVerifier(s, opts, o)
	}
	v := &JWTVerifier{now: o.now, requireATJWT: s.RequireAccessTokenType}

	var err error
	if len(s.Issuers) == 0 {
		return nil, configErr("{Issuers} is required: the issuer (iss) of the tokens to accept, such as https://auth.example.com")
	}
	if v.issuers, err = checkList("Issuers", s.Issuers); err != nil {
		return nil, err
	}
	if len(s.Audiences) == 0 {
		return nil, configErr("{Audiences} is required: the audience (aud) tokens must be issued for, usually this server's resource URL such as https://mcp.example.com/mcp")
	}
	if v.audiences, err = checkList("Audiences", s.Audiences); err != nil {
		return nil, err
	}
	if v.requiredScopes, err = checkScopes("RequiredScopes", s.RequiredScopes); err != nil {
		return nil, err
	}
	switch {
	case s.Leeway == 0:
		v.leeway = DefaultLeeway
	case s.Leeway < 0:
		v.leeway = 0
	case s.Leeway > MaxLeeway:
		return nil, configErrOr(
			fmt.Sprintf("{Leeway} %s is larger than the maximum %s (MaxLeeway); a negative value means no leeway", s.Leeway, MaxLeeway),
			fmt.Sprintf("{Leeway}=%s is larger than the maximum %s; set at most %s, or 0s for no leeway", s.Leeway, MaxLeeway, MaxLeeway))
	default:
		v.leeway = s.Leeway
	}
	switch {
	case s.MaxTokenBytes == 0:
		v.maxTokenBytes = DefaultMaxTokenBytes
	case s.MaxTokenBytes < 0 || s.MaxTokenBytes > maxMaxTokenBytes:
		return nil, configErr("{MaxTokenBytes} %d is out of range (1 to %d)", s.MaxTokenBytes, maxMaxTokenBytes)
	default:
		v.maxTokenBytes = s.MaxTokenBytes
	}
	algs, err := checkAlgorithms(s.Algorithms)
	if err != nil {
		return nil, err
	}

	var sources []string
	for name, set := range map[string]bool{"{PublicKey}": s.PublicKey != "", "{JWKSURI}": s.JWKSURI != "", "WithKeySource": o.keySource != nil} {
		if set {
			sources = append(sources, name)
		}
	}
	slices.Sort(sources)
	discover := len(sources) == 0 // one issuer: several are split into providers
	if len(sources) > 1 {
		both := "both"
		if len(sources) > 2 {
			both = "all"
		}
		return nil, configErr("%s are %s set; set exactly one key source", strings.Join(sources, " and "), both)
	}
	if err := checkJWKSSettings(s); err != nil {
		return nil, err
	}
	hmac := len(algs) > 0 && slices.Contains(jose.HMACAlgorithms, algs[0])
	switch {
	case o.keySource != nil:
		if len(algs) == 0 {
			return nil, configErr("{Algorithms} must be set when WithKeySource is used")
		}
		if hmac {
			return nil, configErr("{Algorithms}: HMAC algorithms cannot be used with WithKeySource")
		}
		v.source = o.keySource
		v.algorithms = algs
	case s.JWKSURI != "" || discover:
		if hmac && discover {
			return nil, configErr("{Algorithms}: HMAC algorithms (%s) need the shared secret in {PublicKey}; keys discovered from an issuer are public and never HMAC secrets", strings.Join(algs, ","))
		}
		if hmac {
			return nil, configErr("{Algorithms}: HMAC algorithms (%s) cannot be used with {JWKSURI}; a JWK Set is public, so its keys must never be HMAC secrets", strings.Join(algs, ","))
		}
		if len(algs) == 0 {
			algs = jose.AsymmetricAlgorithms
		}
		ctx, cancel := context.WithCancel(o.ctx)
		src, err := newRemoteKeySource(ctx, s, algs, o)
		if err != nil {
			cancel()
			return nil, remoteConfigErr(err, s, discover)
		}
		v.source = src
		v.algorithms = algs
		v.closeFn = func() {
			cancel()
			if c, ok := src.(io.Closer); ok {
				c.Close() // waits for the refresh loop and any fetch to end
			}
		}
	case hmac:
		if looksLikeKeyMaterial(s.PublicKey) {
			return nil, configErr("{PublicKey} looks like a PEM key, certificate or JWK, which must never be used as an HMAC secret (algorithm confusion); configure a random secret")
		}
		for _, a := range algs {
			if n := hmacMinSecret[a]; len(s.PublicKey) < n {
				return nil, configErr("{PublicKey}: the HMAC secret for %s is %d bytes; at least %d are required", a, len(s.PublicKey), n)
			}
		}
		v.staticKey = []byte(s.PublicKey)
		v.hmac = newHMACPools([]byte(s.PublicKey))
		v.algorithms = algs
	default:
		key, err := parsePublicKeyPEM(s.PublicKey)
		if err != nil {
			if len(algs) == 0 && !strings.Contains(s.PublicKey, "-----BEGIN") {
				return nil, &configError{text: err.Error() + " (for an HMAC secret, set {Algorithms=HS256}, HS384 or HS512)", cause: err}
			}
			return nil, &configError{text: err.Error(), cause: err}
		}
		keyAlgs := jose.AlgorithmsForKey(key)
		if len(algs) == 0 {
			algs = keyAlgs
		}
		for _, a := range algs {
			if !slices.Contains(keyAlgs, a) {
				return nil, configErr("{Algorithms}: algorithm %s cannot be used with the configured %s key (allowed: %s)", a, keyKind(key), strings.Join(keyAlgs, ","))
			}
		}
		v.staticKey = key
		v.algorithms = algs
	}
	v.algorithms = slices.Clone(v.algorithms)
	slices.Sort(v.algorithms)
	if v.cache, err = newCacheFor(s); err != nil {
		if v.closeFn != nil {
			v.closeFn()
		}
		return nil, err
	}
	return v, nil
}

// Close stops background work (the JWK Set refresh loop and any fetch in
// flight) and waits for it to end. The verifier keeps answering with the
// keys it has. Close is idempotent and always returns nil; it implements
// io.Closer, like every Close in this module. A key source given with
// [WithKeySource] belongs to the caller and is not closed.
func (v *JWTVerifier) Close() error {
	v.closeOnce.Do(func() {
		if v.closeFn != nil {
			v.closeFn()
		}
	})
	return nil
}

// RequiredScopes returns the scopes every token must grant. It implements
// [mcpauth.ScopeRequirer].
func (v *JWTVerifier) RequiredScopes() []string { return slices.Clone(v.requiredScopes) }

// Issuers returns the accepted issuers.
func (v *JWTVerifier) Issuers() []string { return slices.Clone(v.issuers) }

// Audiences returns the accepted audiences.
func (v *JWTVerifier) Audiences() []string { return slices.Clone(v.audiences) }

// Algorithms returns the effective algorithm allow-list.
func (v *JWTVerifier) Algorithms() []string { return slices.Clone(v.algorithms) }

// VerifyToken verifies a compact JWS access token. It implements
// [mcpauth.TokenVerifier].
//
// With a cache (Settings.CacheSize), a token verified before
// is answered from the cache until its exp (plus the leeway) or the
// cache's MaxAge, whichever comes first; the required scopes are still
// checked on every call, and a rejected token is never cached. A cached
// token is returned as a fresh *mcpauth.AccessToken with its own Scopes and
// Audience slices, but its Claims map is shared by every caller that
// presents the same token and must be treated as read-only.
func (v *JWTVerifier) VerifyToken(ctx context.Context, token string) (*mcpauth.AccessToken, error) {
	if v.providers != nil {
		return v.verifyProvider(ctx, token)
	}
	if len(token) == 0 {
		return nil, invalid(mcpauth.ReasonMalformed, "the token is empty")
	}
	if len(token) > v.maxTokenBytes {
		return nil, invalid(mcpauth.ReasonTooLarge, "the token exceeds the size limit")
	}
	// Room for the token's bytes, its decoded header, payload and
	// signature (3/4 of the token at most) and a digest and DER signature.
	sc := getScratch(2*len(token) + 2*smallScratch)
	defer putScratch(sc)
	tok := append(sc.take(len(token)), token...)

	if v.cache == nil {
		at, err := v.verify(ctx, token, tok, sc)
		if err != nil {
			return nil, err
		}
		if err := at.CheckScopes(v.requiredScopes); err != nil {
			return nil, err
		}
		return at, nil
	}

	key := cacheKey(sha256.Sum256(tok))
	at, hit := v.cache.Get(&key, v.now())
	if !hit {
		var err error
		if at, err = v.verify(ctx, token, tok, sc); err != nil {
			return nil, err
		}
		// Cached before the scope check: the scopes are checked per call,
		// so a token lacking them is answered from the cache with the same
		// mcpauth.InsufficientScopeError.
		v.cache.Put(&key, at, v.now(), at.ExpiresAt.Add(v.leeway))
	}
	if err := at.CheckScopes(v.requiredScopes); err != nil {
		return nil, err
	}
	return sharedCopy(at), nil
}

// verify checks everything but the required scopes. tok holds token's
// bytes, in sc.
func (v *JWTVerifier) verify(ctx context.Context, token string, tok []byte, sc *scratch) (*mcpauth.AccessToken, error) {
	// Only the base64url alphabet and the two separators. Go's base64
	// decoders silently skip CR and LF, so this is checked first.
	dots := 0
	for _, c := range tok {
		if !b64urlChars[c] {
			if c != '.' {
				return nil, invalid(mcpauth.ReasonMalformed, "the token has characters outside the base64url alphabet")
			}
			dots++
		}
	}
	if dots != 2 {
		if dots == 4 {
			return nil, invalid(mcpauth.ReasonMalformed, "encrypted tokens (JWE) are not supported")
		}
		return nil, invalid(mcpauth.ReasonMalformed, "the token is not a compact JWS with three segments")
	}
	d1 := strings.IndexByte(token, '.')
	d2 := d1 + 1 + strings.IndexByte(token[d1+1:], '.')
	headerB64, payloadB64, sigB64 := tok[:d1], tok[d1+1:d2], tok[d2+1:]
	if len(headerB64) == 0 || len(payloadB64) == 0 || len(sigB64) == 0 {
		return nil, invalid(mcpauth.ReasonMalformed, "a token segment is empty")
	}

	raw, ok := decodeSegment(sc, headerB64)
	if !ok {
		return nil, invalid(mcpauth.ReasonMalformed, "the header is not unpadded base64url")
	}
	h, err := v.parseHeader(string(raw))
	if err != nil {
		return nil, err
	}
	key, err := v.key(ctx, h)
	if err != nil {
		return nil, err
	}
	sig, ok := decodeSegment(sc, sigB64)
	if !ok {
		return nil, invalid(mcpauth.ReasonMalformed, "the signature is not unpadded base64url")
	}
	if !v.verifySignature(h.alg, key, tok[:d2], sig, sc) {
		return nil, invalid(mcpauth.ReasonSignature, "the signature does not verify")
	}

	payload, ok := decodeSegment(sc, payloadB64)
	if !ok {
		return nil, invalid(mcpauth.ReasonMalformed, "the payload is not unpadded base64url")
	}
	claims, err := strictjson.ParseObject(string(payload))
	if err != nil {
		return nil, &mcpauth.InvalidTokenError{Reason: mcpauth.ReasonMalformed, Detail: "the claims are not a valid JSON object", Err: err}
	}
	at, err := v.checkClaims(claims)
	if err != nil {
		return nil, err
	}
	at.Token = token
	return at, nil
}

// b64 decodes unpadded base64url and rejects non-zero trailing bits.
var b64 = base64.RawURLEncoding.Strict()

// b64urlChars marks the base64url alphabet.
var b64urlChars = func() (t [256]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" {
		t[c] = true
	}
	return t
}()

// decodeSegment decodes one base64url segment into sc.
func decodeSegment(sc *scratch, seg []byte) ([]byte, bool) {
	dst := sc.take(b64.DecodedLen(len(seg)))
	n, err := b64.Decode(dst[:cap(dst)], seg)
	if err != nil {
		return nil, false
	}
	return dst[:n], true
}

// key finds the verification key for a header already checked against the
// allow-list.
func (v *JWTVerifier) key(ctx context.Context, h header) (any, error) {
	if v.source == nil {
		return v.staticKey, nil
	}
	k, err := v.source.VerificationKey(ctx, h.kid, h.alg)
	if err != nil {
		// A KeySource reports the module's own errors (unavailable: 503;
		// *mcpauth.InvalidTokenError: 401); anything else fails closed as an
		// unknown key, without its text, which the verifier cannot vouch for.
		if errors.Is(err, mcpauth.ErrKeySourceUnavailable) || errors.Is(err, mcpauth.ErrInvalidToken) {
			return nil, err
		}
		return nil, invalid(mcpauth.ReasonUnknownKey, "no configured key matches the token")
	}
	if k == nil {
		return nil, invalid(mcpauth.ReasonUnknownKey, "no configured key matches the token")
	}
	var pub crypto.PublicKey = k
	if !slices.Contains(jose.AlgorithmsForKey(pub), h.alg) {
		return nil, invalid(mcpauth.ReasonAlgorithm, "the algorithm is not allowed for the key")
	}
	return pub, nil
}

// keyKind names a key type for configuration errors.
func keyKind(key any) string {
	switch key.(type) {
	case *rsa.PublicKey:
		return "RSA"
	case ed25519.PublicKey:
		return "Ed25519"
	default:
		return "EC"
	}
}

// checkList validates a list of exact-match strings.
func checkList(field string, in []string) ([]string, error) {
	for _, s := range in {
		if s == "" {
			return nil, configErr("{%s} has an empty value", field)
		}
		if strings.TrimSpace(s) != s {
			return nil, configErr("{%s}: value %q has surrounding whitespace", field, s)
		}
	}
	return slices.Clone(in), nil
}

// checkScopes validates scope tokens (RFC 6749 §3.3 scope-token syntax).
func checkScopes(field string, in []string) ([]string, error) {
	for _, s := range in {
		if err := scopetoken.Check(s); err != nil {
			return nil, configErr("{%s}: %s", field, err)
		}
	}
	return slices.Clone(in), nil
}

// checkAlgorithms validates an algorithm allow-list: known names only, never
// none, never HMAC mixed with asymmetric algorithms.
func checkAlgorithms(in []string) ([]string, error) {
	var hmac, asym bool
	for _, a := range in {
		switch {
		case strings.EqualFold(a, "none"):
			return nil, configErr("{Algorithms}: algorithm %q is never allowed", a)
		case jose.UnsupportedAlgorithmHint(a) != "":
			return nil, configErr("{Algorithms}: algorithm %q: %s", a, jose.UnsupportedAlgorithmHint(a))
		case !isSupportedAlgorithm(a):
			return nil, configErr("{Algorithms}: algorithm %q is not supported (supported: %s, %s)", a, strings.Join(jose.AsymmetricAlgorithms, ","), strings.Join(jose.HMACAlgorithms, ","))
		case slices.Contains(jose.HMACAlgorithms, a):
			hmac = true
		default:
			asym = true
		}
	}
	if hmac && asym {
		return nil, configErr("{Algorithms}: HMAC and asymmetric algorithms cannot be mixed in one verifier (algorithm confusion)")
	}
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out), nil
}
