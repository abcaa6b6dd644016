package testkeys

import (
	"net/http"
	"strconv"
)

// JWKSHandler returns a handler that serves the JWK Set of keys (see [JWKS])
// at whatever path it is mounted on, to GET and HEAD requests, with
// Content-Type application/json. Other methods get 405. The document is built
// once; the handler is safe for concurrent use.
//
// It suits development servers that publish an ephemeral key; tests should
// prefer [NewJWKSServer].
func JWKSHandler(keys ...*KeyPair) (http.Handler, error) {
	doc, err := JWKS(keys...)
	if err != nil {
		return nil, err
	}
	return staticJWKS(doc), nil
}

// staticJWKS serves a fixed JWK Set document.
type staticJWKS []byte

// ServeHTTP implements http.Handler.
func (h staticJWKS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !allowedMethod(w, r) {
		return
	}
	writeDocument(w, h)
}

// allowedMethod answers 405 and returns false unless r is a GET or HEAD.
func allowedMethod(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
	return false
}

// writeDocument writes doc as a 200 application/json response.
func writeDocument(w http.ResponseWriter, doc []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(doc)
}
