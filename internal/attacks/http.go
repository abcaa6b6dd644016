package attacks

import (
	"net/http"
	"net/url"
	"strings"
)

// ResourceMetadata is the RFC 9728 metadata URL the middleware of the
// HTTP tests advertises in its challenges.
const ResourceMetadata = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"

// HTTPCase is a request whose problem is not the token itself but how it
// is sent, with the middleware's exact answer.
type HTTPCase struct {
	// Name is unique among the HTTP cases.
	Name string
	// Method is the request method; empty means GET.
	Method string
	// Authorization holds the Authorization header lines, in order; nil
	// sends none.
	Authorization []string
	// Query is the raw query string appended to the URL ("" for none).
	Query string
	// Form, when not empty, is sent as an application/x-www-form-urlencoded
	// body (Method must then be POST).
	Form url.Values
	// WantStatus is the HTTP status (200: passed through).
	WantStatus int
	// WantError is the error parameter of the WWW-Authenticate challenge;
	// empty means a challenge without error (no credentials), or none when
	// WantStatus is 200.
	WantError string
	// Secret is a string that must not appear in the response or the logs
	// (the token sent), or "".
	Secret string
}

// HTTPCases returns the request-level cases for the fixture: the token
// must come from exactly one Authorization header with the Bearer scheme
// (RFC 6750 §2.1, MCP: never the query string or a form body).
func HTTPCases(f *Fixture) []HTTPCase {
	good := f.Valid
	basic := "Basic " + "dXNlcjpwYXNz"
	return []HTTPCase{
		{Name: "no Authorization header", WantStatus: http.StatusUnauthorized},
		{Name: "valid bearer token", Authorization: []string{"Bearer " + good}, WantStatus: http.StatusOK},
		{Name: "lower-case bearer scheme", Authorization: []string{"bearer " + good}, WantStatus: http.StatusOK},
		{Name: "upper-case BEARER scheme", Authorization: []string{"BEARER " + good}, WantStatus: http.StatusOK},
		{Name: "two spaces after the scheme", Authorization: []string{"Bearer  " + good}, WantStatus: http.StatusOK},
		{Name: "tab after the scheme", Authorization: []string{"Bearer\t" + good}, WantStatus: http.StatusBadRequest, WantError: "invalid_request", Secret: good},
		{Name: "empty bearer token", Authorization: []string{"Bearer "}, WantStatus: http.StatusBadRequest, WantError: "invalid_request"},
		{Name: "scheme only", Authorization: []string{"Bearer"}, WantStatus: http.StatusBadRequest, WantError: "invalid_request"},
		{Name: "two Authorization headers, both valid", Authorization: []string{"Bearer " + good, "Bearer " + good}, WantStatus: http.StatusBadRequest, WantError: "invalid_request", Secret: good},
		{Name: "two Authorization headers, Basic and Bearer", Authorization: []string{basic, "Bearer " + good}, WantStatus: http.StatusBadRequest, WantError: "invalid_request", Secret: good},
		{Name: "two tokens in one header", Authorization: []string{"Bearer " + good + ", Bearer " + good}, WantStatus: http.StatusBadRequest, WantError: "invalid_request", Secret: good},
		{Name: "Basic scheme", Authorization: []string{basic}, WantStatus: http.StatusUnauthorized},
		{Name: "Basic scheme carrying the JWT", Authorization: []string{"Basic " + good}, WantStatus: http.StatusUnauthorized, Secret: good},
		{Name: "DPoP scheme", Authorization: []string{"DPoP " + good}, WantStatus: http.StatusUnauthorized, Secret: good},
		{Name: "token without a scheme", Authorization: []string{good}, WantStatus: http.StatusUnauthorized, Secret: good},
		{Name: "Bearer with a Unicode look-alike", Authorization: []string{"Bearer\u200b " + good}, WantStatus: http.StatusUnauthorized, Secret: good},
		{Name: "token in the query string", Query: "access_token=" + url.QueryEscape(good), WantStatus: http.StatusUnauthorized, Secret: good},
		{Name: "token in a form body", Method: http.MethodPost, Form: url.Values{"access_token": {good}}, WantStatus: http.StatusUnauthorized, Secret: good},
		{Name: "query token beside a bad header token", Authorization: []string{"Bearer " + strings.Repeat("x", 40)}, Query: "access_token=" + url.QueryEscape(good), WantStatus: http.StatusUnauthorized, WantError: "invalid_token", Secret: good},
	}
}
