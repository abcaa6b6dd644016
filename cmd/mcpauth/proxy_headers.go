package main

// proxy_headers.go: the identity headers "mcpauth proxy" sends upstream in
// place of the client's credentials, and the refusal of a token whose
// identity they cannot carry.

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/scopetoken"
)

// Identity headers sent upstream with every forwarded request. Incoming
// headers with the prefix are removed first, whatever their letter case and
// with '_' taken as '-' (CGI/WSGI servers map both to the same variable).
const (
	identityHeaderPrefix = "X-MCPAuth-"
	headerClientID       = "X-MCPAuth-Client-ID"
	headerSubject        = "X-MCPAuth-Subject"
	headerScopes         = "X-MCPAuth-Scopes"
	headerIssuer         = "X-MCPAuth-Issuer"
	headerExpiresAt      = "X-MCPAuth-Expires-At"
	// headerDPoPJKT carries the thumbprint of the key a DPoP-bound token
	// was proven with; absent for bearer tokens.
	headerDPoPJKT = "X-MCPAuth-DPoP-JKT"
	// maxIdentityValue caps one identity header value.
	maxIdentityValue = 4096
)

// stripIdentityHeaders removes every header that an upstream could take for
// one of the identity headers.
func stripIdentityHeaders(h http.Header) {
	for k := range h {
		if isIdentityHeader(k) {
			delete(h, k)
		}
	}
}

func isIdentityHeader(name string) bool {
	return strings.HasPrefix(normalHeaderName(name), strings.ToLower(identityHeaderPrefix))
}

// normalHeaderName is name in lower case with '_' as '-': the form under
// which CGI/WSGI-style servers (HTTP_X_REAL_IP) cannot tell names apart.
func normalHeaderName(name string) string {
	return strings.ReplaceAll(strings.ToLower(name), "_", "-")
}

// identityHeaders returns the identity headers for at. A value that is
// present but cannot be sent exactly as it is (see safeHeaderValue and
// isScopeToken) is an error naming the header, never left out: the
// upstream must not act on an incomplete identity. Absent values (no sub,
// no iss, no exp) have no header.
func identityHeaders(at *mcpauth.AccessToken) (map[string]string, error) {
	if at == nil {
		return nil, fmt.Errorf("no verified token")
	}
	headers := make(map[string]string, 5)
	for _, h := range []struct{ name, claim, v string }{
		{headerClientID, "client id (client_id, azp or sub)", at.ClientID},
		{headerSubject, "sub", at.Subject},
		{headerIssuer, "iss", at.Issuer},
		{headerDPoPJKT, "DPoP key thumbprint", at.DPoPThumbprint},
	} {
		if h.v == "" {
			continue
		}
		if !safeHeaderValue(h.v) {
			return nil, fmt.Errorf("the token's %s cannot be sent in %s: not 1 to %d printable ASCII characters without leading or trailing spaces", h.claim, h.name, maxIdentityValue)
		}
		headers[h.name] = h.v
	}
	if !at.ExpiresAt.IsZero() {
		headers[headerExpiresAt] = strconv.FormatInt(at.ExpiresAt.Unix(), 10)
	}
	if len(at.Scopes) > 0 {
		// A scope with a space or a quote would be read as other scopes.
		for _, s := range at.Scopes {
			if !isScopeToken(s) {
				return nil, fmt.Errorf("a scope of the token cannot be sent in %s: not an RFC 6749 scope token", headerScopes)
			}
		}
		v := strings.Join(at.Scopes, " ")
		if len(v) > maxIdentityValue {
			return nil, fmt.Errorf("the token's scopes cannot be sent in %s: longer than %d bytes", headerScopes, maxIdentityValue)
		}
		headers[headerScopes] = v
	}
	return headers, nil
}

// forwardableIdentity is the proxy's verifier: it accepts only tokens whose
// identity identityHeaders can send upstream, and refuses the others as
// invalid tokens (401 invalid_token, reason bad_claims) before the request
// is forwarded.
type forwardableIdentity struct {
	mcpauth.TokenVerifier
}

// VerifyToken implements mcpauth.TokenVerifier.
func (v forwardableIdentity) VerifyToken(ctx context.Context, token string) (*mcpauth.AccessToken, error) {
	at, err := v.TokenVerifier.VerifyToken(ctx, token)
	if err != nil {
		return nil, err
	}
	if _, err := identityHeaders(at); err != nil {
		return nil, mcpauth.InvalidToken(mcpauth.ReasonBadClaims, err.Error())
	}
	return at, nil
}

// RequiredScopes implements mcpauth.ScopeRequirer for the challenges.
func (v forwardableIdentity) RequiredScopes() []string {
	if sr, ok := v.TokenVerifier.(mcpauth.ScopeRequirer); ok {
		return sr.RequiredScopes()
	}
	return nil
}

// safeHeaderValue accepts non-empty printable ASCII without leading or
// trailing spaces (which parsers trim), of bounded length.
func safeHeaderValue(v string) bool {
	if v == "" || len(v) > maxIdentityValue || v[0] == ' ' || v[len(v)-1] == ' ' {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return false
		}
	}
	return true
}

// isScopeToken reports whether s is an RFC 6749 scope token:
// 1*( %x21 / %x23-5B / %x5D-7E ).
func isScopeToken(s string) bool { return scopetoken.Valid(s) }
