package testkeystest

import (
	"sync"
	"testing"

	"github.com/mcpauth/mcpauth/testkeys"
)

// lazy generates a key pair once per process.
type lazy struct {
	once sync.Once
	kp   *testkeys.KeyPair
	err  error
}

// get returns the pair, generating it on first use; it fails tb if
// generation failed.
func (l *lazy) get(tb testing.TB, what string, gen func() (*testkeys.KeyPair, error)) *testkeys.KeyPair {
	tb.Helper()
	l.once.Do(func() { l.kp, l.err = gen() })
	if l.err != nil {
		tb.Fatalf("testkeystest: generating the shared %s key pair: %v", what, l.err)
	}
	return l.kp
}

var (
	sharedRSA     lazy
	sharedEC      lazy
	sharedEd25519 lazy
)

// SharedRSAKeyPair returns an RSA-2048 key pair generated on first use and
// shared by every caller in the process (the test binary), so that tests do
// not each pay for RSA key generation. Tests that need a key of their own,
// or two different keys, should call testkeys.GenerateRSAKeyPair.
func SharedRSAKeyPair(tb testing.TB) *testkeys.KeyPair {
	tb.Helper()
	return sharedRSA.get(tb, "RSA", testkeys.GenerateRSAKeyPair)
}

// SharedECKeyPair returns a P-256 key pair shared by every caller in the
// process; see [SharedRSAKeyPair].
func SharedECKeyPair(tb testing.TB) *testkeys.KeyPair {
	tb.Helper()
	return sharedEC.get(tb, "ECDSA", testkeys.GenerateECKeyPair)
}

// SharedEd25519KeyPair returns an Ed25519 key pair shared by every caller in
// the process; see [SharedRSAKeyPair].
func SharedEd25519KeyPair(tb testing.TB) *testkeys.KeyPair {
	tb.Helper()
	return sharedEd25519.get(tb, "Ed25519", testkeys.GenerateEd25519KeyPair)
}
