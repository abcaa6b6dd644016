//go:build !linux

package redistest

import "os/exec"

// dieWithParent does nothing outside Linux: cleanups stop the server.
func dieWithParent(*exec.Cmd) {}
