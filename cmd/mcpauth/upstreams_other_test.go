//go:build !linux

package main

import "os/exec"

// dieWithTests does nothing here: only Linux has a parent-death signal.
// TestMain still stops the upstreams after a normal run.
func dieWithTests(*exec.Cmd) {}
