package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mcpauth/mcpauth/testkeys"
)

// parseFlags parses args, printing usage on -h. It returns done=true with
// the exit code when the command must stop.
func parseFlags(fs *flag.FlagSet, args []string) (code int, done bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, true
		}
		return exitUsage, true
	}
	return 0, false
}

// Development defaults: the issuer and audience that keygen prints as
// exports are the defaults of token's -iss and -aud, so that keygen, token
// and verify (or serve on its default address) agree without flags.
const (
	devIssuer = testkeys.DefaultIssuer
	// devAudience is the resource URL of serve and proxy on their default
	// listen address.
	devAudience = "http://" + defaultAddr + mcpPath
)

// devExports returns the shell lines that configure verify, serve and proxy
// for keys written by keygen -out (publicPEM is the public key's path).
func devExports(publicPEM string) string {
	return "export " + envPublicKey + "=\"$(cat " + shellQuote(publicPEM) + ")\"\n" +
		"export " + envIssuer + "=" + shellQuote(devIssuer) + "\n" +
		"export " + envAudience + "=" + shellQuote(devAudience) + "\n"
}

func runKeygen(args []string, e env) int {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	typ := fs.String("type", "rsa", "key type: rsa (RS256, 2048 bits), ec (ES256, P-256) or ed25519 (EdDSA)")
	out := fs.String("out", "", "directory to write private.pem (mode 0600), public.pem and jwks.json, and print the exports for verify, serve and proxy; default: print the PEM keys to stdout")
	fs.Usage = func() {
		io.WriteString(e.stderr, `Usage: mcpauth keygen [flags]

Generates a key pair for development and tests (not for production).
With -out DIR it writes the keys and prints to stdout the exports that
configure mcpauth verify, serve and proxy for tokens from
"mcpauth token -key DIR/private.pem" (same issuer and audience defaults):

  eval "$(mcpauth keygen -out ./keys)"
  mcpauth token -key ./keys/private.pem | mcpauth verify

`)
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() != 0 {
		return e.failf(exitUsage, "keygen takes no arguments")
	}
	var (
		kp  *testkeys.KeyPair
		err error
	)
	switch strings.ToLower(*typ) {
	case "rsa":
		kp, err = testkeys.GenerateRSAKeyPair()
	case "ec", "ecdsa", "p256", "p-256":
		kp, err = testkeys.GenerateECKeyPair()
	case "ed25519", "eddsa":
		kp, err = testkeys.GenerateEd25519KeyPair()
	default:
		return e.failf(exitUsage, "-type %q is not one of rsa, ec, ed25519", *typ)
	}
	if err != nil {
		return e.failf(exitInternal, "generating the key: %v", err)
	}
	if *out == "" {
		fmt.Fprint(e.stdout, kp.PrivateKeyPEM(), kp.PublicKeyPEM())
		fmt.Fprintf(e.stderr, "kid %s, algorithm %s. To verify tokens from mcpauth token with its defaults, set\n  %s to the PUBLIC KEY block above\n  %s=%s\n  %s=%s\n(mcpauth keygen -out DIR prints these as exports.)\n",
			kp.KeyID(), kp.Algorithm(), envPublicKey, envIssuer, devIssuer, envAudience, devAudience)
		return exitOK
	}
	jwks, err := testkeys.JWKS(kp)
	if err != nil {
		return e.failf(exitInternal, "encoding the JWKS: %v", err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return e.failf(exitInternal, "%v", err)
	}
	files := []struct {
		name string
		data string
		mode os.FileMode
	}{
		{"private.pem", kp.PrivateKeyPEM(), 0o600},
		{"public.pem", kp.PublicKeyPEM(), 0o644},
		{"jwks.json", string(jwks) + "\n", 0o644},
	}
	for _, f := range files {
		path := filepath.Join(*out, f.name)
		// O_EXCL: never overwrite an existing key.
		fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, f.mode)
		if err != nil {
			return e.failf(exitInternal, "%v", err)
		}
		_, werr := fh.WriteString(f.data)
		if cerr := fh.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return e.failf(exitInternal, "writing %s: %v", path, werr)
		}
		fmt.Fprintf(e.stderr, "wrote %s\n", path)
	}
	pub, err := filepath.Abs(filepath.Join(*out, "public.pem"))
	if err != nil {
		return e.failf(exitInternal, "%v", err)
	}
	fmt.Fprintf(e.stderr, "kid %s, algorithm %s. The exports on stdout configure mcpauth verify, serve and proxy\nfor tokens from: mcpauth token -key %s\n",
		kp.KeyID(), kp.Algorithm(), shellQuote(filepath.Join(*out, "private.pem")))
	io.WriteString(e.stdout, devExports(pub))
	return exitOK
}

// listFlag collects a repeatable, comma-separated flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// claimFlag collects repeatable name=value claims; a value that parses as
// JSON is used as JSON, otherwise as a string.
type claimFlag map[string]any

func (c claimFlag) String() string { return fmt.Sprint(map[string]any(c)) }
func (c claimFlag) Set(v string) error {
	name, val, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return fmt.Errorf("want name=value, got %q", v)
	}
	var j any
	if err := json.Unmarshal([]byte(val), &j); err == nil {
		c[name] = json.RawMessage(val)
	} else {
		c[name] = val
	}
	return nil
}

func runToken(args []string, e env) int {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	keyFile := fs.String("key", "", "private key PEM file (from mcpauth keygen); required")
	sub := fs.String("sub", testkeys.DefaultSubject, "subject (sub)")
	iss := fs.String("iss", devIssuer, "issuer (iss); the default is the "+envIssuer+" that mcpauth keygen -out prints")
	var aud, scopes listFlag
	fs.Var(&aud, "aud", "audience (aud); repeat or comma-separate for several (default "+devAudience+", the "+envAudience+" that mcpauth keygen -out prints)")
	typ := fs.String("typ", "JWT", "typ header; at+jwt for an RFC 9068 access token")
	clientID := fs.String("client-id", "", "client_id claim (RFC 9068); default: none")
	fs.Var(&scopes, "scope", "scope; repeat or comma-separate for several")
	expiresIn := fs.Duration("expires-in", time.Hour, "lifetime; negative for an expired token")
	kid := fs.String("kid", "", "kid header (default: the key's RFC 7638 thumbprint)")
	alg := fs.String("alg", "", "algorithm (default: RS256, ES256 or EdDSA by key type; an ed25519 key also signs as Ed25519, RFC 9864)")
	claims := claimFlag{}
	fs.Var(claims, "claim", "extra claim name=value (JSON values allowed); repeatable")
	df := addDPoPTokenFlags(fs)
	fs.Usage = func() {
		io.WriteString(e.stderr, "Usage: mcpauth token -key private.pem [flags]\n\nMints a signed token for development and tests.\n"+dpopTokenHelp)
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() != 0 {
		return e.failf(exitUsage, "token takes no arguments")
	}
	if name := df.set(fs); name != "" && !*df.on {
		return e.failf(exitUsage, "-%s needs -dpop", name)
	}
	if *df.on && *df.tokenFile != "" {
		a := devAudience
		if len(aud) > 0 {
			a = aud[0]
		}
		return runDPoPProofOnly(df, a, e)
	}
	if *keyFile == "" {
		return e.failf(exitUsage, "-key is required (make one with: mcpauth keygen -out DIR)")
	}
	pemBytes, err := os.ReadFile(*keyFile)
	if err != nil {
		return e.failf(exitUsage, "reading -key: %v", err)
	}
	kp, err := testkeys.ParsePrivateKeyPEM(string(pemBytes))
	if err != nil {
		return e.failf(exitUsage, "-key %s: %v", *keyFile, err)
	}
	if *expiresIn == 0 {
		return e.failf(exitUsage, "-expires-in must not be zero")
	}
	if len(aud) == 0 {
		aud = listFlag{devAudience}
	}
	if *typ == "" {
		return e.failf(exitUsage, "-typ must not be empty (JWT, or at+jwt for an RFC 9068 access token)")
	}
	if *clientID != "" {
		if _, ok := claims["client_id"]; ok {
			return e.failf(exitUsage, "-client-id and -claim client_id=... are both set; use one")
		}
		claims["client_id"] = *clientID
	}
	var dpopKey *testkeys.KeyPair
	var htu string
	if *df.on {
		if _, ok := claims["cnf"]; ok {
			return e.failf(exitUsage, "-dpop and -claim cnf=... are both set; use one")
		}
		if htu, err = df.checkRequest(aud[0]); err != nil {
			return e.failf(exitUsage, "%v", err)
		}
		var generated bool
		if dpopKey, generated, err = df.dpopKey(); err != nil {
			return e.failf(exitUsage, "%v", err)
		}
		if generated {
			fmt.Fprintln(e.stderr, "mcpauth: -dpop: a P-256 key made for this run binds the token: its proof is good for one request; for more, make a key with mcpauth keygen -type ec -out DIR and pass -dpop-key DIR/private.pem")
		}
		claims["cnf"] = testkeys.DPoPConfirmation(dpopKey)
	}
	tok, err := kp.CreateToken(testkeys.TokenOptions{
		Subject:          *sub,
		Issuer:           *iss,
		Audience:         aud,
		Scopes:           scopes,
		ExpiresIn:        *expiresIn,
		KID:              *kid,
		Algorithm:        *alg,
		Header:           map[string]any{"typ": *typ},
		AdditionalClaims: claims,
	})
	if err != nil {
		return e.failf(exitUsage, "%v", err)
	}
	if dpopKey != nil {
		p, err := df.proof(dpopKey, htu, tok)
		if err != nil {
			return e.failf(exitUsage, "%v", err)
		}
		fmt.Fprintf(e.stdout, "DPOP_TOKEN=%s\nDPOP_PROOF=%s\n", shellQuote(tok), shellQuote(p))
		return exitOK
	}
	fmt.Fprintln(e.stdout, tok)
	return exitOK
}
