package testkeys_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

func TestJWKSHandler(t *testing.T) {
	kp := testkeystest.SharedEd25519KeyPair(t)
	h, err := testkeys.JWKSHandler(kp)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := testkeys.JWKS(kp)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method   string
		path     string
		status   int
		body     string
		allow    string
		jsonType bool
	}{
		{http.MethodGet, "/jwks", http.StatusOK, string(doc), "", true},
		{http.MethodGet, "/any/other/path", http.StatusOK, string(doc), "", true},
		{http.MethodHead, "/jwks", http.StatusOK, "", "", true},
		{http.MethodPost, "/jwks", http.StatusMethodNotAllowed, "Method Not Allowed\n", "GET, HEAD", false},
		{http.MethodDelete, "/jwks", http.StatusMethodNotAllowed, "Method Not Allowed\n", "GET, HEAD", false},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			srv := httptest.NewServer(h)
			defer srv.Close()
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, body := do(t, req)
			if resp.StatusCode != tc.status || body != tc.body {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, body, tc.status, tc.body)
			}
			if got := resp.Header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow = %q, want %q", got, tc.allow)
			}
			if tc.jsonType {
				if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q, want application/json", ct)
				}
				if cl := resp.Header.Get("Content-Length"); cl != strconv.Itoa(len(doc)) {
					t.Errorf("Content-Length = %q, want %d", cl, len(doc))
				}
			}
		})
	}
}

func TestJWKSHandlerRejectsNilKey(t *testing.T) {
	h, err := testkeys.JWKSHandler(testkeystest.SharedEd25519KeyPair(t), nil)
	if h != nil || !errors.Is(err, testkeys.ErrInvalidKey) {
		t.Errorf("JWKSHandler(nil) = %v, %v; want nil, ErrInvalidKey", h, err)
	}
}
