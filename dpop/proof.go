package dpop

import (
	"encoding/base64"
	"slices"
	"strings"
	"time"

	"github.com/mcpauth/mcpauth/internal/jose"
	"github.com/mcpauth/mcpauth/internal/strictjson"
)

// Claim limits: real jti values are a UUID or 16-32 random bytes, htu a
// short URL.
const (
	maxJTIBytes = 256
	maxHTUBytes = 4096
)

// registeredClaimNames are the proof claims of RFC 9449 §4.2. A claim
// whose name equals one of them only when letter case is ignored is
// refused.
var registeredClaimNames = []string{"jti", "htm", "htu", "iat", "ath", "nonce"}

// typ is the proof's media type (RFC 9449 §4.2), compared
// case-insensitively as media types are (RFC 7515 §4.1.9).
const typ = "dpop+jwt"

// b64 decodes unpadded base64url and rejects non-zero trailing bits.
var b64 = base64.RawURLEncoding.Strict()

// proof is a parsed DPoP proof whose signature verified.
type proof struct {
	alg   string
	jwk   jose.PublicJWK
	jti   string
	htm   string
	htu   string
	iat   time.Time
	ath   string
	nonce string

	hasATH, hasNonce bool

	hdr *checkedHeader // the cached header, nil when not cached
}

// Stack buffers of parse: a signature of up to RSA-8192 and a typical
// proof's claims decode without allocating; longer ones are decoded on
// the heap.
const (
	maxStackSignature = 1024
	maxStackClaims    = 1024
)

// parse checks a DPoP proof's syntax, header, key and signature and reads
// its claims into p (RFC 9449 §4.3 steps 2 to 7). It does not compare the
// claims with the request. The claims' strings may share memory with a
// copy of the proof's payload that p holds.
func (v *Verifier) parse(raw string, p *proof) error {
	if len(raw) > v.maxBytes {
		return proofError(ReasonMalformed, "the DPoP proof exceeds the size limit")
	}
	d1 := strings.IndexByte(raw, '.')
	d2 := -1
	if d1 >= 0 {
		if i := strings.IndexByte(raw[d1+1:], '.'); i >= 0 {
			d2 = d1 + 1 + i
		}
	}
	if d1 < 0 || d2 < 0 || strings.IndexByte(raw[d2+1:], '.') >= 0 {
		return proofError(ReasonMalformed, "the DPoP proof is not a compact JWS with three segments")
	}
	headerB64, payloadB64, sigB64 := raw[:d1], raw[d1+1:d2], raw[d2+1:]
	if headerB64 == "" || payloadB64 == "" || sigB64 == "" {
		return proofError(ReasonMalformed, "a DPoP proof segment is empty")
	}
	// The signature and the payload are decoded first; DecodeBase64URL
	// refuses the characters outside the alphabet too, so the alphabet is
	// only scanned for a decoding failure, to give the same error, in the
	// same order, as checking it first: the alphabet of every segment, the
	// header, the signature's encoding, the signature, the payload's
	// encoding.
	var sigBuf [maxStackSignature]byte
	sig := sigBuf[:]
	if n := len(sigB64) * 3 / 4; n > len(sig) {
		sig = make([]byte, n)
	}
	sigLen, sigOK := jose.DecodeBase64URL(sig, sigB64)
	var claimsBuf [maxStackClaims]byte
	pb := claimsBuf[:]
	if n := len(payloadB64) * 3 / 4; n > len(pb) {
		pb = make([]byte, n)
	}
	pbLen, pbOK := jose.DecodeBase64URL(pb, payloadB64)
	if (!sigOK || !pbOK) && (!jose.IsBase64URL(payloadB64) || !jose.IsBase64URL(sigB64)) {
		return proofError(ReasonMalformed, "the DPoP proof has characters outside the base64url alphabet")
	}
	// Only headers that passed every check are cached, so a hit is
	// base64url already.
	if h := v.headers.get(headerB64); h != nil {
		p.alg, p.jwk, p.hdr = h.alg, h.jwk, h
	} else {
		if !jose.IsBase64URL(headerB64) {
			return proofError(ReasonMalformed, "the DPoP proof has characters outside the base64url alphabet")
		}
		hb, err := b64.DecodeString(headerB64)
		if err != nil {
			return proofError(ReasonMalformed, "the DPoP proof header is not unpadded base64url")
		}
		header, err := strictjson.ParseObject(string(hb))
		if err != nil {
			return proofErrorWrap(ReasonMalformed, "the DPoP proof header is not a valid JSON object", err)
		}
		if err := v.checkHeader(header, p); err != nil {
			return err
		}
		p.hdr = &checkedHeader{alg: p.alg, jwk: p.jwk}
		if !v.headers.put(headerB64, p.hdr) {
			p.hdr = nil
		}
	}

	if !sigOK {
		return proofError(ReasonMalformed, "the DPoP proof signature is not unpadded base64url")
	}
	spec, _ := jose.SpecOf(p.alg)
	var buf [jose.ScratchSize]byte
	if !jose.VerifyAsymmetricString(spec, p.jwk.Key, raw[:d2], sig[:sigLen], buf[:0]) {
		return proofError(ReasonSignature, "the DPoP proof signature does not verify with its jwk")
	}
	if !pbOK {
		return proofError(ReasonMalformed, "the DPoP proof payload is not unpadded base64url")
	}
	claims, err := scanClaims(string(pb[:pbLen]))
	if err != nil {
		return proofErrorWrap(ReasonMalformed, "the DPoP proof claims are not a valid JSON object", err)
	}
	return readClaims(&claims, p)
}

// checkHeader checks the JOSE header of a proof and reads its alg and jwk
// into p.
func (v *Verifier) checkHeader(h map[string]any, p *proof) error {
	if strictjson.CheckNameCase(h, jose.RegisteredHeaderNames) != nil {
		return proofError(ReasonHeader, "a DPoP proof header member name differs from a registered name only in letter case")
	}
	if t, ok := h["typ"].(string); !ok || !strings.EqualFold(t, typ) {
		return proofError(ReasonHeader, "the DPoP proof typ header is not dpop+jwt")
	}
	alg, ok := h["alg"].(string)
	switch {
	case !ok:
		return proofError(ReasonAlgorithm, "the DPoP proof alg header is missing or not a string")
	case strings.EqualFold(alg, "none"):
		return proofError(ReasonAlgorithm, "unsigned DPoP proofs (alg none) are never accepted")
	case strings.HasPrefix(strings.ToUpper(alg), "HS"):
		return proofError(ReasonAlgorithm, "symmetric algorithms (HS*) cannot prove possession of a key")
	}
	i := slices.Index(v.algs, alg)
	if i < 0 {
		return proofError(ReasonAlgorithm, "the DPoP proof algorithm is not in the allow-list")
	}
	p.alg = v.algs[i] // the configured string: the header's memory is not retained
	if _, ok := h["crit"]; ok {
		return proofError(ReasonHeader, "the DPoP proof requires a critical header extension this verifier does not understand")
	}
	for _, name := range []string{"enc", "zip", "cty"} {
		if _, ok := h[name]; ok {
			return proofError(ReasonHeader, "the DPoP proof has an enc, zip or cty header, which a proof never has")
		}
	}
	if b, ok := h["b64"]; ok && b != true {
		return proofError(ReasonHeader, "unencoded payloads (b64) are not accepted in a DPoP proof")
	}
	for _, name := range []string{"jku", "x5u", "x5c"} {
		if _, ok := h[name]; ok {
			return proofError(ReasonHeader, "the DPoP proof names its key with jku, x5u or x5c; only the jwk header is accepted")
		}
	}
	jwk, ok := h["jwk"].(map[string]any)
	if !ok {
		return proofError(ReasonHeader, "the DPoP proof jwk header is missing or not an object")
	}
	k, err := jose.ParsePublicJWK(jwk)
	if err != nil {
		return proofErrorWrap(ReasonKey, "the DPoP proof jwk is not an acceptable public key", err)
	}
	if slices.Index(jose.AlgorithmsForKey(k.Key), p.alg) < 0 {
		return proofError(ReasonAlgorithm, "the DPoP proof algorithm does not suit its jwk")
	}
	if k.Alg != "" && k.Alg != p.alg {
		return proofError(ReasonAlgorithm, "the DPoP proof jwk names another algorithm")
	}
	p.jwk = k
	return nil
}
