package middleware

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mcpauth/mcpauth"
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
	status     int
	code       string // OAuth error code of the body
	desc       string
	challenge  string // WWW-Authenticate value; empty for none
	retryAfter string // Retry-After value; empty for none
	body       []byte
}

// config is the validated configuration of one middleware.
type config struct {
	verifier        mcpauth.TokenVerifier
	scopes          []string // required by the middleware itself
	challengeScopes []string // scopes plus the verifier's, sanitised
	realm           string
	resourceMeta    string
	logger          *slog.Logger
	observer        func(*http.Request, Outcome)
	corsPreflight   bool
	now             func() time.Time // for Outcome.Duration; a seam for tests

	noCredentials     *response
	emptyToken        *response
	multipleHeaders   *response
	badSyntax         *response
	invalidToken      *response
	expiredToken      *response
	insufficientScope *response
	unavailable       *response
}

// newConfig validates the options and renders the fixed responses. It
// panics on invalid values.
func newConfig(v mcpauth.TokenVerifier, opts []Option) *config {
	if v == nil {
		panic("middleware.New: nil verifier")
	}
	var o options
	for _, opt := range opts {
		if opt == nil {
			panic("middleware.New: nil Option")
		}
		opt(&o)
	}
	for _, s := range o.scopes {
		if err := checkScope(s); err != nil {
			panic("middleware.New: WithRequiredScopes: " + err.Error())
		}
	}
	if o.resourceMetadata != "" {
		if err := checkResourceMetadata(o.resourceMetadata); err != nil {
			panic("middleware.New: WithResourceMetadata: " + err.Error())
		}
	}
	if err := checkRealm(o.realm); err != nil {
		panic("middleware.New: WithRealm: " + err.Error())
	}
	retryAfter := DefaultRetryAfter
	if o.retryAfterSet {
		if o.retryAfter <= 0 {
			panic(fmt.Sprintf("middleware.New: WithRetryAfter: %v is not positive", o.retryAfter))
		}
		retryAfter = o.retryAfter
	}
	c := &config{
		verifier:      v,
		scopes:        dedupe(o.scopes),
		realm:         o.realm,
		resourceMeta:  o.resourceMetadata,
		logger:        o.logger,
		observer:      o.observer,
		corsPreflight: o.corsPreflight,
		now:           time.Now,
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	c.challengeScopes = c.scopes
	if sr, ok := v.(mcpauth.ScopeRequirer); ok {
		c.challengeScopes = union(c.scopes, sanitizeScopes(sr.RequiredScopes()))
	}

	c.noCredentials = c.render(http.StatusUnauthorized, codeInvalidToken, descNoCredentials, false, c.challengeScopes)
	c.emptyToken = c.render(http.StatusBadRequest, codeInvalidRequest, descEmptyToken, true, c.challengeScopes)
	c.multipleHeaders = c.render(http.StatusBadRequest, codeInvalidRequest, descMultipleHeaders, true, c.challengeScopes)
	c.badSyntax = c.render(http.StatusBadRequest, codeInvalidRequest, descBadSyntax, true, c.challengeScopes)
	c.invalidToken = c.render(http.StatusUnauthorized, codeInvalidToken, descInvalidToken, true, c.challengeScopes)
	c.expiredToken = c.render(http.StatusUnauthorized, codeInvalidToken, descExpiredToken, true, c.challengeScopes)
	c.insufficientScope = c.render(http.StatusForbidden, codeInsufficientScope, descInsufficient, true, c.challengeScopes)
	c.unavailable = &response{
		status:     http.StatusServiceUnavailable,
		code:       codeUnavailable,
		desc:       descUnavailable,
		retryAfter: strconv.FormatInt(ceilSeconds(retryAfter), 10),
		body:       jsonBody(codeUnavailable, descUnavailable),
	}
	return c
}

// ceilSeconds returns d in whole seconds, rounded up.
func ceilSeconds(d time.Duration) int64 {
	s := int64(d / time.Second)
	if d%time.Second != 0 {
		s++
	}
	return s
}

// render builds a response with a WWW-Authenticate challenge. The challenge
// carries the error code and description only when withError is set.
func (c *config) render(status int, code, desc string, withError bool, scopes []string) *response {
	var b strings.Builder
	b.WriteString("Bearer")
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
	return &response{status: status, code: code, desc: desc, challenge: b.String(), body: jsonBody(code, desc)}
}

// insufficientFor returns the 403 response naming the middleware's scopes
// and also extra, which may come from a verifier or a route.
func (c *config) insufficientFor(extra []string) *response {
	extra = sanitizeScopes(extra)
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
		if checkScope(v) != nil {
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
			if isScopeChar(v[i]) {
				b.WriteByte(v[i])
			}
		}
		if b.Len() > 0 {
			out = append(out, b.String())
		}
	}
	return out
}

// dedupe returns s without repeated members, in first-seen order.
func dedupe(s []string) []string {
	return union(nil, s)
}

// union returns the members of a then of b, without duplicates.
func union(a, b []string) []string {
	var out []string
	for _, s := range slices.Concat(a, b) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// subset reports whether every member of a is in b.
func subset(a, b []string) bool {
	for _, s := range a {
		if !slices.Contains(b, s) {
			return false
		}
	}
	return true
}
