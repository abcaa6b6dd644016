package middleware

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/mcpauth/mcpauth/internal/scopetoken"
)

// Fixed error descriptions. They never contain request data.
const (
	descNoCredentials   = "authentication required: send an access token in the Authorization header with the Bearer scheme"
	descEmptyToken      = "the Authorization header has the Bearer scheme but no token"
	descMultipleHeaders = "the request has more than one Authorization header"
	descBadSyntax       = "the bearer token is not in RFC 6750 b64token syntax"
	descInvalidToken    = "the access token is invalid"
	descExpiredToken    = "the access token expired"
	descInsufficient    = "the access token lacks a required scope"
	descUnavailable     = "the server cannot verify access tokens right now; retry later"
	descServerError     = "the server cannot authorize this request"
)

// OAuth error codes used in bodies and challenges.
const (
	codeInvalidRequest    = "invalid_request"
	codeInvalidToken      = "invalid_token"
	codeInsufficientScope = "insufficient_scope"
	codeUnavailable       = "temporarily_unavailable"
	codeServerError       = "server_error"
)

// response is a fully rendered error response, built once and shared by
// every request that gets it.
type response struct {
	status    int
	code      string // OAuth error code of the body
	desc      string
	challenge string // WWW-Authenticate Bearer challenge; empty for none
	// dpopChallenge is a second WWW-Authenticate field, the DPoP
	// challenge; empty for none.
	dpopChallenge string
	retryAfter    string // Retry-After value; empty for none
	body          []byte
}

// render builds a response with a WWW-Authenticate challenge for each
// scheme offered (Bearer, and DPoP with [WithDPoP]). The challenges carry
// the error code and description only when withError is set.
func (c *config) render(status int, code, desc string, withError bool, scopes []string) *response {
	resp := &response{status: status, code: code, desc: desc, body: jsonBody(code, desc)}
	if c.bearerAccepted() {
		resp.challenge = c.challenge(schemeBearer, withError, code, desc, scopes)
	}
	if c.dpop != nil {
		resp.dpopChallenge = c.challenge(schemeDPoP, withError, code, desc, scopes)
	}
	return resp
}

// renderFor builds a response whose error belongs to one scheme: its
// challenge carries the error, the other scheme's (when offered) does not.
func (c *config) renderFor(s authScheme, status int, code, desc string) *response {
	resp := &response{status: status, code: code, desc: desc, body: jsonBody(code, desc)}
	if c.bearerAccepted() {
		resp.challenge = c.challenge(schemeBearer, s == schemeBearer, code, desc, c.challengeScopes)
	}
	if c.dpop != nil {
		resp.dpopChallenge = c.challenge(schemeDPoP, s == schemeDPoP, code, desc, c.challengeScopes)
	}
	return resp
}

// challenge renders one WWW-Authenticate challenge (RFC 6750 §3, RFC 9449
// §7.1: DPoP's starts with algs).
func (c *config) challenge(s authScheme, withError bool, code, desc string, scopes []string) string {
	var b strings.Builder
	sep := " "
	param := func(name, value string) {
		b.WriteString(sep)
		b.WriteString(name)
		b.WriteString(`="`)
		for i := 0; i < len(value); i++ {
			if isQuotedChar(value[i]) {
				b.WriteByte(value[i])
			}
		}
		b.WriteByte('"')
		sep = ", "
	}
	if s == schemeDPoP {
		b.WriteString("DPoP")
		param("algs", strings.Join(c.dpop.v.Algorithms(), " "))
	} else {
		b.WriteString("Bearer")
	}
	if c.realm != "" {
		param("realm", c.realm)
	}
	if withError {
		param("error", code)
		param("error_description", desc)
	}
	if len(scopes) > 0 {
		param("scope", strings.Join(scopes, " "))
	}
	if c.resourceMeta != "" {
		param("resource_metadata", c.resourceMeta)
	}
	return b.String()
}

// insufficientFor returns the 403 response naming the middleware's scopes
// and also extra, which may come from a verifier or a route.
func (c *config) insufficientFor(extra []string) *response {
	extra = c.advertised(sanitizeScopes(extra))
	if subset(extra, c.challengeScopes) {
		return c.insufficientScope
	}
	return c.render(http.StatusForbidden, codeInsufficientScope, descInsufficient, true, union(c.challengeScopes, extra))
}

// jsonBody renders {"error":code,"error_description":desc}.
func jsonBody(code, desc string) []byte {
	b, err := json.Marshal(struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{code, desc})
	if err != nil {
		panic("middleware: " + err.Error()) // unreachable: two strings always marshal
	}
	return b
}

// sanitizeScopes drops the characters not allowed in a scope token from each
// scope, then drops the empty ones. It returns s itself when nothing
// changes.
func sanitizeScopes(s []string) []string {
	clean := true
	for _, v := range s {
		if scopetoken.Check(v) != nil {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	out := make([]string, 0, len(s))
	for _, v := range s {
		var b strings.Builder
		for i := 0; i < len(v); i++ {
			if scopetoken.IsChar(v[i]) {
				b.WriteByte(v[i])
			}
		}
		if b.Len() > 0 {
			out = append(out, b.String())
		}
	}
	return out
}
