package introspect

import (
	"errors"
	"net/netip"
	"net/url"
	"strings"
)

// checkURL accepts an absolute https URL, or plain http on a loopback host
// host, without a fragment. There is no switch for plain http elsewhere:
// the client secret and tokens travel over this URL. Errors name field
// and never show a password.
func checkURL(field, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error quotes the whole URL, password included
		}
		return nil, configErr("%s does not parse as a URL: %v", field, err)
	}
	name := u.Redacted()
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, configErr("%s %q must be an absolute https URL", field, name)
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return nil, configErr("%s %q has no host", field, name)
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, configErr("%s %q must not contain a fragment", field, name)
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return nil, configErr("%s %q uses plain http on a non-loopback host; use https", field, name)
	}
	return u, nil
}

// isLoopback reports whether host is localhost or a loopback IP address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || ip.Zone() != "" {
		return false
	}
	return ip.Unmap().IsLoopback()
}
