package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionText(t *testing.T) {
	for _, tt := range []struct {
		name string
		bi   *debug.BuildInfo
		want []string
		not  []string
	}{
		{"release", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/mcpauth/mcpauth", Version: "v1.2.3"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "false"}}},
			[]string{"mcpauth v1.2.3\n", "module   github.com/mcpauth/mcpauth\n", "revision 0123abcd\n", "time     2026-12-01T10:00:00Z\n", "go       go1.26.8\n"}, []string{"modified"}},
		{"modified work tree", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/mcpauth/mcpauth", Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.modified", Value: "true"}}},
			[]string{"mcpauth (devel)\n", "revision 0123abcd+modified\n"}, []string{"time "}},
		{"no VCS", &debug.BuildInfo{GoVersion: "go1.26.8"}, []string{"mcpauth (devel)\n", "go       go1.26.8\n"}, []string{"revision", "module"}},
		{"no build information", nil, []string{"no build information"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := versionText(tt.bi)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q in:\n%s", w, got)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("unexpected %q in:\n%s", n, got)
				}
			}
		})
	}
}

// TestVersionCommand runs "mcpauth version" in this (test) binary, whose
// build information names at least the Go version.
func TestVersionCommand(t *testing.T) {
	code, out, _ := runCmd(t, "", nil, "version")
	bi, _ := debug.ReadBuildInfo()
	if code != exitOK || out != versionText(bi) || !strings.HasPrefix(out, "mcpauth ") || !strings.Contains(out, "go       go") {
		t.Fatalf("exit %d: %q", code, out)
	}
	if code, _, _ := runCmd(t, "", nil, "version", "extra"); code != exitUsage {
		t.Errorf("version with an argument: exit %d", code)
	}
}
