package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/chain"
	"github.com/mcpauth/mcpauth/introspect"
	"github.com/mcpauth/mcpauth/verify"
)

// maxStdinToken bounds what "mcpauth verify" reads; the verifier's own cap
// (16 KiB by default) rejects long tokens with a clear reason.
const maxStdinToken = 1 << 20

func runVerify(args []string, e env) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	prefix := fs.String("env-prefix", verify.EnvPrefix, "prefix of the settings variables (FASTMCP_SERVER_AUTH_JWT_ reads a FastMCP configuration)")
	timeout := fs.Duration("timeout", 15*time.Second, "how long to wait for the key source")
	verbose := fs.Bool("v", false, "show the token's iss, aud and exp (unverified; never the token) next to the configured issuers and audiences, and log key-source events, on stderr")
	fs.Usage = func() {
		io.WriteString(e.stderr, "Usage: mcpauth verify [flags] < token\n\nReads one token from stdin and verifies it with the settings in the environment.\nPrints the access token as JSON when it is valid.\n\n")
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() != 0 {
		return e.failf(exitUsage, "verify takes no arguments; pass the token on stdin")
	}

	raw, err := io.ReadAll(io.LimitReader(e.stdin, maxStdinToken+1))
	if err != nil {
		return e.failf(exitInternal, "reading stdin: %v", err)
	}
	if len(raw) > maxStdinToken {
		return e.failf(exitInvalid, "invalid token: too_large: the input exceeds %d bytes", maxStdinToken)
	}
	token := strings.TrimSpace(string(raw))
	if token == "" {
		return e.failf(exitUsage, "no token on stdin")
	}

	if err := checkDotEnv(dotEnvFile, e.environ); err != nil {
		return e.failf(exitUsage, "%s", strings.TrimPrefix(err.Error(), errConfig.Error()+": "))
	}
	vars, err := e.withPrefix(*prefix)
	if err != nil {
		return e.failf(exitUsage, "%v", err)
	}
	settings, err := verify.SettingsFromMap(*prefix, vars)
	if err != nil {
		return e.failf(exitUsage, "%v", err)
	}
	own, err := e.withPrefix(envIntrospectionPrefix)
	if err != nil {
		return e.failf(exitUsage, "%v", err)
	}
	fast, err := e.withPrefix(fastMCPIntrospectionPrefix)
	if err != nil {
		return e.failf(exitUsage, "%v", err)
	}
	ivars, err := withFastMCPIntrospection(own, fast)
	var is *introspectionSettings
	if err == nil {
		is, err = introspectionFromEnv(ivars)
	}
	if err != nil {
		return e.failf(exitUsage, "%s", strings.TrimPrefix(err.Error(), errConfig.Error()+": "))
	}
	logger := slog.New(slog.DiscardHandler)
	if *verbose {
		logger = slog.New(slog.NewTextHandler(e.stderr, nil))
		io.WriteString(e.stderr, peekToken(token, settings, time.Now()))
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	v, closeFn, err := verifierFor(ctx, settings, is, logger)
	if err != nil {
		return e.failf(exitUsage, "%s", strings.TrimPrefix(err.Error(), errConfig.Error()+": "))
	}
	defer closeFn()

	at, err := v.VerifyToken(ctx, token)
	if err != nil {
		return e.failf(exitCodeFor(err), "%v", err)
	}
	out, err := json.MarshalIndent(at, "", "  ")
	if err != nil {
		return e.failf(exitInternal, "encoding the access token: %v", err)
	}
	out = append(out, '\n')
	if _, err := e.stdout.Write(out); err != nil {
		return exitInternal
	}
	return exitOK
}

// exitCodeFor maps a verification error to the documented exit code.
func exitCodeFor(err error) int {
	switch {
	case errors.Is(err, mcpauth.ErrKeySourceUnavailable):
		return exitUnavailable
	case errors.Is(err, mcpauth.ErrInsufficientScope):
		return exitScope
	default:
		return exitInvalid
	}
}

// verifierFor builds the verifier of mcpauth verify: the JWT verifier,
// the introspection verifier when no JWT key source is set, or both in a
// chain.
func verifierFor(ctx context.Context, s verify.Settings, is *introspectionSettings, logger *slog.Logger) (mcpauth.TokenVerifier, func(), error) {
	var iv *introspect.Verifier
	if is != nil {
		var err error
		if iv, err = newIntrospectionVerifier(is, s, introspect.WithLogger(logger)); err != nil {
			return nil, nil, err
		}
		if !hasJWTKeySource(s) {
			return iv, func() {}, nil
		}
	}
	v, err := verify.NewJWTVerifier(s, verify.WithLogger(logger), verify.WithContext(ctx))
	if err != nil {
		return nil, nil, err
	}
	closeFn := func() { v.Close() }
	if iv == nil {
		return v, closeFn, nil
	}
	c, err := chainWithIntrospection(v, iv, chain.WithLogger(logger))
	if err != nil {
		closeFn()
		return nil, nil, err
	}
	return c, closeFn, nil
}
