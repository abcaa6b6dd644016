package dpop

import (
	"crypto/rand"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/jose"
)

// Defaults applied by [NewVerifier] for zero [Config] fields.
const (
	// DefaultMaxAge is how old a proof's iat may be.
	DefaultMaxAge = 60 * time.Second
	// DefaultMaxSkew is how far in the future a proof's iat may be (clock
	// skew between client and server).
	DefaultMaxSkew = 5 * time.Second
	// DefaultMaxProofBytes caps a DPoP header: room for an RSA-8192 jwk.
	DefaultMaxProofBytes = 8 << 10
	// DefaultNonceLifetime is how long a server nonce is current; it is
	// accepted for one more lifetime after it is rotated.
	DefaultNonceLifetime = 5 * time.Minute
	// DefaultMemoryStoreSize bounds the default in-memory replay store.
	DefaultMemoryStoreSize = 1 << 20
)

// maxConfigWindow bounds MaxAge and MaxSkew: RFC 9449 §11.1 asks for a
// short window, and a long one makes the replay store hold more.
const maxConfigWindow = time.Hour

// minNonceSecret is the smallest NonceSecret accepted.
const minNonceSecret = 32

// DefaultAlgorithms returns the algorithms a proof may use when
// Config.Algorithms is empty: every asymmetric JWS algorithm the module
// verifies (ES256, ES384, ES512, RS256, RS384, RS512, PS256, PS384,
// PS512, EdDSA, Ed25519).
func DefaultAlgorithms() []string { return slices.Clone(jose.AsymmetricAlgorithms) }

// Config configures a [Verifier]. The zero value is usable: mode allow,
// every asymmetric algorithm, a 60 s window, an in-memory replay store and
// no server nonces.
type Config struct {
	// Mode says which token schemes the resource accepts; the zero value
	// is Allow.
	Mode Mode
	// Algorithms is the allow-list of proof algorithms; empty means
	// DefaultAlgorithms(). none and HMAC algorithms are refused here.
	Algorithms []string
	// MaxAge is how old a proof's iat may be; zero means DefaultMaxAge.
	// The replay store keeps each jti this long.
	MaxAge time.Duration
	// MaxSkew is how far in the future a proof's iat may be; zero means
	// DefaultMaxSkew.
	MaxSkew time.Duration
	// MaxProofBytes caps the DPoP header; zero means DefaultMaxProofBytes.
	MaxProofBytes int
	// ReplayStore remembers jti values. nil means a new in-memory store of
	// DefaultMemoryStoreSize entries, which protects one process only:
	// replicas serving the same resource must share a store (package
	// dpop/redisstore), or a proof replayed to another replica passes.
	ReplayStore ReplayStore
	// RequireNonce makes every proof carry a nonce this server issued
	// (RFC 9449 §8), sent in DPoP-Nonce headers.
	RequireNonce bool
	// NonceSecret keys the nonces (at least 32 bytes). Replicas must share
	// it. Empty means a random secret for this Verifier.
	NonceSecret []byte
	// NonceLifetime is how long a nonce stays current; zero means
	// DefaultNonceLifetime.
	NonceLifetime time.Duration
	// Clock is the clock; nil means time.Now.
	Clock func() time.Time
}

// configErr returns an error matching mcpauth.ErrInvalidConfig.
func configErr(format string, args ...any) error {
	return fmt.Errorf("%w: dpop: "+format, append([]any{mcpauth.ErrInvalidConfig}, args...)...)
}

// NewVerifier validates cfg and returns a Verifier. Errors match
// mcpauth.ErrInvalidConfig and name the field at fault.
func NewVerifier(cfg Config) (*Verifier, error) {
	v := &Verifier{
		mode:     cfg.Mode,
		maxAge:   cfg.MaxAge,
		maxSkew:  cfg.MaxSkew,
		maxBytes: cfg.MaxProofBytes,
		store:    cfg.ReplayStore,
		now:      cfg.Clock,
	}
	if cfg.Mode > Off {
		return nil, configErr("Mode %d is not Allow, Require or Off", uint8(cfg.Mode))
	}
	algs := cfg.Algorithms
	if len(algs) == 0 {
		algs = jose.AsymmetricAlgorithms
	}
	for _, a := range algs {
		switch {
		case strings.EqualFold(a, "none"):
			return nil, configErr("Algorithms: none is never accepted")
		case slices.Contains(jose.HMACAlgorithms, a):
			return nil, configErr("Algorithms: %s is symmetric; a DPoP proof is signed with the client's private key (RFC 9449 §4.2)", a)
		case !slices.Contains(jose.AsymmetricAlgorithms, a):
			if h := jose.UnsupportedAlgorithmHint(a); h != "" {
				return nil, configErr("Algorithms: %s", h)
			}
			return nil, configErr("Algorithms: %q is not supported (supported: %s)", a, strings.Join(jose.AsymmetricAlgorithms, " "))
		}
	}
	v.algs = slices.Clone(algs)
	v.algsHeader = strings.Join(v.algs, " ")
	switch {
	case v.maxAge == 0:
		v.maxAge = DefaultMaxAge
	case v.maxAge < time.Second || v.maxAge > maxConfigWindow:
		return nil, configErr("MaxAge %v is outside 1s..%v", v.maxAge, maxConfigWindow)
	}
	switch {
	case v.maxSkew == 0:
		v.maxSkew = DefaultMaxSkew
	case v.maxSkew < 0 || v.maxSkew > maxConfigWindow:
		return nil, configErr("MaxSkew %v is outside 0..%v", v.maxSkew, maxConfigWindow)
	}
	switch {
	case v.maxBytes == 0:
		v.maxBytes = DefaultMaxProofBytes
	case v.maxBytes < 512 || v.maxBytes > 64<<10:
		return nil, configErr("MaxProofBytes %d is outside 512..65536", v.maxBytes)
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.store == nil {
		v.mem = NewMemoryStore(DefaultMemoryStoreSize, v.now)
		v.store = v.mem
	}
	lifetime := cfg.NonceLifetime
	switch {
	case lifetime == 0:
		lifetime = DefaultNonceLifetime
	case lifetime < time.Second || lifetime > 24*time.Hour:
		return nil, configErr("NonceLifetime %v is outside 1s..24h", lifetime)
	}
	if cfg.RequireNonce {
		secret := cfg.NonceSecret
		switch {
		case len(secret) == 0:
			secret = make([]byte, minNonceSecret)
			_, _ = rand.Read(secret) // never fails (crypto/rand)
		case len(secret) < minNonceSecret:
			return nil, configErr("NonceSecret has %d bytes; at least %d are required", len(secret), minNonceSecret)
		}
		v.nonces = newNonces(secret, lifetime)
	} else if len(cfg.NonceSecret) > 0 {
		return nil, configErr("NonceSecret is set but RequireNonce is false")
	}
	return v, nil
}
