package sdkauth

import (
	"testing"

	"github.com/mcpauth/mcpauth/verify"
)

// The SDK must allow at least the largest leeway a verifier accepts.
func TestMaxLeewayMatchesVerify(t *testing.T) {
	if maxLeeway != verify.MaxLeeway {
		t.Fatalf("maxLeeway = %v, verify.MaxLeeway = %v", maxLeeway, verify.MaxLeeway)
	}
}
