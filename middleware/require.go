package middleware

import (
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/scopetoken"
)

// serverError is written when RequireScopes finds no middleware before it.
var serverError = &response{
	status: http.StatusInternalServerError,
	code:   codeServerError,
	desc:   descServerError,
	body:   jsonBody(codeServerError, descServerError),
}

// RequireScopes returns middleware for one route behind [New]: it lets a
// request through only when the access token New accepted grants every one
// of scopes. Otherwise it writes the same 403 insufficient_scope response as
// New, whose scope parameter lists New's required scopes and these.
//
// It fails closed: a request that did not pass through New (a misconfigured
// chain) gets a 500 and an error log record on slog.Default(). CORS
// preflights let through by [WithCORSPreflight] pass.
//
// RequireScopes is the Must form of [RequireScopesChecked]: it panics with
// its error when no scope is given or a scope is not an RFC 6749 scope
// token. The returned function panics on a nil handler.
func RequireScopes(scopes ...string) func(http.Handler) http.Handler {
	m, err := RequireScopesChecked(scopes...)
	if err != nil {
		panic(err)
	}
	return m
}

// RequireScopesChecked is [RequireScopes] returning an error matching
// [mcpauth.ErrInvalidConfig] instead of panicking on a missing or invalid
// scope.
func RequireScopesChecked(scopes ...string) (func(http.Handler) http.Handler, error) {
	if len(scopes) == 0 {
		return nil, configErr("RequireScopes: no scopes")
	}
	for _, s := range scopes {
		if err := scopetoken.Check(s); err != nil {
			return nil, configErr("RequireScopes: %v", err)
		}
	}
	scopes = dedupe(scopes)
	// The 403 response depends on the configuration of the New before it,
	// known only per request; render it once per configuration.
	var cache sync.Map // *config -> *response
	forbidden := func(c *config) *response {
		if resp, ok := cache.Load(c); ok {
			return resp.(*response)
		}
		resp, _ := cache.LoadOrStore(c, c.insufficientFor(scopes))
		return resp.(*response)
	}
	return func(next http.Handler) http.Handler {
		if next == nil {
			panic("middleware: nil handler")
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			info, _ := r.Context().Value(ctxKey{}).(*authInfo)
			switch {
			case info != nil && info.preflight:
				next.ServeHTTP(w, r)
			case info == nil || info.token == nil:
				slog.Default().LogAttrs(r.Context(), slog.LevelError,
					"mcpauth: RequireScopes reached without middleware.New before it; request refused",
					slog.Int("status", serverError.status),
					slog.String("method", r.Method),
					slog.String("path", urlPath(r)),
					slog.Any("scopes", slices.Clone(scopes)),
				)
				writeResponse(w, r, serverError)
			case !info.cfg.grants(info.token, scopes):
				c := info.cfg
				d := decision{
					resp:     forbidden(c),
					reason:   mcpauth.ReasonInsufficientScope,
					clientID: info.token.ClientID,
					scopes:   info.token.Scopes,
					level:    slog.LevelInfo,
				}
				observe := c.observer != nil
				var start time.Time
				if observe {
					start = c.now()
				}
				c.reject(w, r, &d, observe, start)
			default:
				next.ServeHTTP(w, r)
			}
		})
	}, nil
}
