// Command mcpauth protects MCP servers with bearer token authentication,
// verifies tokens from the shell and makes test keys and tokens.
//
//	mcpauth serve            run an MCP server whose /mcp endpoint requires a token
//	mcpauth proxy            put the same authentication in front of any HTTP MCP server
//	mcpauth authz            answer a gateway's auth checks (nginx, Caddy, Traefik, Envoy)
//	mcpauth verify < token   verify with the MCPAUTH_JWT_* environment
//	mcpauth keygen           generate a key pair (PEM) and its JWKS
//	mcpauth token            mint a token signed with a private key
//	mcpauth version          print the module version and VCS revision
//
// # serve
//
// "mcpauth serve" runs an MCP server (the official Go SDK, streamable HTTP,
// stateless, JSON responses) behind this module's middleware. Its one tool,
// whoami, returns the caller's access token (client_id, subject, scopes,
// expires_at, claims; never the raw token) as JSON text and structured
// content. Routes: /mcp (token required), GET /healthz (no token), and the
// RFC 9728 protected resource metadata at
// /.well-known/oauth-protected-resource/mcp and
// /.well-known/oauth-protected-resource. Every 401 carries
// WWW-Authenticate with resource_metadata; a token lacking a required scope
// gets 403 insufficient_scope; while no verification keys are available the
// answer is 503 with Retry-After, and the server recovers by itself.
//
// The verifier comes from the same MCPAUTH_JWT_* variables as "mcpauth
// verify" (a JWKS URI or a PEM key, with MCPAUTH_JWT_ISSUER; or the issuer
// alone, whose metadata names the JWKS URI), or from a
// static token file (MCPAUTH_STATIC_TOKENS_FILE, development only). Several
// issuers in MCPAUTH_JWT_ISSUER, with no key, each have their keys
// discovered from their own metadata; MCPAUTH_JWT_PROVIDERS_FILE lists
// further issuers, each with its own key source, audiences, algorithms and
// required scopes. A token's iss selects the issuer whose keys alone check
// it. Opaque tokens are checked by RFC 7662 introspection
// (MCPAUTH_INTROSPECTION_URL or _ISSUER, _CLIENT_ID, _CLIENT_SECRET,
// _CACHE_MAX_AGE, ...; FastMCP's FASTMCP_SERVER_AUTH_INTROSPECTION_* names
// carry over): alone when no JWT key source is set, otherwise JWS-shaped
// tokens go to the JWT verifier and the others to introspection. The
// resource URL is MCPAUTH_JWT_BASE_URL (default http:// + the listen
// address) + "/mcp", and it is the accepted audience (of JWTs and
// introspected tokens) unless MCPAUTH_JWT_AUDIENCE says otherwise.
//
// With no verifier configured, serve runs a demo: it generates an ephemeral
// RSA key, publishes it at /.well-known/jwks.json on the same server and
// verifies tokens against that JWKS with issuer = the base URL and audience
// = the resource URL, exactly as in production. It prints a token valid for
// one hour and a curl command calling whoami to stdout; this is the only
// case in which a token is ever printed.
//
// # proxy
//
// "mcpauth proxy" authenticates requests to /mcp (and paths below it) the
// same way and forwards the accepted ones to MCPAUTH_UPSTREAM (or -upstream),
// flushing streamed responses and SSE events as they arrive. The client's
// Authorization and DPoP headers are never forwarded (MCP forbids token
// passthrough); the verified identity is sent in X-MCPAuth-Client-ID,
// X-MCPAuth-Subject, X-MCPAuth-Scopes (space-separated), X-MCPAuth-Issuer,
// X-MCPAuth-Expires-At (Unix seconds) and, for a DPoP-bound token,
// X-MCPAuth-DPoP-JKT (the proven key's thumbprint), after every incoming header whose name
// starts with X-MCPAuth- (in any letter case, '_' counting as '-') has been
// removed. A token whose values cannot be sent exactly (not printable
// ASCII, a scope that is not an RFC 6749 scope token) is refused with 401,
// never forwarded with a header left out. Client-sent forwarding headers
// (X-Forwarded-*, Forwarded, X-Real-IP, ...) are replaced by the proxy's
// own unless the peer is in MCPAUTH_TRUSTED_PROXIES; routing overrides
// (X-Original-URL, X-HTTP-Method-Override, ...) are always removed. The
// proxy refuses protocol switches (Upgrade, h2c), methods other than GET,
// HEAD, POST, DELETE and OPTIONS, and paths that are not canonical (path
// parameters, percent-encoding, dot segments), so that the upstream sees
// only requests below its MCP endpoint. Upstream failures are answered 502
// without details. There is no demo mode: a verifier is required.
//
// # authz
//
// "mcpauth authz" answers the checks of a gateway in front of the MCP server
// (nginx auth_request, Traefik forwardAuth, Caddy forward_auth, Envoy
// ext_authz): at every path except /healthz and the metadata routes, 200
// with the proxy's identity headers (all five always present, empty when the
// token has no such value) for an accepted token, else the middleware's
// 401/403/503 challenge and JSON body. The original method and URI are read
// from X-Original-Method/X-Original-URI or X-Forwarded-Method/X-Forwarded-Uri
// only when the check comes from MCPAUTH_TRUSTED_PROXIES (default loopback);
// protocol switches, other methods and non-canonical paths are never
// approved. MCPAUTH_JWT_BASE_URL is required. A policy file with operation
// rules is refused, since gateways send no body to the auth service, unless
// MCPAUTH_UPSTREAM_VALIDATES_MCP_HEADERS=true declares that the MCP server
// refuses requests whose Mcp-Method/Mcp-Name disagree with the body: then
// operations are decided from those headers. Envoy's gRPC ext_authz
// (envoy.service.auth.v3.Authorization/Check) is served on the same address
// over HTTP/2 without TLS.
//
// Both servers are configured from the environment alone (a flag, where
// there is one, wins over its variable), so a container needs no arguments:
// MCPAUTH_ADDR (default 127.0.0.1:8080), MCPAUTH_LOG_LEVEL (debug, info,
// warn, error), MCPAUTH_AUTHORIZATION_SERVERS (default: the issuers),
// MCPAUTH_STATIC_TOKENS_FILE, MCPAUTH_UPSTREAM and MCPAUTH_TRUSTED_PROXIES
// (proxy), the operation policy (MCPAUTH_POLICY_FILE, a JSON file of the
// scopes each tool, resource, prompt and method needs, with
// MCPAUTH_POLICY_DENY_UNLISTED and MCPAUTH_SCOPE_PREFIX; a token lacking
// them gets 403 with a step-up challenge) and the MCPAUTH_JWT_*
// settings (or FastMCP's FASTMCP_SERVER_AUTH_JWT_* names, read as the
// matching MCPAUTH_JWT_* ones; setting both families is an error); "mcpauth
// serve -h" and "mcpauth proxy -h" list them all. An
// unknown MCPAUTH_* variable and every malformed value stop the program with
// exit code 2 and one line naming the variable. Logs (log/slog, text, on
// stderr) give a reason for every rejection and never contain a token; each
// authentication outcome is counted and logged at debug, and the totals at
// shutdown. MCPAUTH_METRICS_ADDR serves Prometheus metrics at /metrics on
// a listener of its own (outcomes and reasons, verification latency, JWKS
// fetches, key count and age, token cache, the proxy's upstream errors);
// the standard OTEL_* variables turn on OpenTelemetry traces (a span per
// authentication with outcome, reason, enduser.id and scopes, never the
// token; the proxy sends W3C traceparent upstream). SIGINT and SIGTERM shut down gracefully (exit 0). A request's
// head must arrive within 10 seconds and the whole request within 30 (the
// response, an SSE stream for example, is not limited); idle connections
// close after 2 minutes; an answer other than a success to a request whose
// body was not read is sent at once and closes the connection.
//
// # verify, keygen, token
//
// "mcpauth verify" builds its verifier exactly as a server built with
// verify.SettingsFromEnv would (with introspection too when
// MCPAUTH_INTROSPECTION_* are set), reads one token from stdin (surrounding
// whitespace trimmed) and prints the access token as JSON. Its exit code says
// what happened: 0 valid; 1 invalid token; 2 configuration or usage error;
// 3 valid but missing a required scope; 4 key source unavailable; 5 I/O
// error. Errors are one line on stderr and never contain the token. With -v
// it also shows the token's iss, aud and exp (read without verification,
// never the token) next to the configured issuers and audiences.
//
// keygen and token are for development and tests: the keys they make are
// not meant for production. "keygen -out DIR" prints the exports
// (MCPAUTH_JWT_PUBLIC_KEY, MCPAUTH_JWT_ISSUER, MCPAUTH_JWT_AUDIENCE) that
// configure verify, serve and proxy for tokens minted by "token" with its
// default issuer and audience; token's -typ at+jwt and -client-id mint RFC
// 9068 access tokens.
//
// "mcpauth version" prints the module version, VCS revision, commit time
// and Go version from the binary's build information.
package main
