package sdkauth

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/middleware"
)

// ExtraKey is the key of the [mcpauth.AccessToken] in auth.TokenInfo.Extra.
const ExtraKey = "mcpauth.access_token"

// TokenInfo converts an AccessToken to go-sdk's TokenInfo: Scopes,
// Expiration, UserID (issuer and subject, or client id when there is no
// subject) and the AccessToken itself in Extra under [ExtraKey].
func TokenInfo(at *mcpauth.AccessToken) *auth.TokenInfo {
	id := at.Subject
	if id == "" {
		id = at.ClientID
	}
	if at.Issuer != "" {
		id = at.Issuer + " " + id
	}
	return &auth.TokenInfo{
		Scopes:     at.Scopes,
		Expiration: at.ExpiresAt,
		UserID:     id,
		Extra:      map[string]any{ExtraKey: at},
	}
}

// AccessTokenFrom returns the AccessToken stored by [Protect] or [Bridge] in
// a go-sdk TokenInfo, typically req.Extra.TokenInfo in a tool handler.
func AccessTokenFrom(ti *auth.TokenInfo) (*mcpauth.AccessToken, bool) {
	if ti == nil {
		return nil, false
	}
	at, ok := ti.Extra[ExtraKey].(*mcpauth.AccessToken)
	return at, ok && at != nil
}

// Protect is middleware.New followed by [Bridge]: it authenticates requests
// with v and makes the AccessToken visible to go-sdk tool handlers. Like
// middleware.New it is a Must form: it panics with [ProtectChecked]'s error
// on an invalid configuration.
func Protect(v mcpauth.TokenVerifier, opts ...middleware.Option) func(http.Handler) http.Handler {
	p, err := ProtectChecked(v, opts...)
	if err != nil {
		panic(err)
	}
	return p
}

// ProtectChecked is [Protect] returning middleware.NewChecked's error (it
// matches mcpauth.ErrInvalidConfig) instead of panicking.
func ProtectChecked(v mcpauth.TokenVerifier, opts ...middleware.Option) (func(http.Handler) http.Handler, error) {
	authn, err := middleware.NewChecked(v, opts...)
	if err != nil {
		return nil, err
	}
	return func(next http.Handler) http.Handler {
		return authn(Bridge(next))
	}, nil
}

// Bridge copies the AccessToken that middleware.New put in the request
// context into go-sdk's TokenInfo. It must run inside middleware.New;
// without an AccessToken it fails closed with 500.
//
// It uses go-sdk's auth.RequireBearerToken as the carrier, because the SDK
// offers no other way to set its context value; the verifier given to it only
// reads the already-verified AccessToken, so every rejection is answered by
// mcpauth's middleware before this point. The carrier reads only the Bearer
// scheme: a request the middleware accepted with another scheme (DPoP, see
// middleware.WithDPoP) reaches it as a copy whose Authorization header says
// Bearer.
func Bridge(next http.Handler) http.Handler {
	carrier := auth.RequireBearerToken(fromContext, &auth.RequireBearerTokenOptions{
		// The token was fully verified (including exp with mcpauth's leeway,
		// or no exp for static tokens); the SDK must not re-judge it.
		AllowMissingExpiration: true,
		ClockSkew:              maxLeeway,
	})(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := middleware.AccessTokenFrom(r.Context()); !ok {
			http.Error(w, `{"error":"server_error","error_description":"authentication is not configured for this route"}`, http.StatusInternalServerError)
			return
		}
		if scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && !strings.EqualFold(scheme, "Bearer") {
			r = r.Clone(r.Context())
			r.Header.Set("Authorization", "Bearer "+strings.TrimSpace(token))
		}
		carrier.ServeHTTP(w, r)
	})
}

// fromContext is the go-sdk verifier: it returns the AccessToken the
// middleware already verified.
func fromContext(ctx context.Context, _ string, _ *http.Request) (*auth.TokenInfo, error) {
	at, ok := middleware.AccessTokenFrom(ctx)
	if !ok {
		return nil, auth.ErrInvalidToken
	}
	return TokenInfo(at), nil
}

// maxLeeway is the clock skew go-sdk is told to allow: the largest leeway
// any mcpauth verifier accepts (verify.MaxLeeway), so the SDK never rejects
// a token mcpauth accepted. It is repeated here so that sdkauth compiles no
// verifier.
const maxLeeway = 5 * time.Minute
