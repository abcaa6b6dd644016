package testkeys_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestUsableInBinaries keeps package testkeys free of testing and
// net/http/httptest, so that a development binary (mcpauth serve's demo)
// can use it; the testing.TB helpers live in testkeys/testkeystest.
func TestUsableInBinaries(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "testing" || dep == "net/http/httptest" {
			t.Errorf("testkeys compiles %s", dep)
		}
	}
}
