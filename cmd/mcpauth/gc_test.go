package main

import (
	"runtime/debug"
	"testing"
)

func TestSetServerGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })

	for _, tc := range []struct {
		name    string
		environ []string
		want    int // GOGC afterwards
	}{
		{"unset", []string{"PATH=/bin", "MCPAUTH_ADDR=:8000"}, serverGCPercent},
		{"GOGC set", []string{"GOGC=50"}, 100},
		{"GOGC off", []string{"GOGC=off"}, 100},
		{"GOMEMLIMIT set", []string{"GOMEMLIMIT=256MiB"}, 100},
		{"a name that only ends in GOGC", []string{"XGOGC=50"}, serverGCPercent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetGCPercent(100)
			changed := setServerGC(tc.environ)
			if got := debug.SetGCPercent(100); got != tc.want {
				t.Errorf("GOGC after setServerGC(%q) = %d, want %d", tc.environ, got, tc.want)
			}
			if changed != (tc.want == serverGCPercent) {
				t.Errorf("setServerGC(%q) reported changed=%v", tc.environ, changed)
			}
		})
	}
}
