package verify

import (
	"time"
)

// Defaults applied when the corresponding [Settings] field is zero.
const (
	DefaultLeeway        = 30 * time.Second
	DefaultMaxTokenBytes = 16 << 10
	// MaxLeeway is the largest leeway accepted; more would make exp, nbf and
	// iat meaningless.
	MaxLeeway = 5 * time.Minute
)

// Settings configures a [JWTVerifier]. Fill it in code or with
// [SettingsFromEnv]; [NewJWTVerifier] validates it once.
//
// At most one key source may be set: PublicKey (a PEM public key or
// certificate, or the HMAC secret when Algorithms are HS*), or JWKSURI. With
// neither, the JWK Set URL is discovered from the metadata of the single
// configured issuer (OpenID Connect Discovery or RFC 8414).
type Settings struct {
	// PublicKey is a PEM-encoded public key (PKIX "PUBLIC KEY", PKCS#1 "RSA
	// PUBLIC KEY") or X.509 "CERTIFICATE" for RSA, ECDSA or Ed25519 keys.
	// When Algorithms are HS256/HS384/HS512 it is instead the shared secret,
	// which must be at least as long as the hash output (32/48/64 bytes) and
	// must not look like a PEM block.
	PublicKey string
	// JWKSURI is the https URL of a JWK Set. Plain http is accepted only for
	// loopback hosts unless InsecureAllowHTTPJWKS is set.
	JWKSURI string
	// Issuers lists the accepted iss values (exact match). At least one is
	// required.
	Issuers []string
	// Audiences lists the accepted aud values; a token must name at least one
	// of them. At least one is required.
	Audiences []string
	// Algorithms is the allow-list of JWS algorithms: RS256 RS384 RS512
	// PS256 PS384 PS512 ES256 ES384 ES512 EdDSA Ed25519, or HS256 HS384
	// HS512. EdDSA (RFC 8037) and Ed25519 (the fully-specified name of RFC
	// 9864) both verify Ed25519 signatures; list only one to refuse the
	// other name. Ed448 is not supported. Empty means: the algorithms of the
	// PEM key's type (both EdDSA and Ed25519 for an Ed25519 key), or for a
	// JWKS every asymmetric algorithm, each key pinned to its own alg or key
	// type. "none" is never allowed.
	Algorithms []string
	// RequiredScopes must all be granted by every accepted token.
	RequiredScopes []string
	// BaseURL is the public base URL of the protected server, such as
	// https://mcp.example.com (SettingsFromEnv drops a trailing slash). The
	// verifier does not use it; servers built on these settings derive their
	// resource URL from it (see package resource).
	BaseURL string
	// Leeway is the clock skew allowed for exp, nbf and iat. Zero means
	// DefaultLeeway (30s); a negative value means no leeway at all. At most
	// MaxLeeway.
	Leeway time.Duration
	// MaxTokenBytes caps the token length checked before any parsing. Zero
	// means DefaultMaxTokenBytes (16 KiB).
	MaxTokenBytes int
	// RequireAccessTokenType requires the typ header "at+jwt" (or
	// "application/at+jwt") as in RFC 9068. By default typ may also be absent
	// or "JWT".
	RequireAccessTokenType bool

	// JWKSRefreshInterval is how often the JWK Set is refreshed. Zero means
	// one hour.
	JWKSRefreshInterval time.Duration
	// JWKSRefreshRateLimit is the minimum time between refreshes caused by
	// tokens with an unknown kid. Zero means 30 seconds.
	JWKSRefreshRateLimit time.Duration
	// JWKSTimeout bounds each JWK Set fetch. Zero means 10 seconds.
	JWKSTimeout time.Duration
	// JWKSMaxBodyBytes caps the JWK Set document size. Zero means 1 MiB.
	JWKSMaxBodyBytes int64
	// InsecureAllowHTTPJWKS allows a plain-http JWKSURI on a non-loopback
	// host. Key material fetched over plain http can be replaced by anyone on
	// the network path.
	InsecureAllowHTTPJWKS bool

	// CacheSize enables the verified-token cache with room for this many
	// tokens, at most MaxCacheSize; zero (the default) disables it. A token
	// that verified is then answered from the cache, without its signature
	// being checked again, until its exp plus the leeway or CacheMaxAge
	// after it was verified, whichever comes first. Entries are keyed by the
	// SHA-256 digest of the whole token; rejected tokens are never cached;
	// the required scopes are still checked on every call. Envoy's
	// jwt_cache_config uses 100 entries.
	//
	// Like Envoy's cache, it trades one property for speed: a cached token
	// stays accepted for up to CacheMaxAge after its signing key left the
	// JWK Set. Keep CacheMaxAge short when keys may be withdrawn in a hurry.
	CacheSize int
	// CacheMaxAge bounds how long a cached token is served after it was
	// verified. Zero means DefaultCacheMaxAge (5m). It is an error to set it
	// without CacheSize.
	CacheMaxAge time.Duration

	// Providers lists further trusted issuers, each with its own key
	// source, audiences, algorithms, required scopes and leeway (see
	// [Provider]). A token's iss selects its provider; a token whose iss
	// names none is refused without any fetch. With Providers, the fields
	// above describe one more provider when Issuers is set (all of them
	// sharing PublicKey or JWKSURI, or, with neither, one provider per issuer,
	// each discovered), and otherwise only give the defaults (Audiences,
	// RequiredScopes, Leeway, limits, JWKS and cache settings) of each
	// provider. Several Issuers with no key source need no Providers: each
	// issuer's keys are then discovered from its own metadata.
	Providers []Provider

	// env is the (upper-case) prefix of the variables these settings were
	// read from by SettingsFromEnv, so that NewJWTVerifier's errors name
	// variables; "" for settings written in code, whose errors name fields.
	env string
}
