package mcpauth

import (
	"encoding/json"
	"errors"
	"reflect"
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

func TestCheckScopes(t *testing.T) {
	at := &AccessToken{ClientID: "app", Scopes: []string{"read", "write"}}
	if err := at.CheckScopes([]string{"read"}); err != nil {
		t.Fatalf("CheckScopes(read) = %v, want nil", err)
	}
	err := at.CheckScopes([]string{"admin", "read", "deploy"})
	var ise *InsufficientScopeError
	if !errors.As(err, &ise) || !errors.Is(err, ErrInsufficientScope) {
		t.Fatalf("CheckScopes = %v, want an *InsufficientScopeError", err)
	}
	want := &InsufficientScopeError{Required: []string{"admin", "read", "deploy"}, Missing: []string{"admin", "deploy"}, ClientID: "app", Granted: []string{"read", "write"}}
	if !reflect.DeepEqual(ise, want) {
		t.Errorf("CheckScopes = %+v, want %+v", ise, want)
	}
	if got := ise.Error(); got != "insufficient scope: missing admin deploy" {
		t.Errorf("Error() = %q", got)
	}
	// The error owns its slices: changing the token does not change it.
	at.Scopes[0] = "changed"
	if ise.Granted[0] != "read" {
		t.Errorf("Granted shares the token's slice: %v", ise.Granted)
	}
}
