package main

// Real upstream servers for the proxy tests: hypercorn (an ASGI server that
// honours "Upgrade: h2c" and WebSocket upgrades) and Tomcat 10.1 (a servlet
// container that resolves path parameters and encoded dot segments), both
// from Debian packages (python3-hypercorn, tomcat10; .ci/run installs them).
// Each is started at most once per test binary, on loopback, and stopped by
// TestMain (which then checks for leaked goroutines). When one is missing, its tests fail in CI (CI set) and are
// skipped elsewhere.

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

const (
	// debianCatalinaHome is where Debian's tomcat10 package installs Tomcat.
	debianCatalinaHome = "/usr/share/tomcat10"
	upstreamsDir       = "testdata/upstreams"
	// upstreamStartTimeout is generous: CI machines are shared.
	upstreamStartTimeout = 90 * time.Second
	installHint          = "apt-get install -y tomcat10 python3-hypercorn (.ci/run does)"
)

// errNotInstalled marks an upstream whose package is missing.
var errNotInstalled = errors.New("not installed")

// TestMain stops the upstreams after the tests and then fails the run
// when a goroutine a test started is still running (go.uber.org/goleak).
func TestMain(m *testing.M) {
	code := m.Run()
	stopUpstreams()
	removeMcpauthBinary()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: goroutines still running after the tests: %v\n", err)
			code = 1
		}
	}
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
var upstreams = []*externalUpstream{&hypercorn, &tomcat}

var hypercorn, tomcat externalUpstream

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
	dieWithTests(u.cmd)
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

// tomcatUpstream returns the base URL of the shared Tomcat serving the
// webapp in testdata/upstreams (Echo.java, web.xml).
func tomcatUpstream(t *testing.T) string {
	t.Helper()
	tomcat.once.Do(func() { tomcat.err = startTomcat(&tomcat) })
	return requireUpstream(t, "tomcat10", &tomcat)
}

// tomcatPortLine is how Tomcat logs the port chosen for port="0".
var tomcatPortLine = regexp.MustCompile(`Starting ProtocolHandler \["http-nio-127\.0\.0\.1-auto-\d+-(\d+)"\]`)

func startTomcat(u *externalUpstream) error {
	lib := filepath.Join(debianCatalinaHome, "lib", "servlet-api.jar")
	if _, err := os.Stat(lib); err != nil {
		return fmt.Errorf("tomcat10 (%s): %w", lib, errNotInstalled)
	}
	javac, err := exec.LookPath("javac")
	if err != nil {
		return fmt.Errorf("javac (a JDK): %w", errNotInstalled)
	}
	java, err := exec.LookPath("java")
	if err != nil {
		return fmt.Errorf("java: %w", errNotInstalled)
	}
	base, err := os.MkdirTemp("", "mcpauth-tomcat-")
	if err != nil {
		return err
	}
	u.dir = base
	webInf := filepath.Join(base, "webapps", "ROOT", "WEB-INF")
	for _, d := range []string{"conf", "logs", "temp", "work", filepath.Join(webInf, "classes")} {
		if !filepath.IsAbs(d) {
			d = filepath.Join(base, d)
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	for src, dst := range map[string]string{
		"server.xml": filepath.Join(base, "conf", "server.xml"),
		"web.xml":    filepath.Join(webInf, "web.xml"),
	} {
		b, err := os.ReadFile(filepath.Join(upstreamsDir, src))
		if err != nil {
			return err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return err
		}
	}
	if out, err := exec.Command(javac, "--release", "17", "-cp", lib,
		"-d", filepath.Join(webInf, "classes"), filepath.Join(upstreamsDir, "Echo.java")).CombinedOutput(); err != nil {
		return fmt.Errorf("javac Echo.java: %v\n%s", err, out)
	}

	u.logs = &syncBuffer{}
	bin := filepath.Join(debianCatalinaHome, "bin")
	u.cmd = exec.Command(java, "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
		"-Dcatalina.base="+base, "-Dcatalina.home="+debianCatalinaHome, "-Djava.io.tmpdir="+filepath.Join(base, "temp"),
		"-cp", filepath.Join(bin, "bootstrap.jar")+":"+filepath.Join(bin, "tomcat-juli.jar"),
		"org.apache.catalina.startup.Bootstrap", "start")
	u.cmd.Dir = base
	u.cmd.Stdout = u.logs
	dieWithTests(u.cmd)
	stderr, err := u.cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := u.cmd.Start(); err != nil {
		return fmt.Errorf("starting tomcat: %w", err)
	}
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(u.logs, line)
			if m := tomcatPortLine.FindStringSubmatch(line); m != nil {
				select {
				case port <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	select {
	case p := <-port:
		u.url = "http://127.0.0.1:" + p
	case <-time.After(upstreamStartTimeout):
		return fmt.Errorf("tomcat did not log its port within %v; logs:\n%s", upstreamStartTimeout, u.logs.String())
	}
	return waitReady(u, u.url+"/mcp")
}

// tomcatArea asks Tomcat directly (not through the proxy) which servlet a
// raw request path reaches: "mcp", "admin", "other", or "" when Tomcat
// refuses the path itself (400).
func tomcatArea(t *testing.T, base, rawPath string) string {
	t.Helper()
	status, body := rawGet(t, strings.TrimPrefix(base, "http://"), rawPath, "")
	if status != http.StatusOK {
		return ""
	}
	area, _, _ := strings.Cut(strings.TrimPrefix(body, "area="), " ")
	return area
}

// rawGet sends "GET rawPath HTTP/1.1" byte for byte (no client-side path
// cleaning) and returns the status and body.
func rawGet(t *testing.T, hostPort, rawPath, token string) (int, string) {
	t.Helper()
	req := "GET " + rawPath + " HTTP/1.1\r\nHost: " + hostPort + "\r\nConnection: close\r\n"
	if token != "" {
		req += "Authorization: Bearer " + token + "\r\n"
	}
	c, _, resp := sendRaw(t, hostPort, req+"\r\n")
	defer c.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// sendRaw sends request as it is on a new connection and reads the
// response head; br holds what the connection sent after it. The caller
// closes the connection.
func sendRaw(t *testing.T, hostPort, request string) (c net.Conn, br *bufio.Reader, resp *http.Response) {
	t.Helper()
	c, err := net.DialTimeout("tcp", hostPort, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err = io.WriteString(c, request); err != nil {
		c.Close()
		t.Fatal(err)
	}
	br = bufio.NewReader(c)
	resp, err = http.ReadResponse(br, nil)
	if err != nil {
		c.Close()
		t.Fatalf("%q: reading the response: %v", strings.SplitN(request, "\r\n", 2)[0], err)
	}
	return c, br, resp
}
