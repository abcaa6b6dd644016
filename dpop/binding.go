package dpop

import (
	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/jose"
)

// thumbprintLen is the length of a base64url SHA-256 thumbprint.
const thumbprintLen = 43

// Confirmation returns the cnf.jkt of a verified access token (RFC 9449
// §6): the thumbprint of the key the token is bound to, or "" when the
// token has no cnf claim or its cnf has no jkt (not DPoP-bound). A cnf
// that is not an object, or a jkt that is not a base64url SHA-256
// thumbprint, gives an error matching mcpauth.ErrInvalidToken with
// [ReasonUnbound]: a malformed binding fails closed.
func Confirmation(at *mcpauth.AccessToken) (string, error) {
	if at == nil || at.Claims == nil {
		return "", nil
	}
	raw, ok := at.Claims["cnf"]
	if !ok {
		return "", nil
	}
	cnf, ok := raw.(map[string]any)
	if !ok {
		return "", mcpauth.InvalidToken(ReasonUnbound, "the cnf claim is not an object")
	}
	rawJKT, ok := cnf["jkt"]
	if !ok {
		return "", nil
	}
	jkt, ok := rawJKT.(string)
	if !ok || len(jkt) != thumbprintLen || !jose.IsBase64URL(jkt) {
		return "", mcpauth.InvalidToken(ReasonUnbound, "the cnf.jkt claim is not a base64url SHA-256 thumbprint")
	}
	return jkt, nil
}
