package testkeys

import (
	"sync"
	"testing"
)

// lazy generates a value once per process.
type lazy[T any] struct {
	once sync.Once
	v    T
	err  error
}

// get returns the value, generating it on first use; it fails tb if
// generation failed.
func (l *lazy[T]) get(tb testing.TB, what string, gen func() (T, error)) T {
	tb.Helper()
	l.once.Do(func() { l.v, l.err = gen() })
	if l.err != nil {
		tb.Fatalf("testkeys: generating the shared %s key pair: %v", what, l.err)
	}
	return l.v
}

var (
	sharedRSA     lazy[*RSAKeyPair]
	sharedEC      lazy[*ECKeyPair]
	sharedEd25519 lazy[*Ed25519KeyPair]
)

// SharedRSAKeyPair returns an RSA-2048 key pair generated on first use and
// shared by every caller in the process (the test binary), so that tests do
// not each pay for RSA key generation. Tests that need a key of their own,
// or two different keys, should call [GenerateRSAKeyPair].
func SharedRSAKeyPair(tb testing.TB) *RSAKeyPair {
	tb.Helper()
	return sharedRSA.get(tb, "RSA", GenerateRSAKeyPair)
}

// SharedECKeyPair returns a P-256 key pair shared by every caller in the
// process; see [SharedRSAKeyPair].
func SharedECKeyPair(tb testing.TB) *ECKeyPair {
	tb.Helper()
	return sharedEC.get(tb, "ECDSA", GenerateECKeyPair)
}

// SharedEd25519KeyPair returns an Ed25519 key pair shared by every caller in
// the process; see [SharedRSAKeyPair].
func SharedEd25519KeyPair(tb testing.TB) *Ed25519KeyPair {
	tb.Helper()
	return sharedEd25519.get(tb, "Ed25519", GenerateEd25519KeyPair)
}
