package main

// cors.go decides what browsers may do with the MCP endpoint: CORS headers and
// the preflight answer.

import (
	"net/http"

	"github.com/mcpauth/mcpauth/middleware"
)

// CORS for the MCP endpoint. Browsers send preflights without credentials;
// the MCP headers below must be allowed for a browser-based client to work,
// and WWW-Authenticate exposed so that it can discover the metadata.
const (
	corsAllowMethods  = "GET, POST, DELETE, OPTIONS"
	corsAllowHeaders  = "Authorization, Content-Type, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID"
	corsExposeHeaders = "Mcp-Session-Id, MCP-Protocol-Version, WWW-Authenticate"
	corsMaxAge        = "600"
)

// withCORS lets browsers read every response of the MCP endpoint, including
// the 401 challenges. Bearer tokens are not CORS credentials (cookies are),
// so any origin may be allowed.
func withCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Origin") != "" {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", "*")
			h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		}
		next.ServeHTTP(w, r)
	})
}

// answerPreflight answers the CORS preflights that middleware.New let
// through (WithCORSPreflight); every other request reaching it carries an
// accepted token. It fails closed on anything else.
func answerPreflight(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := middleware.AccessTokenFrom(r.Context()); ok {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method != http.MethodOptions {
			http.Error(w, `{"error":"server_error","error_description":"the server cannot authorize this request"}`, http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Methods", corsAllowMethods)
		h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
		h.Set("Access-Control-Max-Age", corsMaxAge)
		w.WriteHeader(http.StatusNoContent)
	})
}
