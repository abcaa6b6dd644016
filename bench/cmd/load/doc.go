// Command load is the Go side of bench/load.sh (`make bench-load`), the
// side-by-side load test of mcpauth proxy, oauth2-proxy, a plain
// httputil.ReverseProxy and nginx on loopback. Its subcommands:
//
//	load upstream -addr A             the MCP server stand-in: 200 and a small JSON-RPC result
//	load plain -addr A -upstream URL [-buffer-bodies]
//	                                  httputil.ReverseProxy without auth, with mcpauth
//	                                  proxy's transport settings, buffer pool and flushing
//	                                  (and its request-body buffering)
//	load issuer -addr A -aud AUD -tokens N -out FILE
//	                                  an RS256 key's JWK Set and OpenID configuration on
//	                                  http://A, and N tokens for AUD (one per client)
//	load report -in RESULTS -out RESULTS.md [-cmd C] [-settings S] [-noise N]
//	                                  medians, ratios and targets of the wrk runs, into the
//	                                  load section of RESULTS.md (the rest of the file is kept)
package main
