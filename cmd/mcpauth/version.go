package main

// version.go: "mcpauth version", the module version and VCS revision the
// binary was built from (runtime/debug build information).

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// buildVersion returns the main module's version, "(devel)" for a build
// from a work tree.
func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// versionText describes a build: module version, VCS revision (with
// "+modified" when the work tree had changes), commit time and Go version.
// bi may be nil (no build information).
func versionText(bi *debug.BuildInfo) string {
	if bi == nil {
		return "mcpauth (no build information)\n"
	}
	version := bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "mcpauth %s\n", version)
	if bi.Main.Path != "" {
		fmt.Fprintf(&b, "module   %s\n", bi.Main.Path)
	}
	vcs := map[string]string{}
	for _, s := range bi.Settings {
		vcs[s.Key] = s.Value
	}
	if rev := vcs["vcs.revision"]; rev != "" {
		if vcs["vcs.modified"] == "true" {
			rev += "+modified"
		}
		fmt.Fprintf(&b, "revision %s\n", rev)
	}
	if t := vcs["vcs.time"]; t != "" {
		fmt.Fprintf(&b, "time     %s\n", t)
	}
	fmt.Fprintf(&b, "go       %s\n", bi.GoVersion)
	return b.String()
}

func runVersion(args []string, e env) int {
	if len(args) != 0 {
		return e.failf(exitUsage, "version takes no arguments")
	}
	bi, _ := debug.ReadBuildInfo()
	if _, err := io.WriteString(e.stdout, versionText(bi)); err != nil {
		return exitInternal
	}
	return exitOK
}
