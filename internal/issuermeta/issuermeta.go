package issuermeta

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/mcpauth/mcpauth/internal/strictjson"
)

// Well-known metadata paths, in the order tried.
const (
	// OpenIDConfigurationPath is OpenID Connect Discovery 1.0 §4, appended
	// to the issuer.
	OpenIDConfigurationPath = "/.well-known/openid-configuration"
	// OAuthServerMetadataPath is RFC 8414 §3, inserted between the issuer's
	// host and path.
	OAuthServerMetadataPath = "/.well-known/oauth-authorization-server"
)

// URLs returns the metadata URLs of an issuer the caller has validated as
// an absolute http(s) URL, in the order tried.
func URLs(issuer string) []string {
	u, _ := url.Parse(issuer)
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	origin := u.Scheme + "://" + u.Host
	return []string{origin + path + OpenIDConfigurationPath, origin + OAuthServerMetadataPath + path}
}

// Endpoint returns the member named member of an issuer's metadata
// document. The document is read by the module's strict JSON reader, must
// name exactly issuer as its issuer (RFC 8414 §3.3, OIDC Discovery §4.3), and
// member must be a non-empty string. The errors never quote the document.
func Endpoint(body []byte, issuer, member string) (string, error) {
	m, err := strictjson.ParseObject(string(body))
	if err != nil {
		return "", fmt.Errorf("the issuer metadata is not a JSON object: %w", err)
	}
	raw, ok := m["issuer"]
	if !ok {
		return "", errors.New("the issuer metadata has no issuer")
	}
	if iss, isString := raw.(string); !isString {
		return "", errors.New("the issuer metadata's issuer is not a string")
	} else if iss != issuer {
		return "", errors.New("the metadata names another issuer than the configured one")
	}
	switch ep, isString := m[member].(string); {
	case m[member] == nil || ep == "" && isString:
		return "", fmt.Errorf("the issuer metadata has no %s", member)
	case !isString:
		return "", fmt.Errorf("the issuer metadata's %s is not a string", member)
	default:
		return ep, nil
	}
}
