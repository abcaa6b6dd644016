package urlrule

import "testing"

func TestCheck(t *testing.T) {
	strict := Rules{HTTPS: true, NoUserInfo: true, NoQuery: true, Quotable: true}
	for _, tc := range []struct {
		name      string
		raw       string
		rules     Rules
		want      string // "" = accepted
		plainHTTP bool
	}{
		{"https", "https://as.example.com/jwks", strict, "", false},
		{"http loopback v4", "http://127.0.0.1:8080/jwks", strict, "", false},
		{"http loopback v6", "http://[::1]:8080/jwks", strict, "", false},
		{"http localhost", "http://LocalHost/jwks", strict, "", false},
		{"http remote", "http://as.example.com/jwks", strict, "uses plain http on a non-loopback host", true},
		{"http remote allowed", "http://as.example.com/jwks", Rules{HTTPS: true, InsecurePlainHTTP: true}, "", false},
		{"http remote without HTTPS rule", "http://as.example.com/jwks", Rules{}, "", false},
		{"empty", "", strict, "is empty", false},
		{"bad escape", "https://as.example.com/%zz", strict, "is not a URL", false},
		{"relative", "/jwks", strict, "is not absolute (no scheme)", false},
		{"ftp", "ftp://as.example.com/jwks", strict, `has scheme "ftp"`, false},
		{"opaque", "https:as.example.com", strict, "is not hierarchical", false},
		{"no host", "https:///jwks", strict, "has no host", false},
		{"port only", "https://:443/jwks", strict, "has no host", false},
		{"fragment", "https://as.example.com/jwks#x", strict, "must not contain a fragment", false},
		{"empty fragment", "https://as.example.com/jwks#", strict, "must not contain a fragment", false},
		{"user info", "https://u:p@as.example.com/jwks", strict, "must not contain user information", false},
		{"user info allowed", "https://u:p@as.example.com/jwks", Rules{HTTPS: true}, "", false},
		{"query", "https://as.example.com/jwks?a=b", strict, "must not have a query", false},
		{"empty query", "https://as.example.com/jwks?", strict, "must not have a query", false},
		{"quote", `https://as.example.com/a"b`, strict, "contains a character not allowed", false},
		{"non-ASCII", "https://as.example.com/é", strict, "contains a character not allowed", false},
		{"control", "https://as.example.com/a\nb", strict, "contains a character not allowed", false},
		{"zone is not loopback", "http://[fe80::1%25eth0]/jwks", strict, "uses plain http", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, p := Check(tc.raw, tc.rules)
			switch {
			case tc.want == "" && p != nil:
				t.Fatalf("Check(%q) = %q, want accepted", tc.raw, p.Text)
			case tc.want != "" && p == nil:
				t.Fatalf("Check(%q) accepted, want %q", tc.raw, tc.want)
			case p != nil && (len(p.Text) < len(tc.want) || p.Text[:len(tc.want)] != tc.want):
				t.Fatalf("Check(%q) = %q, want prefix %q", tc.raw, p.Text, tc.want)
			case p != nil && p.PlainHTTP != tc.plainHTTP:
				t.Fatalf("Check(%q).PlainHTTP = %v, want %v", tc.raw, p.PlainHTTP, tc.plainHTTP)
			}
			if p != nil && len(p.Text) > 0 && containsPassword(p.Text) {
				t.Fatalf("problem text shows the password: %q", p.Text)
			}
		})
	}
}

func containsPassword(s string) bool {
	for i := 0; i+2 <= len(s); i++ {
		if s[i:i+2] == ":p" {
			return true
		}
	}
	return false
}

func TestIsLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST": true, "127.0.0.1": true, "127.9.9.9": true,
		"::1": true, "::ffff:127.0.0.1": true, "fe80::1%eth0": false, "::1%lo": false,
		"example.com": false, "10.0.0.1": false, "localhost.example.com": false, "": false,
	} {
		if got := IsLoopbackHost(host); got != want {
			t.Errorf("IsLoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestDowngrade(t *testing.T) {
	for _, tc := range []struct {
		origin, found string
		want          bool
	}{
		{"https://as.example.com", "http://127.0.0.1/jwks", true},
		{"https://as.example.com", "http://as.example.com/jwks", true},
		{"https://as.example.com", "https://keys.example.com/jwks", false},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/jwks", false},
	} {
		u, p := Check(tc.found, Rules{})
		if p != nil {
			t.Fatal(p.Text)
		}
		if got := Downgrade(tc.origin, u); got != tc.want {
			t.Errorf("Downgrade(%q, %q) = %v, want %v", tc.origin, tc.found, got, tc.want)
		}
	}
}
