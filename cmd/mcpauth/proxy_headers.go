package main

// proxy_headers.go: the headers "mcpauth proxy" sends upstream in place of
// the client's credentials.

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/mcpauth/mcpauth"
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
	n := strings.ReplaceAll(strings.ToLower(name), "_", "-")
	return strings.HasPrefix(n, strings.ToLower(identityHeaderPrefix))
}

// identityHeaders returns the identity headers for at, and the names of
// those left out because their value could not be sent safely.
func identityHeaders(at *mcpauth.AccessToken) (headers map[string]string, dropped []string) {
	headers = make(map[string]string, 5)
	if at == nil {
		return headers, nil
	}
	add := func(name, v string) {
		if v == "" {
			return
		}
		if !safeHeaderValue(v) {
			dropped = append(dropped, name)
			return
		}
		headers[name] = v
	}
	add(headerClientID, at.ClientID)
	add(headerSubject, at.Subject)
	add(headerIssuer, at.Issuer)
	if !at.ExpiresAt.IsZero() {
		headers[headerExpiresAt] = strconv.FormatInt(at.ExpiresAt.Unix(), 10)
	}
	// A scope with a space or a quote would be read as other scopes.
	scopes := make([]string, 0, len(at.Scopes))
	for _, s := range at.Scopes {
		if isScopeToken(s) {
			scopes = append(scopes, s)
		} else if len(dropped) == 0 || dropped[len(dropped)-1] != headerScopes {
			dropped = append(dropped, headerScopes)
		}
	}
	if v := strings.Join(scopes, " "); v != "" {
		add(headerScopes, v)
	}
	return headers, dropped
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
func isScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
