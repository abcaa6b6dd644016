package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mcpauth/mcpauth/verify"
)

// Exit codes, shared by every subcommand.
const (
	exitOK          = 0
	exitInvalid     = 1 // the token is invalid
	exitUsage       = 2 // configuration or usage error
	exitScope       = 3 // valid, but a required scope is missing
	exitUnavailable = 4 // could not verify now: key source unavailable
	exitInternal    = 5 // unexpected failure (I/O)
)

// env is the process environment, injectable for tests.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	environ        []string
}

// withPrefix returns the variables whose names start with prefix in any
// letter case, keyed by their upper-case names (see verify.EnvVars); one
// name set in two spellings is an error.
func (e env) withPrefix(prefix string) (map[string]string, error) {
	return verify.EnvVars(e.environ, prefix)
}

// failf prints one error line to stderr and returns code.
func (e env) failf(code int, format string, args ...any) int {
	msg := strings.ReplaceAll(fmt.Sprintf(format, args...), "\n", " ")
	fmt.Fprintf(e.stderr, "mcpauth: %s\n", msg)
	return code
}

const usage = `mcpauth authenticates requests to MCP servers.

Usage:
  mcpauth serve   [flags]             run an MCP server protected by token authentication
                                      (a ready-to-try demo when nothing is configured)
  mcpauth proxy   [flags]             put the same authentication in front of any HTTP MCP server
  mcpauth authz   [flags]             answer a gateway's auth checks (nginx, Caddy, Traefik, Envoy)
  mcpauth verify  [flags] < token     verify a token with the MCPAUTH_JWT_* configuration
  mcpauth keygen  [flags]             generate a test key pair (RSA, EC P-256 or Ed25519)
  mcpauth token   [flags]             mint a test token signed with a private key
  mcpauth version                     print the module version and VCS revision
  mcpauth help                        show this help

Run "mcpauth <command> -h" for a command's flags and environment variables.

Exit codes: 0 valid (serve, proxy, authz: stopped by SIGINT or SIGTERM);
1 invalid token; 2 configuration or usage error; 3 valid but missing a
required scope; 4 key source unavailable; 5 I/O error.
`

func main() {
	os.Exit(run(os.Args[1:], env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, environ: os.Environ()}))
}

// run executes a command line and returns the exit code.
func run(args []string, e env) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "serve":
		return runServe(args[1:], e)
	case "proxy":
		return runProxy(args[1:], e)
	case "authz":
		return runAuthz(args[1:], e)
	case "verify":
		return runVerify(args[1:], e)
	case "keygen":
		return runKeygen(args[1:], e)
	case "token":
		return runToken(args[1:], e)
	case "version", "-version", "--version":
		return runVersion(args[1:], e)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(e.stdout, usage)
		return exitOK
	default:
		fmt.Fprint(e.stderr, usage)
		return e.failf(exitUsage, "unknown command %q", args[0])
	}
}
