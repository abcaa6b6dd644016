// Package redistest starts a real redis-server (Debian's redis-server
// package; .ci/run installs it) on 127.0.0.1 for tests: no persistence, a
// free port, stopped when the test ends. Only tests import it.
//
// When the binary is missing, the test is skipped, except in CI (the CI
// variable set and not "false" or "0"), where it fails.
package redistest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds how long the server may take to answer PING.
const startTimeout = 30 * time.Second

// installHint says how to get the binary.
const installHint = "apt-get install -y redis-server (.ci/run does)"

// Server is one redis-server process.
type Server struct {
	// Addr is its address, 127.0.0.1:port.
	Addr string

	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	logs *syncBuffer

	stopOnce sync.Once
}

// URL returns redis://Addr/0.
func (s *Server) URL() string { return "redis://" + s.Addr + "/0" }

// Start starts a redis-server and stops it when tb ends. A missing binary
// skips the test, or fails it in CI.
func Start(tb testing.TB, extraArgs ...string) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if inCI() {
			tb.Fatalf("redis-server is not installed (install with %s)", installHint)
		}
		tb.Skipf("redis-server is not installed; install with %s", installHint)
	}
	var last error
	for range 5 { // another process may take the port between probe and start
		s, err := start(bin, extraArgs)
		if err == nil {
			tb.Cleanup(s.Stop)
			return s
		}
		last = err
	}
	tb.Fatalf("starting redis-server: %v", last)
	return nil
}

func start(bin string, extraArgs []string) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), done: make(chan struct{}), logs: &syncBuffer{}}
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes", "--dir", os.TempDir()}, extraArgs...)
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	dieWithParent(s.cmd)
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(startTimeout)
	for {
		if err := s.ping(); err == nil {
			return s, nil
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("redis-server exited: %s", s.logs.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("redis-server did not answer PING within %v; logs:\n%s", startTimeout, s.logs.String())
		}
	}
}

// ping sends PING and expects +PONG (or NOAUTH).
func (s *Server) ping() error {
	c, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	// With requirepass, an unauthenticated PING gets NOAUTH: the server
	// answers all the same.
	if line != "+PONG\r\n" && !strings.HasPrefix(line, "-NOAUTH") {
		return errors.New("unexpected answer " + strconv.Quote(line))
	}
	return nil
}

// Stop kills the server and waits for it to exit; the address then
// refuses connections. It may be called more than once.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		s.cmd.Process.Signal(syscall.SIGCONT) // a paused server cannot exit
		s.cmd.Process.Kill()
		<-s.done
	})
}

// Pause stops the process (SIGSTOP): connections stay open and commands
// get no answer, as from a Redis that hangs. Resume continues it.
func (s *Server) Pause() { s.cmd.Process.Signal(syscall.SIGSTOP) }

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume() { s.cmd.Process.Signal(syscall.SIGCONT) }

// Logs returns what the server wrote.
func (s *Server) Logs() string { return s.logs.String() }

// inCI reports whether the tests run in CI, where every test must run.
func inCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "false" && v != "0"
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
