// Package jose holds the module's JWS rules that more than one verifier
// applies: the algorithm table of RFC 7518 §3 (and RFC 8037, RFC 9864), which
// algorithms a public key may verify, which keys are strong enough
// (RFC 8725 §3.5), the asymmetric signature check itself, and the
// registered header names whose letter-case variants are refused.
//
// It imports only the standard library, so the light packages (dpop) share
// these rules with verify.
package jose
