package middleware

import (
	"context"
	"fmt"

	"github.com/mcpauth/mcpauth"
)

// ctxKey is the context key of the authentication state.
type ctxKey struct{}

// authInfo is what the middleware stores in the request context.
type authInfo struct {
	token     *mcpauth.AccessToken // nil for a preflight
	cfg       *config
	preflight bool
}

// authCtx is the context the middleware hands to the next handler: the
// request's context plus the authentication state, in one allocation
// where context.WithValue and the state would take two.
type authCtx struct {
	context.Context
	info authInfo
}

// withAuthInfo returns parent carrying info for ctxKey{}.
func withAuthInfo(parent context.Context, info authInfo) context.Context {
	return &authCtx{Context: parent, info: info}
}

// Value returns the *authInfo for ctxKey{} and asks the parent otherwise.
func (c *authCtx) Value(key any) any {
	if _, ok := key.(ctxKey); ok {
		return &c.info
	}
	return c.Context.Value(key)
}

// String describes the context like context.WithValue does, without
// printing the access token.
func (c *authCtx) String() string {
	parent := "context"
	if s, ok := c.Context.(fmt.Stringer); ok {
		parent = s.String()
	}
	return parent + ".WithValue(middleware.ctxKey, *middleware.authInfo)"
}

// AccessTokenFrom returns the access token the middleware accepted for the
// request whose context is ctx, and whether there is one. It reports false
// outside the middleware and for CORS preflights let through by
// [WithCORSPreflight].
func AccessTokenFrom(ctx context.Context) (*mcpauth.AccessToken, bool) {
	if ctx == nil {
		return nil, false
	}
	info, _ := ctx.Value(ctxKey{}).(*authInfo)
	if info == nil || info.token == nil {
		return nil, false
	}
	return info.token, true
}
