package introspect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/mcpauth/mcpauth"
)

// call introspects token once at endpoint (RFC 7662 §2.1). A refusal
// decided from a well-formed answer is an *mcpauth.InvalidTokenError; any
// other failure matches mcpauth.ErrKeySourceUnavailable. Errors never
// contain the token, the client secret or the response body.
func (v *Verifier) call(ctx context.Context, endpoint, token string) (*mcpauth.AccessToken, error) {
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	if v.cfg.method == ClientSecretPost {
		form.Set("client_id", v.cfg.clientID)
		form.Set("client_secret", v.cfg.clientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, unavailable("building the request: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if v.cfg.method == ClientSecretBasic {
		// RFC 6749 §2.3.1: each form-urlencoded, then Basic.
		req.SetBasicAuth(url.QueryEscape(v.cfg.clientID), url.QueryEscape(v.cfg.clientSecret))
	}
	body, err := v.download(ctx, req)
	if err != nil {
		return nil, err
	}
	m, err := parseResponse(body)
	if err != nil {
		return nil, unavailable("the introspection response is malformed: %v", err)
	}
	return v.cfg.checkResponse(m, v.now())
}

// unavailable formats an error that matches mcpauth.ErrKeySourceUnavailable.
func unavailable(format string, args ...any) error {
	return fmt.Errorf("%w: introspection: %s", mcpauth.ErrKeySourceUnavailable, fmt.Sprintf(format, args...))
}

// statusError is an HTTP status other than 200.
type statusError int

// Error implements error.
func (e statusError) Error() string {
	switch {
	case e >= 300 && e < 400:
		return fmt.Sprintf("the server answered status %d (redirects are not followed)", int(e))
	case e == http.StatusUnauthorized || e == http.StatusForbidden:
		return fmt.Sprintf("the server answered status %d: check the client credentials", int(e))
	}
	return fmt.Sprintf("the server answered status %d, want 200", int(e))
}

// download sends req and returns the body of a 200 application/json
// answer of at most MaxBodyBytes. Its errors match
// mcpauth.ErrKeySourceUnavailable; a statusError is wrapped.
func (v *Verifier) download(ctx context.Context, req *http.Request) ([]byte, error) {
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, v.transportErr(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: introspection: %w", mcpauth.ErrKeySourceUnavailable, statusError(resp.StatusCode))
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, unavailable("the response's Content-Type is not application/json")
	}
	if resp.ContentLength > v.cfg.maxBody {
		return nil, unavailable("the response body of %d bytes exceeds the %d-byte limit", resp.ContentLength, v.cfg.maxBody)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, v.cfg.maxBody+1))
	if err != nil {
		return nil, v.transportErr(ctx, err)
	}
	if int64(len(body)) > v.cfg.maxBody {
		return nil, unavailable("the response body exceeds the %d-byte limit", v.cfg.maxBody)
	}
	return body, nil
}

// transportErr wraps a network error, naming a timeout as such. net/http
// errors carry the URL with its password removed; the token travels in the
// body, never in the URL.
func (v *Verifier) transportErr(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return unavailable("no complete response within %s", v.cfg.timeout)
	}
	return fmt.Errorf("%w: introspection: %w", mcpauth.ErrKeySourceUnavailable, err)
}
