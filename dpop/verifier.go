package dpop

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/jose"
)

// Verifier checks DPoP proofs. It is safe for concurrent use.
type Verifier struct {
	mode       Mode
	algs       []string
	algsHeader string
	maxAge     time.Duration
	maxSkew    time.Duration
	maxBytes   int
	store      ReplayStore
	nonces     *nonces
	now        func() time.Time
	mem        *MemoryStore // store, when the verifier made it with its clock
	headers    headerCache  // headers that passed the checks
}

// Request is what a proof is checked against: the HTTP request as the
// client addressed it and the access token it carries.
type Request struct {
	// Method is the HTTP method of the request.
	Method string
	// URI is the absolute URI the client addressed, as built by
	// [RequestURI] from the public base URL; its query and fragment are
	// ignored. Never build it from client forwarding headers.
	URI string
	// Proofs holds every value of the DPoP header (exactly one is
	// accepted): r.Header.Values("DPoP").
	Proofs []string
	// AccessToken is the access token of the request, whose hash the
	// proof's ath claim must carry.
	AccessToken string
	// Thumbprint is the token's cnf.jkt ([Confirmation]), which the proof
	// key's thumbprint must equal.
	Thumbprint string
}

// Proof describes an accepted proof.
type Proof struct {
	// Thumbprint is the RFC 7638 SHA-256 thumbprint (base64url) of the
	// proof's key, equal to the token's cnf.jkt.
	Thumbprint string
	// Algorithm is the proof's alg.
	Algorithm string
	// IssuedAt is the proof's iat.
	IssuedAt time.Time
}

// Mode returns the configured [Mode].
func (v *Verifier) Mode() Mode { return v.mode }

// Algorithms returns the proof algorithms accepted, for the algs parameter
// of challenges and for dpop_signing_alg_values_supported (RFC 9728).
func (v *Verifier) Algorithms() []string { return slices.Clone(v.algs) }

// Challenge returns the parameters of a DPoP WWW-Authenticate challenge
// without error: `algs="ES256 ..."` (RFC 9449 §7.1).
func (v *Verifier) Challenge() string { return `algs="` + v.algsHeader + `"` }

// Nonce returns the server's current nonce for the DPoP-Nonce header, or ""
// when nonces are not required.
func (v *Verifier) Nonce() string {
	if v.nonces == nil {
		return ""
	}
	return v.nonces.current(v.now())
}

// Verify checks the proof of req (RFC 9449 §4.3 and §7.1) and records its
// jti in the replay store. It returns the accepted proof, or an error
// matching [ErrInvalidProof], [ErrUseNonce] or [ErrReplayStoreUnavailable];
// a token that is not DPoP-bound (empty Thumbprint) gives an
// mcpauth.ErrInvalidToken error with [ReasonUnbound].
func (v *Verifier) Verify(ctx context.Context, req Request) (*Proof, error) {
	switch len(req.Proofs) {
	case 1:
	case 0:
		return nil, proofError(ReasonMissing, "the DPoP header is missing")
	default:
		return nil, proofError(ReasonMissing, "more than one DPoP header")
	}
	if req.Thumbprint == "" {
		return nil, mcpauth.InvalidToken(ReasonUnbound, "the access token is not DPoP-bound (no cnf.jkt) but was sent with the DPoP scheme")
	}
	if req.AccessToken == "" {
		return nil, proofError(ReasonTokenHash, "no access token to bind the DPoP proof to")
	}
	var p proof
	if err := v.parse(req.Proofs[0], &p); err != nil {
		return nil, err
	}
	if p.htm != req.Method {
		return nil, proofError(ReasonMethod, "the DPoP proof htm claim is not the request method")
	}
	if !sameURI(p.htu, req.URI) {
		return nil, proofError(ReasonURI, "the DPoP proof htu claim is not the request URI")
	}
	now := v.now()
	if p.iat.Before(now.Add(-v.maxAge)) {
		return nil, proofError(ReasonIssuedAt, "the DPoP proof is too old (iat)")
	}
	if p.iat.After(now.Add(v.maxSkew)) {
		return nil, proofError(ReasonIssuedAt, "the DPoP proof was issued in the future (iat)")
	}
	if !p.hasATH {
		return nil, proofError(ReasonTokenHash, "the DPoP proof has no ath claim")
	}
	if enc := tokenATH(p.hdr, req.AccessToken); !constantTimeEqual(p.ath, enc[:]) {
		return nil, proofError(ReasonTokenHash, "the DPoP proof ath claim is not the hash of the access token")
	}
	if !constantTimeEqual(p.jwk.Thumbprint, req.Thumbprint) {
		return nil, proofError(ReasonBinding, "the DPoP proof key is not the key the access token is bound to (cnf.jkt)")
	}
	if v.nonces != nil {
		if !p.hasNonce {
			return nil, nonceError("the DPoP proof has no nonce; use the one in the DPoP-Nonce header")
		}
		if !v.nonces.valid(p.nonce, now) {
			return nil, nonceError("the DPoP proof nonce is unknown or stale; use the one in the DPoP-Nonce header")
		}
	}
	var fresh bool
	var err error
	if v.mem != nil {
		// The store runs on v.now: this request's reading serves it.
		fresh, err = v.mem.seenAt(v.mem.proofID(p.jwk.Thumbprint, p.jti), p.iat.Add(v.maxAge), now)
	} else {
		fresh, err = v.store.Seen(ctx, replayKey(p.jwk.Thumbprint, p.jti), p.iat.Add(v.maxAge))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrReplayStoreUnavailable, err)
	}
	if !fresh {
		return nil, proofError(ReasonReplay, "the DPoP proof was used before (jti)")
	}
	return &Proof{Thumbprint: p.jwk.Thumbprint, Algorithm: p.alg, IssuedAt: p.iat}, nil
}

// TokenHash returns the ath value of an access token: the base64url
// SHA-256 of its ASCII text (RFC 9449 §4.2).
func TokenHash(accessToken string) string { return jose.S256(accessToken) }

// replayKey is the replay store key of a proof: jti values are unique per
// client key, and hashing bounds the key's size whatever the jti.
func replayKey(thumbprint, jti string) string {
	var in [thumbprintLen + 1 + maxJTIBytes]byte
	if len(thumbprint)+1+len(jti) > len(in) {
		h := sha256.New()
		h.Write([]byte(thumbprint))
		h.Write([]byte{0})
		h.Write([]byte(jti))
		return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
	}
	n := copy(in[:], thumbprint)
	in[n] = 0
	n++
	n += copy(in[n:], jti)
	sum := sha256.Sum256(in[:n])
	var out [43]byte
	base64.RawURLEncoding.Encode(out[:], sum[:])
	return string(out[:])
}
