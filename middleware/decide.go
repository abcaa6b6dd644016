package middleware

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/dpop"
)

// decision is what the middleware does with a request: pass it on with token
// (resp == nil, preflight false), pass it on unauthenticated as a CORS
// preflight, or write resp.
type decision struct {
	token     *mcpauth.AccessToken
	resp      *response
	preflight bool
	reason    mcpauth.Reason
	clientID  string
	scopes    []string   // the token's granted scopes, when clientID is known
	level     slog.Level // log level of a rejection
	err       error      // verifier error, for the log only; redacted
}

// errNilToken reports a verifier that returned neither a token nor an error.
var errNilToken = errors.New("verifier returned neither an access token nor an error")

// decide authenticates r with v under c. It writes nothing; the handler
// carries out the decision.
func decide(r *http.Request, v mcpauth.TokenVerifier, c *config) decision {
	if c.corsPreflight && isPreflight(r) {
		return decision{preflight: true}
	}
	token, scheme, st := credentials(r.Header)
	if scheme == schemeDPoP && c.dpop == nil {
		st = credNone // without WithDPoP (or with it off) DPoP is another scheme
	}
	switch st {
	case credNone:
		return decision{resp: c.noCredentials, reason: ReasonNoCredentials, level: slog.LevelDebug}
	case credEmpty:
		return decision{resp: c.emptyToken, reason: ReasonInvalidRequest, level: slog.LevelInfo}
	case credMultiple:
		return decision{resp: c.multipleHeaders, reason: ReasonInvalidRequest, level: slog.LevelInfo}
	case credSyntax:
		return decision{resp: c.badSyntax, reason: ReasonInvalidRequest, level: slog.LevelInfo}
	}

	if scheme == schemeBearer && !c.bearerAccepted() {
		return decision{resp: c.dpop.required, reason: dpop.ReasonDowngrade, level: slog.LevelInfo}
	}

	at, err := v.VerifyToken(r.Context(), token)
	if err != nil {
		return verifierError(c, err, token)
	}
	if at == nil {
		return decision{resp: c.invalidToken, reason: mcpauth.ReasonOther, level: slog.LevelError, err: errNilToken}
	}
	if c.dpop != nil {
		var refused *decision
		if at, refused = c.checkDPoP(r, scheme, token, at); refused != nil {
			return *refused
		}
	}
	at = c.effective(at)
	if !c.grants(at, c.scopes) {
		return decision{resp: c.insufficientScope, reason: mcpauth.ReasonInsufficientScope, clientID: at.ClientID, scopes: at.Scopes, level: slog.LevelInfo}
	}
	return decision{token: at, clientID: at.ClientID, scopes: at.Scopes}
}

// verifierError maps a verifier error to a decision, failing closed.
func verifierError(c *config, err error, token string) decision {
	d := decision{reason: mcpauth.ReasonOf(err), level: slog.LevelInfo, err: redactedError{err, token}}
	var ise *mcpauth.InsufficientScopeError
	switch {
	case errors.Is(err, mcpauth.ErrInvalidToken):
		d.resp = c.invalidToken
		if d.reason == mcpauth.ReasonExpired {
			d.resp = c.expiredToken
		}
	case errors.As(err, &ise):
		d.resp = c.insufficientFor(ise.Required)
		d.clientID, d.scopes = ise.ClientID, ise.Granted
	case errors.Is(err, mcpauth.ErrInsufficientScope):
		d.resp = c.insufficientScope
	case errors.Is(err, mcpauth.ErrKeySourceUnavailable):
		d.resp = c.unavailable
		d.level = slog.LevelWarn
	default:
		d.resp = c.invalidToken
		d.reason = mcpauth.ReasonOther
		d.level = slog.LevelError
	}
	return d
}

// redactedError hides the token in case a verifier put it in its error.
type redactedError struct {
	err   error
	token string
}

// Error implements error, with the token replaced.
func (e redactedError) Error() string {
	return strings.ReplaceAll(e.err.Error(), e.token, "[REDACTED]")
}

// isPreflight reports whether r is a CORS preflight request.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions &&
		r.Header.Get("Origin") != "" &&
		r.Header.Get("Access-Control-Request-Method") != "" &&
		len(r.Header.Values("Authorization")) == 0
}

// credState classifies the Authorization header.
type credState int

const (
	credOK       credState = iota
	credNone               // no header, or another scheme
	credEmpty              // Bearer scheme without a token
	credMultiple           // several Authorization lines
	credSyntax             // token not in b64token syntax
)

// authScheme is the scheme of the Authorization header.
type authScheme uint8

const (
	schemeBearer authScheme = iota // RFC 6750
	schemeDPoP                     // RFC 9449 §7.1
)

// bearerToken extracts the token from the Authorization header:
//
//	credentials = "Bearer" 1*SP b64token   (RFC 6750 section 2.1)
//
// with the scheme matched case-insensitively and surrounding whitespace
// ignored, as an HTTP parser would strip it. Any other scheme is no
// credentials.
func bearerToken(h http.Header) (string, credState) {
	token, scheme, st := credentials(h)
	if scheme != schemeBearer && st != credNone && st != credMultiple {
		return "", credNone
	}
	return token, st
}

// credentials extracts the token and its scheme, Bearer or DPoP (the same
// token68 syntax, RFC 9449 §7.1), from the Authorization header. Any other
// scheme is no credentials.
func credentials(h http.Header) (string, authScheme, credState) {
	vals := h.Values("Authorization")
	switch len(vals) {
	case 0:
		return "", schemeBearer, credNone
	case 1:
	default:
		return "", schemeBearer, credMultiple
	}
	v := strings.Trim(vals[0], " \t")
	name, rest := v, ""
	if i := strings.IndexAny(v, " \t"); i >= 0 {
		name, rest = v[:i], v[i:]
	}
	var scheme authScheme
	switch {
	case isScheme(name, "bearer"):
		scheme = schemeBearer
	case isScheme(name, "dpop"):
		scheme = schemeDPoP
	default:
		return "", schemeBearer, credNone
	}
	token := strings.TrimLeft(rest, " ")
	if strings.Trim(token, " \t") == "" {
		return "", scheme, credEmpty
	}
	if !isB64Token(token) {
		return "", scheme, credSyntax
	}
	return token, scheme, credOK
}

// isScheme reports whether s is want (lower case) in any ASCII letter
// case. Unlike strings.EqualFold it does not apply Unicode case folding.
func isScheme(s, want string) bool {
	if len(s) != len(want) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != want[i] {
			return false
		}
	}
	return true
}

// b64tokenChars marks the bytes of 1*( ALPHA / DIGIT / "-" / "." / "_" /
// "~" / "+" / "/" ).
var b64tokenChars = func() (t [256]bool) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
		t[c+'a'-'A'] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "-._~+/" {
		t[c] = true
	}
	return t
}()

// isB64Token reports whether s is an RFC 6750 b64token:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	i := 0
	for i < len(s) && b64tokenChars[s[i]] {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(s) && s[i] == '=' {
		i++
	}
	return i == len(s)
}
