package middleware

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/scopetoken"
	"github.com/mcpauth/mcpauth/policy"
)

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
	policy          *policy.Policy // nil for none
	// policyFromHeaders decides with policy.CheckHeaders, body unread.
	policyFromHeaders bool
	now               func() time.Time // for Outcome.Duration; a seam for tests
	dpop              *dpopConfig      // nil: DPoP not configured or off

	noCredentials     *response
	emptyToken        *response
	multipleHeaders   *response
	badSyntax         *response
	invalidToken      *response
	expiredToken      *response
	insufficientScope *response
	unavailable       *response
}

// newConfig validates the options and renders the fixed responses. Its
// errors match mcpauth.ErrInvalidConfig and name the option at fault.
func newConfig(v mcpauth.TokenVerifier, opts []Option) (*config, error) {
	if v == nil {
		return nil, configErr("nil verifier")
	}
	var o options
	for i, opt := range opts {
		if opt == nil {
			return nil, configErr("Option %d is nil", i)
		}
		opt(&o)
	}
	for _, s := range o.scopes {
		if err := scopetoken.Check(s); err != nil {
			return nil, configErr("WithRequiredScopes: %v", err)
		}
	}
	if o.resourceMetadata != "" {
		if err := checkResourceMetadata(o.resourceMetadata); err != nil {
			return nil, configErr("WithResourceMetadata: %v", err)
		}
	}
	if err := checkRealm(o.realm); err != nil {
		return nil, configErr("WithRealm: %v", err)
	}
	retryAfter := DefaultRetryAfter
	if o.retryAfterSet {
		if o.retryAfter <= 0 {
			return nil, configErr("WithRetryAfter: %v is not positive", o.retryAfter)
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
	dp, err := c.newDPoPConfig(&o)
	if err != nil {
		return nil, err
	}
	c.dpop = dp
	if d, ok := v.(mcpauth.DPoPBindingDeferrer); ok && d.DefersDPoPBinding() && dp == nil {
		// The verifier accepts DPoP-bound tokens and relies on this
		// middleware to check their proof: without WithDPoP (or with it
		// off) they would pass as bearer tokens.
		return nil, configErr("the verifier accepts DPoP-bound tokens whose proof the middleware must check: WithDPoP in mode allow or require is required")
	}
	c.challengeScopes = c.scopes
	if sr, ok := v.(mcpauth.ScopeRequirer); ok {
		c.challengeScopes = union(c.scopes, sanitizeScopes(sr.RequiredScopes()))
	}
	c.setPolicy(o.policy)
	c.policyFromHeaders = o.policyFromHeaders

	noCreds := descNoCredentials
	if !c.bearerAccepted() {
		noCreds = descDPoPRequired
	}
	c.noCredentials = c.render(http.StatusUnauthorized, codeInvalidToken, noCreds, false, c.challengeScopes)
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
	if c.dpop != nil {
		c.renderDPoP()
	}
	return c, nil
}

// configErr returns an error matching mcpauth.ErrInvalidConfig.
func configErr(format string, args ...any) error {
	return fmt.Errorf("%w: middleware: %s", mcpauth.ErrInvalidConfig, fmt.Sprintf(format, args...))
}

// ceilSeconds returns d in whole seconds, rounded up.
func ceilSeconds(d time.Duration) int64 {
	s := int64(d / time.Second)
	if d%time.Second != 0 {
		s++
	}
	return s
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
