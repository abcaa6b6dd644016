package testkeys

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/mcpauth/mcpauth/internal/jose"
)

// DPoPProofOptions describes a DPoP proof (RFC 9449 §4.2) minted by
// [CreateDPoPProof]. Method and URL are required.
//
// The header is {"typ": "dpop+jwt", "alg", "jwk": the pair's public JWK};
// the claims are jti, htm, htu, iat and, when AccessToken is set, ath. Then
// Header and AdditionalClaims are merged in and OmitHeader and OmitClaims
// remove members, so tests can mint every kind of broken proof.
type DPoPProofOptions struct {
	// Method is the htm claim, such as POST.
	Method string
	// URL is the htu claim: the request URI without query and fragment.
	URL string
	// AccessToken, when set, gives the ath claim (its base64url SHA-256).
	AccessToken string
	// IssuedAt is the iat claim; the zero time means time.Now().
	IssuedAt time.Time
	// JTI is the jti claim; "" means 16 random bytes, base64url.
	JTI string
	// Nonce is the nonce claim (from a DPoP-Nonce header); "" omits it.
	Nonce string
	// Algorithm is the JWS algorithm; "" means the pair's Algorithm.
	Algorithm string
	// Header holds extra header members, merged last.
	Header map[string]any
	// AdditionalClaims are merged into the claims last.
	AdditionalClaims map[string]any
	// OmitHeader and OmitClaims name members to remove after merging.
	OmitHeader, OmitClaims []string
}

// CreateDPoPProof mints a DPoP proof signed by p, for the DPoP header of a
// request made with a token bound to p (see [DPoPConfirmation]).
func CreateDPoPProof(p *KeyPair, o DPoPProofOptions) (string, error) {
	if p == nil || p.Private() == nil {
		return "", errZeroPair
	}
	if o.Method == "" || o.URL == "" {
		return "", fmt.Errorf("%w: DPoPProofOptions.Method and URL are required", ErrInvalidOptions)
	}
	alg := o.Algorithm
	if alg == "" {
		alg = p.Algorithm()
	}
	jwk := p.JWK()
	jwk.Kid, jwk.Use, jwk.Alg = "", "", ""
	header := map[string]any{"typ": "dpop+jwt", "alg": alg, "jwk": jwk}
	override(header, o.Header, o.OmitHeader)
	jti := o.JTI
	if jti == "" {
		var b [16]byte
		_, _ = rand.Read(b[:]) // never fails (crypto/rand)
		jti = base64.RawURLEncoding.EncodeToString(b[:])
	}
	iat := o.IssuedAt
	if iat.IsZero() {
		iat = time.Now()
	}
	claims := map[string]any{"jti": jti, "htm": o.Method, "htu": o.URL, "iat": iat.Unix()}
	if o.AccessToken != "" {
		claims["ath"] = jose.S256(o.AccessToken)
	}
	if o.Nonce != "" {
		claims["nonce"] = o.Nonce
	}
	override(claims, o.AdditionalClaims, o.OmitClaims)
	hb, pb, err := encodeParts(header, claims)
	if err != nil {
		return "", err
	}
	return SignCompact(p, alg, hb, pb)
}

// DPoPConfirmation returns the cnf claim that binds a token to p's key
// (RFC 9449 §6.1): {"jkt": thumbprint}. Put it in
// TokenOptions.AdditionalClaims under "cnf" to mint a DPoP-bound token.
func DPoPConfirmation(p *KeyPair) map[string]any {
	return map[string]any{"jkt": p.KeyID()}
}
