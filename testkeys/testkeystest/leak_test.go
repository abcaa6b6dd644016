package testkeystest_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when a goroutine they started is
// still running after the last test (go.uber.org/goleak).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
