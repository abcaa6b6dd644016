package scopetoken

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestRule is the one table of the scope rule: each input as one scope
// (Valid, Check) and as a scope string (Split).
func TestRule(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		valid bool     // one scope token
		split []string // nil: Split refuses the string
	}{
		{"plain", "read", true, []string{"read"}},
		{"URI scope", "api://app/files.read", true, []string{"api://app/files.read"}},
		{"every allowed punctuation", "!#$%&'()*+,-./:;<=>?@[]^_`{|}~", true, []string{"!#$%&'()*+,-./:;<=>?@[]^_`{|}~"}},
		{"empty", "", false, []string{}},
		{"two scopes", "read write", false, []string{"read", "write"}},
		{"runs of spaces", "  read   write ", false, []string{"read", "write"}},
		{"spaces only", "   ", false, []string{}},
		{"quote", `read"write`, false, nil},
		{"backslash", `read\write`, false, nil},
		{"tab", "read\twrite", false, nil},
		{"newline", "read\nwrite", false, nil},
		{"carriage return", "read\rwrite", false, nil},
		{"vertical tab", "read\vwrite", false, nil},
		{"form feed", "read\fwrite", false, nil},
		{"NUL", "read\x00", false, nil},
		{"DEL", "read\x7f", false, nil},
		{"no-break space", "read\u00a0admin", false, nil},
		{"line separator", "read\u2028admin", false, nil},
		{"paragraph separator", "read\u2029admin", false, nil},
		{"next line", "read\u0085admin", false, nil},
		{"ideographic space", "read\u3000admin", false, nil},
		{"em space", "read\u2003admin", false, nil},
		{"zero width space", "read\u200badmin", false, nil},
		{"non-ASCII letter", "lecture-é", false, nil},
		{"invalid UTF-8", "read\xffadmin", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Valid(tt.in); got != tt.valid {
				t.Errorf("Valid(%q) = %v, want %v", tt.in, got, tt.valid)
			}
			err := Check(tt.in)
			if (err == nil) != tt.valid {
				t.Errorf("Check(%q) = %v, want valid %v", tt.in, err, tt.valid)
			}
			if tt.in == "" && !errors.Is(err, ErrEmpty) {
				t.Errorf("Check(\"\") = %v, want ErrEmpty", err)
			}
			if err != nil && tt.in != "" && !strings.Contains(err.Error(), "RFC 6749") {
				t.Errorf("Check(%q) = %q, want the rule named", tt.in, err)
			}
			got, ok := Split(tt.in)
			if ok != (tt.split != nil) || !slices.Equal(got, tt.split) || (ok && got == nil) {
				t.Errorf("Split(%q) = %q, %v; want %q", tt.in, got, ok, tt.split)
			}
			for _, s := range got {
				if !Valid(s) {
					t.Errorf("Split(%q) yields %q, not a scope token", tt.in, s)
				}
			}
			for i := 0; i < len(tt.in); i++ {
				c := tt.in[i]
				want := c > ' ' && c < 0x7f && c != '"' && c != '\\'
				if IsChar(c) != want {
					t.Errorf("IsChar(%#x) = %v", c, !want)
				}
			}
		})
	}
}

// FuzzSplit: Split never yields anything but scope tokens, and refuses
// exactly the strings holding a character that is neither a space nor a
// scope character.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{"read write", "a\u00a0b", "a\tb", " x ", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := Split(s)
		clean := !strings.ContainsFunc(s, func(r rune) bool { return r != ' ' && (r > 0x7e || !IsChar(byte(r))) })
		if ok != clean {
			t.Fatalf("Split(%q) ok = %v, want %v", s, ok, clean)
		}
		if !ok {
			return
		}
		if want := strings.Fields(s); !slices.Equal(got, want) {
			t.Fatalf("Split(%q) = %q, want %q", s, got, want)
		}
	})
}

func BenchmarkSplit(b *testing.B) {
	for b.Loop() {
		Split("openid profile email files:read files:write")
	}
}
