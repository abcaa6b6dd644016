package mcpauth

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestAccessTokenDPoPJSON keeps the DPoP thumbprint in the JSON form, and
// out of it for bearer tokens.
func TestAccessTokenDPoPJSON(t *testing.T) {
	at := AccessToken{Token: "secret", ClientID: "c", DPoPThumbprint: "jkt-1"}
	b, err := json.Marshal(at)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"dpop_jkt":"jkt-1"`) || strings.Contains(string(b), "secret") {
		t.Fatalf("JSON %s", b)
	}
	var back AccessToken
	if err := json.Unmarshal(b, &back); err != nil || back.DPoPThumbprint != "jkt-1" || !back.SenderConstrained() {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	b, _ = json.Marshal(AccessToken{ClientID: "c"})
	if strings.Contains(string(b), "dpop") || (&AccessToken{}).SenderConstrained() {
		t.Fatalf("bearer token JSON %s", b)
	}
}
