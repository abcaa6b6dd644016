package main

// Real upstream servers for the proxy tests: hypercorn (an ASGI server that
// honours "Upgrade: h2c" and WebSocket upgrades) and Tomcat 10.1 (a servlet
// container that resolves path parameters and encoded dot segments), both
// from Debian packages (python3-hypercorn, tomcat10; .ci/run installs them).
// Each is started at most once per test binary, on loopback, and stopped by
// TestMain. When one is missing, its tests fail in CI (CI set) and are
// skipped elsewhere.

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

const (
	upstreamsDir = "testdata/upstreams"
	// upstreamStartTimeout is generous: CI machines are shared.
	upstreamStartTimeout = 90 * time.Second
	installHint          = "apt-get install -y tomcat10 python3-hypercorn (.ci/run does)"
)

// errNotInstalled marks an upstream whose package is missing.
var errNotInstalled = errors.New("not installed")

func TestMain(m *testing.M) {
	code := m.Run()
	stopUpstreams()
	os.Exit(code)
}

// externalUpstream is one started server process.
type externalUpstream struct {
	once sync.Once
	url  string // http://127.0.0.1:port
	err  error
	cmd  *exec.Cmd
	dir  string // removed at the end; "" for none
	logs *syncBuffer
}

// upstreams lists every upstream that a test may start.
var upstreams = []*externalUpstream{&hypercorn}

var hypercorn externalUpstream

func stopUpstreams() {
	for _, u := range upstreams {
		if u.cmd != nil && u.cmd.Process != nil {
			u.cmd.Process.Kill()
			u.cmd.Wait()
		}
		if u.dir != "" {
			os.RemoveAll(u.dir)
		}
	}
}

// inCI reports whether the tests run in CI, where every test must run.
func inCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "false" && v != "0"
}

// requireUpstream fails the test if the upstream could not be started; a
// missing package skips it outside CI.
func requireUpstream(t *testing.T, name string, u *externalUpstream) string {
	t.Helper()
	if u.err == nil {
		return u.url
	}
	if errors.Is(u.err, errNotInstalled) && !inCI() {
		t.Skipf("%s: %v; install with %s", name, u.err, installHint)
	}
	t.Fatalf("%s: %v (install with %s)", name, u.err, installHint)
	return ""
}

// hypercornUpstream returns the base URL of the shared hypercorn serving
// testdata/upstreams/asgi_app.py.
func hypercornUpstream(t *testing.T) string {
	t.Helper()
	hypercorn.once.Do(func() { hypercorn.err = startHypercorn(&hypercorn) })
	return requireUpstream(t, "hypercorn", &hypercorn)
}

func startHypercorn(u *externalUpstream) error {
	// Debian's script, not a pyenv or virtualenv shim that may lack it.
	bin := "/usr/bin/hypercorn"
	if _, err := os.Stat(bin); err != nil {
		if bin, err = exec.LookPath("hypercorn"); err != nil {
			return fmt.Errorf("hypercorn: %w", errNotInstalled)
		}
	}
	// hypercorn serves a listening socket it inherits (fd 3): no port race.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	f, err := ln.(*net.TCPListener).File()
	addr := ln.Addr().String()
	ln.Close()
	if err != nil {
		return err
	}
	defer f.Close()
	u.logs = &syncBuffer{}
	u.cmd = exec.Command(bin, "--bind", "fd://3", "--workers", "1", "asgi_app:app")
	u.cmd.Dir = upstreamsDir
	u.cmd.ExtraFiles = []*os.File{f}
	u.cmd.Stdout, u.cmd.Stderr = u.logs, u.logs
	if err := u.cmd.Start(); err != nil {
		return fmt.Errorf("starting hypercorn: %w", err)
	}
	u.url = "http://" + addr
	return waitReady(u, u.url+"/__seen")
}

// waitReady polls url until it answers 200.
func waitReady(u *externalUpstream, url string) error {
	deadline := time.Now().Add(upstreamStartTimeout)
	client := &http.Client{Timeout: 5 * time.Second}
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer within %v (%v); logs:\n%s", url, upstreamStartTimeout, err, u.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// seenRecord is what the ASGI application records for each request.
type seenRecord struct {
	Type        string              `json:"type"`
	Method      string              `json:"method"`
	Path        string              `json:"path"`
	RawPath     string              `json:"raw_path"`
	HTTPVersion string              `json:"http_version"`
	Headers     map[string][]string `json:"headers"`
}

// hypercornSeen returns every request the ASGI application has recorded.
func hypercornSeen(t *testing.T, base string) []seenRecord {
	t.Helper()
	resp, err := http.Get(base + "/__seen")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []seenRecord
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decoding /__seen: %v", err)
	}
	return out
}
