package jose

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestAudience(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   any
		want []string // nil: refused
	}{
		{"string", "https://a", []string{"https://a"}},
		{"array", []any{"https://a", "https://b"}, []string{"https://a", "https://b"}},
		{"missing", nil, nil},
		{"empty array", []any{}, nil},
		{"non-string member", []any{"https://a", json.Number("1")}, nil},
		{"number", json.Number("1"), nil},
		{"object", map[string]any{}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Audience(tt.in)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("Audience(%v) = %v; want an error", tt.in, got)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("Audience(%v) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}
