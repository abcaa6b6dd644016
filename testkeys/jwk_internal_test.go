package testkeys

import (
	"crypto/rsa"
	"encoding/base64"
	"math/big"
	"testing"
)

// TestRSAJWKThumbprintRFC7638 checks the n and e encoding of RSA pairs
// against the key and thumbprint of RFC 7638 §3.1.
func TestRSAJWKThumbprintRFC7638(t *testing.T) {
	const (
		n    = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
		want = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
	)
	nb, err := base64.RawURLEncoding.DecodeString(n)
	if err != nil {
		t.Fatal(err)
	}
	jwk := rsaJWK(&rsa.PublicKey{N: new(big.Int).SetBytes(nb), E: 65537})
	if jwk.N != n || jwk.E != "AQAB" {
		t.Errorf("rsaJWK() n, e = %q, %q", jwk.N, jwk.E)
	}
	got, err := jwk.Thumbprint()
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("thumbprint = %q, want %q", got, want)
	}
}
