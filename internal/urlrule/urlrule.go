package urlrule

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// Rules selects the checks [Check] applies on top of the ones that always
// hold: an absolute http or https URL with a host and no fragment.
type Rules struct {
	// HTTPS refuses plain http except on a loopback host.
	HTTPS bool
	// InsecurePlainHTTP lifts HTTPS's refusal for any host.
	InsecurePlainHTTP bool
	// NoUserInfo refuses user information (user:password@).
	NoUserInfo bool
	// NoQuery refuses a query, even an empty one ("?").
	NoQuery bool
	// Quotable refuses spaces, quotes, backslashes, control and non-ASCII
	// characters, so that the URL can be quoted in a WWW-Authenticate
	// challenge as it is.
	Quotable bool
}

// Problem says what is wrong with a URL, as a phrase that follows the
// setting's name and the URL ("has no host").
type Problem struct {
	// Text is the phrase. It never contains the URL's password.
	Text string
	// PlainHTTP is set when the only fault is plain http on a host that
	// is not loopback.
	PlainHTTP bool
}

// Check parses raw and applies r. It returns the URL and nil when raw is
// acceptable; otherwise a Problem (and the URL when it parsed, so that the
// caller can show u.Redacted()).
func Check(raw string, r Rules) (*url.URL, *Problem) {
	if raw == "" {
		return nil, &Problem{Text: "is empty"}
	}
	if r.Quotable && strings.ContainsFunc(raw, func(c rune) bool { return c <= ' ' || c > '~' || c == '"' || c == '\\' }) {
		return nil, &Problem{Text: "contains a character not allowed (space, quote, backslash, control or non-ASCII)"}
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the whole URL, password included: keep the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, &Problem{Text: "is not a URL: " + err.Error()}
	}
	switch {
	case u.Scheme == "":
		return u, &Problem{Text: "is not absolute (no scheme)"}
	case u.Scheme != "https" && u.Scheme != "http":
		return u, &Problem{Text: fmt.Sprintf("has scheme %q; only http and https are supported", u.Scheme)}
	case u.Opaque != "":
		return u, &Problem{Text: "is not hierarchical (want scheme://host/path)"}
	case u.Host == "" || u.Hostname() == "":
		return u, &Problem{Text: "has no host"}
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return u, &Problem{Text: "must not contain a fragment"}
	case r.NoUserInfo && u.User != nil:
		return u, &Problem{Text: "must not contain user information"}
	case r.NoQuery && (u.RawQuery != "" || u.ForceQuery):
		return u, &Problem{Text: "must not have a query"}
	case r.HTTPS && !r.InsecurePlainHTTP && u.Scheme == "http" && !IsLoopbackHost(u.Hostname()):
		return u, &Problem{Text: "uses plain http on a non-loopback host", PlainHTTP: true}
	}
	return u, nil
}

// IsLoopbackHost reports whether host (a name or an IP address, without a
// port) is "localhost" or a loopback address (127.0.0.0/8, ::1, or an
// IPv4-mapped form of them). An address with a zone is not loopback.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || ip.Zone() != "" {
		return false
	}
	return ip.Unmap().IsLoopback()
}

// Downgrade reports whether a URL found in a document fetched from origin
// (an issuer's metadata naming its jwks_uri or introspection endpoint)
// would step down from https to plain http. Such a URL is refused whatever
// its host: what it serves is only as trustworthy as the weakest link.
func Downgrade(origin string, found *url.URL) bool {
	return found.Scheme == "http" && strings.HasPrefix(origin, "https://")
}
