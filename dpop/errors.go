package dpop

import (
	"errors"

	"github.com/mcpauth/mcpauth"
)

// Sentinel errors of [Verifier.Verify]. Each error it returns matches
// exactly one of them with errors.Is.
var (
	// ErrInvalidProof means the DPoP proof, or its binding to the access
	// token, is unacceptable: answer 401 with WWW-Authenticate: DPoP
	// error="invalid_dpop_proof" (RFC 9449 §7.1). It comes wrapped in an
	// [*mcpauth.InvalidTokenError] whose Reason says which check failed.
	ErrInvalidProof = errors.New("invalid DPoP proof")
	// ErrUseNonce means the proof lacks the server's current nonce: answer
	// 401 with error="use_dpop_nonce" and a DPoP-Nonce header
	// ([Verifier.Nonce]) (RFC 9449 §8, §9).
	ErrUseNonce = errors.New("DPoP nonce required")
	// ErrReplayStoreUnavailable means the replay store could not say whether
	// the proof's jti is fresh, so the proof was neither accepted nor
	// refused: answer 503. A replay is never accepted because a store is
	// down.
	ErrReplayStoreUnavailable = errors.New("DPoP replay store unavailable")
)

// Reasons for refused proofs, reported by mcpauth.ReasonOf. They never
// contain data taken from the proof or the token.
const (
	ReasonMissing   mcpauth.Reason = "dpop_missing"   // no DPoP header, or more than one
	ReasonMalformed mcpauth.Reason = "dpop_malformed" // not a compact JWS, bad base64 or JSON, too large
	ReasonHeader    mcpauth.Reason = "dpop_header"    // typ, crit, jwk missing, other bad header members
	ReasonAlgorithm mcpauth.Reason = "dpop_algorithm" // alg not allowed, or not for the key
	ReasonKey       mcpauth.Reason = "dpop_key"       // jwk private, symmetric, weak, huge or invalid
	ReasonSignature mcpauth.Reason = "dpop_signature" // the signature does not verify
	ReasonClaims    mcpauth.Reason = "dpop_claims"    // jti, htm, htu or iat missing or malformed
	ReasonMethod    mcpauth.Reason = "dpop_htm"       // htm is not the request method
	ReasonURI       mcpauth.Reason = "dpop_htu"       // htu is not the request URI
	ReasonIssuedAt  mcpauth.Reason = "dpop_iat"       // iat outside the window
	ReasonReplay    mcpauth.Reason = "dpop_replay"    // jti seen before
	ReasonTokenHash mcpauth.Reason = "dpop_ath"       // ath missing or not the token's hash
	ReasonBinding   mcpauth.Reason = "dpop_binding"   // key thumbprint is not the token's cnf.jkt
	ReasonNonce     mcpauth.Reason = "dpop_nonce"     // nonce missing, unknown or stale
	// ReasonUnbound: a token used with the DPoP scheme has no cnf.jkt, or
	// its cnf is malformed.
	ReasonUnbound mcpauth.Reason = "dpop_unbound_token"
	// ReasonDowngrade: a DPoP-bound token was presented with the Bearer
	// scheme (RFC 9449 §7.1), or a Bearer token where DPoP is required.
	ReasonDowngrade mcpauth.Reason = "dpop_downgrade"
	// ReasonSchemeOff: the DPoP scheme was used while DPoP is off.
	ReasonSchemeOff mcpauth.Reason = "dpop_off"
)

// proofError returns an error matching ErrInvalidProof and
// mcpauth.ErrInvalidToken.
func proofError(r mcpauth.Reason, detail string) error {
	return &mcpauth.InvalidTokenError{Reason: r, Detail: detail, Err: ErrInvalidProof}
}

// proofErrorWrap is proofError with a cause that never quotes input.
func proofErrorWrap(r mcpauth.Reason, detail string, cause error) error {
	return &mcpauth.InvalidTokenError{Reason: r, Detail: detail, Err: errors.Join(ErrInvalidProof, cause)}
}

// nonceError returns an error matching ErrUseNonce.
func nonceError(detail string) error {
	return &mcpauth.InvalidTokenError{Reason: ReasonNonce, Detail: detail, Err: ErrUseNonce}
}
