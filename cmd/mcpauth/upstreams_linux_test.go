package main

import (
	"os/exec"
	"syscall"
)

// dieWithTests makes the kernel kill cmd when the test binary exits
// without reaching TestMain's cleanup (a panic, a -timeout).
func dieWithTests(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
