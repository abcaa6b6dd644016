package issuermeta

import (
	"errors"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/internal/strictjson"
)

func TestURLs(t *testing.T) {
	tests := []struct {
		issuer string
		want   []string
	}{
		{"https://idp.example.com", []string{
			"https://idp.example.com/.well-known/openid-configuration",
			"https://idp.example.com/.well-known/oauth-authorization-server",
		}},
		{"https://idp.example.com/", []string{
			"https://idp.example.com/.well-known/openid-configuration",
			"https://idp.example.com/.well-known/oauth-authorization-server",
		}},
		{"https://idp.example.com/realms/a", []string{
			"https://idp.example.com/realms/a/.well-known/openid-configuration",
			"https://idp.example.com/.well-known/oauth-authorization-server/realms/a",
		}},
	}
	for _, tt := range tests {
		got := URLs(tt.issuer)
		if strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("URLs(%q) = %v; want %v", tt.issuer, got, tt.want)
		}
	}
}

// TestEndpoint is the table of what a metadata document must hold.
func TestEndpoint(t *testing.T) {
	const iss = "https://idp.example.com"
	tests := []struct {
		name, doc string
		want      string // the endpoint, or a part of the error
		wantErr   error  // matched with errors.Is when set
	}{
		{"endpoint", `{"issuer":"https://idp.example.com","jwks_uri":"https://idp.example.com/jwks"}`, "https://idp.example.com/jwks", nil},
		{"not JSON", `<html>`, "not a JSON object", strictjson.ErrMalformed},
		{"repeated endpoint", `{"issuer":"https://idp.example.com","jwks_uri":"https://idp.example.com/jwks","jwks_uri":"https://evil.example.com/jwks"}`, "duplicate member name", strictjson.ErrDuplicateName},
		{"repeated issuer", `{"issuer":"https://evil.example.com","issuer":"https://idp.example.com","jwks_uri":"https://idp.example.com/jwks"}`, "duplicate member name", strictjson.ErrDuplicateName},
		{"issuer in another letter case", `{"ISSUER":"https://idp.example.com","jwks_uri":"https://idp.example.com/jwks"}`, "has no issuer", nil},
		{"endpoint in another letter case", `{"issuer":"https://idp.example.com","JWKS_URI":"https://idp.example.com/jwks"}`, "has no jwks_uri", nil},
		{"lone surrogate", `{"issuer":"https://idp.example.com","jwks_uri":"https://idp.example.com/\ud800"}`, "unpaired", strictjson.ErrLoneSurrogate},
		{"no issuer", `{"jwks_uri":"https://idp.example.com/jwks"}`, "has no issuer", nil},
		{"issuer not a string", `{"issuer":1,"jwks_uri":"https://idp.example.com/jwks"}`, "issuer is not a string", nil},
		{"empty issuer", `{"issuer":"","jwks_uri":"https://idp.example.com/jwks"}`, "another issuer", nil},
		{"another issuer", `{"issuer":"https://evil.example.com","jwks_uri":"https://idp.example.com/jwks"}`, "another issuer", nil},
		{"issuer with a trailing slash", `{"issuer":"https://idp.example.com/","jwks_uri":"https://idp.example.com/jwks"}`, "another issuer", nil},
		{"no endpoint", `{"issuer":"https://idp.example.com"}`, "has no jwks_uri", nil},
		{"null endpoint", `{"issuer":"https://idp.example.com","jwks_uri":null}`, "has no jwks_uri", nil},
		{"empty endpoint", `{"issuer":"https://idp.example.com","jwks_uri":""}`, "has no jwks_uri", nil},
		{"endpoint not a string", `{"issuer":"https://idp.example.com","jwks_uri":["https://idp.example.com/jwks"]}`, "jwks_uri is not a string", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep, err := Endpoint([]byte(tt.doc), iss, "jwks_uri")
			switch {
			case err == nil && ep != tt.want:
				t.Fatalf("endpoint %q; want %q", ep, tt.want)
			case err != nil && (!strings.Contains(err.Error(), tt.want) || tt.wantErr != nil && !errors.Is(err, tt.wantErr)):
				t.Fatalf("err = %v; want %q (%v)", err, tt.want, tt.wantErr)
			case err != nil && strings.Contains(err.Error(), "evil"):
				t.Fatalf("err %q quotes the document", err)
			}
		})
	}
}
