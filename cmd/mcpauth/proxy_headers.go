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

// isIdentityHeader reports whether an upstream could take name for one of
// the identity headers (any letter case, '_' for '-').
func isIdentityHeader(name string) bool { return classifyHeader(name) == identityHeader }

// appendNormalHeaderName appends name in lower case with '_' as '-' to b:
// the form under which CGI/WSGI-style servers (HTTP_X_REAL_IP) cannot tell
// names apart. Callers pass a stack buffer, so that deciding about a
// header allocates nothing.
func appendNormalHeaderName(b []byte, name string) []byte {
	for i := 0; i < len(name); i++ {
		b = append(b, normalHeaderByte(name[i]))
	}
	return b
}

func normalHeaderByte(c byte) byte {
	switch {
	case 'A' <= c && c <= 'Z':
		return c + ('a' - 'A')
	case c == '_':
		return '-'
	}
	return c
}

// identityHeaders returns the identity headers for at. A value that is
// present but cannot be sent exactly as it is (see safeHeaderValue and
// isScopeToken) is an error naming the header, never left out: the
// upstream must not act on an incomplete identity. Absent values (no sub,
// no iss, no exp) have no header.
func identityHeaders(at *mcpauth.AccessToken) (map[string]string, error) {
	if err := checkIdentity(at); err != nil {
		return nil, err
	}
	headers := make(map[string]string, 5)
	eachIdentityHeader(at, func(name, value string) { headers[name] = value })
	return headers, nil
}

// setIdentityHeaders sets the identity headers of at, which checkIdentity
// accepted, in h (under their canonical keys, as Header.Set would).
func setIdentityHeaders(h http.Header, at *mcpauth.AccessToken) {
	// One backing array for all the values (six at most).
	values := make([]string, 0, 6)
	eachIdentityHeader(at, func(name, value string) {
		values = append(values, value)
		h[canonicalIdentityHeader[name]] = values[len(values)-1 : len(values) : len(values)]
	})
}

// canonicalIdentityHeader maps each identity header to its canonical key.
var canonicalIdentityHeader = func() map[string]string {
	m := make(map[string]string)
	for _, n := range []string{headerClientID, headerSubject, headerScopes, headerIssuer, headerExpiresAt, headerDPoPJKT} {
		m[n] = http.CanonicalHeaderKey(n)
	}
	return m
}()

// checkIdentity returns an error naming the first identity value of at
// that cannot be sent exactly (nil for a token whose identity
// eachIdentityHeader can send). It allocates only for the error.
func checkIdentity(at *mcpauth.AccessToken) error {
	if at == nil {
		return fmt.Errorf("no verified token")
	}
	for _, h := range [...]struct{ name, claim, v string }{
		{headerClientID, "client id (client_id, azp or sub)", at.ClientID},
		{headerSubject, "sub", at.Subject},
		{headerIssuer, "iss", at.Issuer},
		{headerDPoPJKT, "DPoP key thumbprint", at.DPoPThumbprint},
	} {
		if h.v != "" && !safeHeaderValue(h.v) {
			return fmt.Errorf("the token's %s cannot be sent in %s: not 1 to %d printable ASCII characters without leading or trailing spaces", h.claim, h.name, maxIdentityValue)
		}
	}
	if len(at.Scopes) > 0 {
		// A scope with a space or a quote would be read as other scopes.
		n := len(at.Scopes) - 1
		for _, s := range at.Scopes {
			if !isScopeToken(s) {
				return fmt.Errorf("a scope of the token cannot be sent in %s: not an RFC 6749 scope token", headerScopes)
			}
			n += len(s)
		}
		if n > maxIdentityValue {
			return fmt.Errorf("the token's scopes cannot be sent in %s: longer than %d bytes", headerScopes, maxIdentityValue)
		}
	}
	return nil
}

// eachIdentityHeader calls set with the name and value of every identity
// header of at, a token checkIdentity accepted. Absent values have none.
func eachIdentityHeader(at *mcpauth.AccessToken, set func(name, value string)) {
	if at.ClientID != "" {
		set(headerClientID, at.ClientID)
	}
	if at.Subject != "" {
		set(headerSubject, at.Subject)
	}
	if at.Issuer != "" {
		set(headerIssuer, at.Issuer)
	}
	if at.DPoPThumbprint != "" {
		set(headerDPoPJKT, at.DPoPThumbprint)
	}
	if !at.ExpiresAt.IsZero() {
		set(headerExpiresAt, strconv.FormatInt(at.ExpiresAt.Unix(), 10))
	}
	if len(at.Scopes) > 0 {
		set(headerScopes, strings.Join(at.Scopes, " "))
	}
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
	if err := checkIdentity(at); err != nil {
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

// DefersDPoPBinding implements mcpauth.DPoPBindingDeferrer, so that the
// middleware still refuses to run a verifier that accepts DPoP-bound
// tokens without checking their proofs.
func (v forwardableIdentity) DefersDPoPBinding() bool {
	d, ok := v.TokenVerifier.(mcpauth.DPoPBindingDeferrer)
	return ok && d.DefersDPoPBinding()
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
