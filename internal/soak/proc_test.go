//go:build soak

package soak

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary builds cmd/mcpauth into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mcpauth")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/mcpauth/mcpauth/cmd/mcpauth")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is one running mcpauth command.
type process struct {
	name   string
	cmd    *exec.Cmd
	stderr string        // file with the process's standard error
	url    string        // listen URL
	exited chan struct{} // closed when the process has exited
	err    error         // its exit status, once exited is closed
}

var listenLine = regexp.MustCompile(`msg="mcpauth: listening".* url=(\S+)`)

// start runs "mcpauth <command>" with exactly env (plus PATH) and waits
// until it logs its listen URL. The process is killed when the test ends
// if it is still running.
func start(t *testing.T, bin, name, command string, env []string) *process {
	t.Helper()
	p := &process{name: name, stderr: filepath.Join(t.TempDir(), name+".stderr"), exited: make(chan struct{})}
	f, err := os.Create(p.stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p.cmd = exec.Command(bin, command)
	p.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "GOTRACEBACK=all"}, env...)
	p.cmd.Stdout, p.cmd.Stderr = nil, f
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(p.stderr)
		if m := listenLine.FindSubmatch(b); m != nil {
			p.url = string(m[1])
			return p
		}
		select {
		case <-p.exited:
			t.Fatalf("%s exited before listening (%v):\n%s", name, p.err, b)
		case <-time.After(50 * time.Millisecond):
		}
	}
	b, _ := os.ReadFile(p.stderr)
	t.Fatalf("%s did not log its listen URL within 30s:\n%s", name, b)
	return nil
}

// usage is what /proc says about a process.
type usage struct {
	rssKiB  int64
	fds     int
	threads int
}

func (u usage) String() string {
	return fmt.Sprintf("RSS %.1f MiB, %d fds, %d threads", float64(u.rssKiB)/1024, u.fds, u.threads)
}

// usage reads VmRSS and Threads from /proc/<pid>/status and counts
// /proc/<pid>/fd.
func (p *process) usage(t *testing.T) usage {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d", p.cmd.Process.Pid)
	f, err := os.Open(dir + "/status")
	if err != nil {
		t.Fatalf("%s: %v", p.name, err)
	}
	defer f.Close()
	var u usage
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, _ := strings.Cut(s.Text(), ":")
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(fields[0], 10, 64)
		switch k {
		case "VmRSS":
			u.rssKiB = n
		case "Threads":
			u.threads = int(n)
		}
	}
	fds, err := os.ReadDir(dir + "/fd")
	if err != nil {
		t.Fatalf("%s: %v", p.name, err)
	}
	u.fds = len(fds)
	if u.rssKiB == 0 {
		t.Fatalf("%s: no VmRSS in %s/status", p.name, dir)
	}
	return u
}

// goroutineHeader matches the first line of each goroutine in a dump,
// "goroutine 7 [select]:" or, as on SIGQUIT, "goroutine 7 gp=0x… m=nil
// [select]:".
var goroutineHeader = regexp.MustCompile(`(?m)^goroutine \d+ (?:gp=\S+ m=\S+ (?:mp=\S+ )?)?\[`)

// goroutines ends the process with SIGQUIT, on which the Go runtime prints
// every goroutine's stack (GOTRACEBACK=all) and exits, and returns how
// many goroutines the dump lists and the dump itself.
func (p *process) goroutines(t *testing.T) (int, string) {
	t.Helper()
	before, _ := os.ReadFile(p.stderr)
	if err := p.cmd.Process.Signal(syscall.SIGQUIT); err != nil {
		t.Fatalf("%s: SIGQUIT: %v", p.name, err)
	}
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not exit on SIGQUIT", p.name)
	}
	b, err := os.ReadFile(p.stderr)
	if err != nil {
		t.Fatal(err)
	}
	dump := string(bytes.TrimPrefix(b, before))
	n := len(goroutineHeader.FindAllStringIndex(dump, -1))
	if n == 0 {
		t.Fatalf("%s: no goroutine dump after SIGQUIT:\n%s", p.name, dump)
	}
	return n, dump
}

// goroutineKinds counts the program's goroutines in a dump by the first
// function of their stack outside the runtime and where they were created.
// Goroutines that run only runtime code (GC workers, started lazily, the
// scavenger, finalizers, …) are left out.
func goroutineKinds(dump string) map[string]int {
	kinds := map[string]int{}
	for _, block := range strings.Split(dump, "\n\n") {
		if !goroutineHeader.MatchString(block) {
			continue
		}
		var top, created string
		for _, line := range strings.Split(block, "\n")[1:] {
			switch {
			case strings.HasPrefix(line, "created by "):
				created, _, _ = strings.Cut(strings.TrimPrefix(line, "created by "), " in goroutine")
			case top == "" && !strings.HasPrefix(line, "\t") && !strings.HasPrefix(line, "runtime."):
				top, _, _ = strings.Cut(line, "(")
			}
		}
		if top != "" {
			kinds[top+" (created by "+created+")"]++
		}
	}
	return kinds
}

// total adds up the counts.
func total(kinds map[string]int) int {
	n := 0
	for _, v := range kinds {
		n += v
	}
	return n
}
