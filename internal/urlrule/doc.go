// Package urlrule holds the module's one rule for configured URLs (JWK Set
// and introspection endpoints, resource and metadata URLs, the proxy's
// upstream): which schemes, hosts and parts are allowed, and when plain http
// is acceptable (loopback only, unless a caller's Insecure switch says
// otherwise). Each caller names the setting in its own error; this package
// only decides and says what is wrong.
package urlrule
