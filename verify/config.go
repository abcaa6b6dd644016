package verify

// config.go: configuration errors that speak the user's language. A
// message names the settings it is about as {Field} placeholders (and
// {Field=value} for a fix that assigns one); NewJWTVerifier renders them
// for where the settings came from: the Go field (Settings.Issuers,
// Settings.InsecureAllowHTTPJWKS = true) for settings written in code, the
// environment variable (MCPAUTH_JWT_ISSUER,
// MCPAUTH_JWT_INSECURE_ALLOW_HTTP_JWKS=true) for settings read by
// SettingsFromEnv or SettingsFromMap.

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/jwks"
)

// configError is a configuration error. It matches mcpauth.ErrInvalidConfig
// and its cause, if any.
type configError struct {
	text    string // with {Field} placeholders
	envText string // the text for settings from the environment; "" means text
	prefix  string // the variables' prefix when the settings came from the environment
	cause   error
}

// Error implements error.
func (e *configError) Error() string {
	return mcpauth.ErrInvalidConfig.Error() + ": " + e.render()
}

// Unwrap returns mcpauth.ErrInvalidConfig and the cause.
func (e *configError) Unwrap() []error {
	if e.cause == nil {
		return []error{mcpauth.ErrInvalidConfig}
	}
	return []error{mcpauth.ErrInvalidConfig, e.cause}
}

// placeholder matches {Field} and {Field=value}.
var placeholder = regexp.MustCompile(`\{([A-Z][A-Za-z]*)(=[^{}]*)?\}`)

// render replaces the placeholders that name a Settings field.
func (e *configError) render() string {
	text := e.text
	if e.prefix != "" && e.envText != "" {
		text = e.envText
	}
	return placeholder.ReplaceAllStringFunc(text, func(m string) string {
		sub := placeholder.FindStringSubmatch(m)
		name, ok := settingName(sub[1], e.prefix)
		switch {
		case !ok:
			return m
		case sub[2] == "":
			return name
		case e.prefix == "":
			return name + " = " + sub[2][1:]
		default:
			return name + sub[2]
		}
	})
}

// settingName names a Settings field: Settings.Field, or its variable when
// prefix is set. It reports false for a name that is not a field.
func settingName(field, prefix string) (string, bool) {
	v, ok := envVarOf[field]
	switch {
	case !ok:
		return "", false
	case prefix == "":
		return "Settings." + field, true
	default:
		return prefix + v, true
	}
}

// configErr returns a configuration error; format may name settings as
// {Field} placeholders.
func configErr(format string, args ...any) error {
	return &configError{text: fmt.Sprintf(format, args...)}
}

// configErrOr is configErr with a different text for settings read from
// the environment, for fixes that differ (a Go duration vs "0s").
func configErrOr(goText, envText string) error {
	return &configError{text: goText, envText: envText}
}

// causedBy returns a configuration error whose text is problem followed by
// err's own text, and which matches err.
func causedBy(err error, problem string) error {
	return &configError{text: problem + strings.TrimPrefix(err.Error(), mcpauth.ErrInvalidConfig.Error()+": "), cause: err}
}

// fromOrigin renders err's placeholders for settings from prefix's
// variables ("" for Go code).
func fromOrigin(err error, prefix string) error {
	var ce *configError
	if !errors.As(err, &ce) {
		return err
	}
	c := *ce
	c.prefix = prefix
	return &c
}

// checkJWKSSettings refuses negative JWK Set settings (zero means the
// default) before they reach package jwks, whose errors would name its own
// Options fields.
func checkJWKSSettings(s Settings) error {
	for _, d := range []struct {
		field string
		neg   bool
	}{
		{"JWKSRefreshInterval", s.JWKSRefreshInterval < 0},
		{"JWKSRefreshRateLimit", s.JWKSRefreshRateLimit < 0},
		{"JWKSTimeout", s.JWKSTimeout < 0},
		{"JWKSMaxBodyBytes", s.JWKSMaxBodyBytes < 0},
	} {
		if d.neg {
			return configErr("{%s} must not be negative (zero means the default)", d.field)
		}
	}
	return nil
}

// remoteConfigErr names the setting at fault in an error of package jwks:
// the JWK Set URL, or the issuer it is discovered from.
func remoteConfigErr(err error, s Settings, discover bool) error {
	field, raw := "JWKSURI", s.JWKSURI
	if discover {
		field, raw = "Issuers", s.Issuers[0]
	}
	if errors.Is(err, jwks.ErrPlainHTTP) {
		shown := raw
		if u, perr := url.Parse(raw); perr == nil {
			shown = u.Redacted()
		}
		return &configError{
			text:  fmt.Sprintf("{%s} %q uses plain http on a non-loopback host: use https, or set {InsecureAllowHTTPJWKS=true} to allow plain http", field, shown),
			cause: err,
		}
	}
	if discover {
		return causedBy(err, "{Issuers}: discovering the JWK Set from the issuer: ")
	}
	return causedBy(err, "{JWKSURI}: ")
}
