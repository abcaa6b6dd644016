package introspect

import (
	"net/url"

	"github.com/mcpauth/mcpauth/internal/urlrule"
)

// checkURL accepts an absolute https URL, or plain http on a loopback host
// host, without a fragment. There is no switch for plain http elsewhere:
// the client secret and tokens travel over this URL. Errors name field
// and never show a password.
func checkURL(field, raw string) (*url.URL, error) {
	u, p := urlrule.Check(raw, urlrule.Rules{HTTPS: true})
	switch {
	case p == nil:
		return u, nil
	case p.PlainHTTP:
		return nil, configErr("%s %q %s; use https", field, u.Redacted(), p.Text)
	case u == nil:
		return nil, configErr("%s %s", field, p.Text)
	}
	return nil, configErr("%s %q %s", field, u.Redacted(), p.Text)
}
