package main

// token_dpop.go: "mcpauth token -dpop", a DPoP-bound token (cnf.jkt) and a
// DPoP proof (RFC 9449) for one request, printed as shell assignments for
// curl.

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/mcpauth/mcpauth/dpop"
	"github.com/mcpauth/mcpauth/testkeys"
)

// dpopTokenHelp is the DPoP part of token's usage.
const dpopTokenHelp = `
With -dpop the token is bound to a DPoP key (cnf.jkt, RFC 9449) and a proof
for one request (-htm, -htu) is minted with it; both are printed as shell
assignments for curl:

  eval "$(mcpauth token -key ./keys/private.pem -scope mcp:tools -dpop -dpop-key ./client/private.pem)"
  curl -sS http://127.0.0.1:8080/mcp -H "Authorization: DPoP $DPOP_TOKEN" -H "DPoP: $DPOP_PROOF" ...

A proof is good for one request: for the next, mint a new one for the same
token with -dpop-token (no -key needed):

  eval "$(echo "$DPOP_TOKEN" | mcpauth token -dpop -dpop-key ./client/private.pem -dpop-token -)"

Without -dpop-key a P-256 key is generated for this run only (one proof);
make a key to keep with "mcpauth keygen -type ec -out ./client".

`

// dpopTokenFlags are token's DPoP flags.
type dpopTokenFlags struct {
	on        *bool
	keyFile   *string
	htm       *string
	htu       *string
	nonce     *string
	tokenFile *string
}

func addDPoPTokenFlags(fs *flag.FlagSet) dpopTokenFlags {
	return dpopTokenFlags{
		on:        fs.Bool("dpop", false, "bind the token to a DPoP key (cnf.jkt) and print DPOP_TOKEN and DPOP_PROOF for curl"),
		keyFile:   fs.String("dpop-key", "", "with -dpop: the client's private key PEM (mcpauth keygen -type ec); default: a P-256 key for this run"),
		htm:       fs.String("htm", "POST", "with -dpop: the proof's method (htm)"),
		htu:       fs.String("htu", "", "with -dpop: the proof's URL (htu), the request URL without query (default: the first -aud)"),
		nonce:     fs.String("dpop-nonce", "", "with -dpop: the server's nonce (its DPoP-Nonce header), for servers that require one"),
		tokenFile: fs.String("dpop-token", "", "with -dpop: print only a new DPOP_PROOF for the DPoP-bound token in this file (- for stdin)"),
	}
}

// set reports whether a DPoP flag other than -dpop was given.
func (f dpopTokenFlags) set(fs *flag.FlagSet) string {
	var name string
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "dpop-key", "htm", "htu", "dpop-nonce", "dpop-token":
			name = fl.Name
		}
	})
	return name
}

// dpopKey reads -dpop-key or generates a P-256 key (generated reports
// which).
func (f dpopTokenFlags) dpopKey() (kp *testkeys.KeyPair, generated bool, err error) {
	if *f.keyFile == "" {
		kp, err = testkeys.GenerateECKeyPair()
		return kp, true, err
	}
	b, err := os.ReadFile(*f.keyFile)
	if err != nil {
		return nil, false, fmt.Errorf("reading -dpop-key: %v", err)
	}
	kp, err = testkeys.ParsePrivateKeyPEM(string(b))
	if err != nil {
		return nil, false, fmt.Errorf("-dpop-key %s: %v", *f.keyFile, err)
	}
	return kp, false, nil
}

// checkRequest validates -htm and -htu (htu defaults to aud) and returns
// htu.
func (f dpopTokenFlags) checkRequest(aud string) (string, error) {
	if !isToken(*f.htm) {
		return "", fmt.Errorf("-htm %q is not an HTTP method", *f.htm)
	}
	htu, name := *f.htu, "-htu"
	if htu == "" {
		htu, name = aud, "-htu (default: the first -aud)"
	}
	u, err := url.Parse(htu)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", fmt.Errorf("%s %q is not an http or https URL without user information", name, htu)
	}
	if _, err := dpop.NormalizeURI(htu); err != nil {
		return "", fmt.Errorf("%s %q: %v", name, htu, err)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%s %q has a query or fragment; htu is the URL without them (RFC 9449 §4.2)", name, htu)
	}
	return htu, nil
}

// proof mints a proof by kp for tok.
func (f dpopTokenFlags) proof(kp *testkeys.KeyPair, htu, tok string) (string, error) {
	return testkeys.CreateDPoPProof(kp, testkeys.DPoPProofOptions{
		Method:      *f.htm,
		URL:         htu,
		AccessToken: tok,
		Nonce:       *f.nonce,
	})
}

// runDPoPProofOnly prints a new proof for the bound token in -dpop-token.
func runDPoPProofOnly(f dpopTokenFlags, aud string, e env) int {
	if *f.keyFile == "" {
		return e.failf(exitUsage, "-dpop-token needs -dpop-key: the key the token is bound to")
	}
	var raw []byte
	var err error
	if *f.tokenFile == "-" {
		raw, err = io.ReadAll(io.LimitReader(e.stdin, maxStdinToken+1))
	} else {
		raw, err = os.ReadFile(*f.tokenFile)
	}
	if err != nil {
		return e.failf(exitUsage, "reading -dpop-token: %v", err)
	}
	tok := strings.TrimSpace(string(raw))
	if tok == "" || len(tok) > maxStdinToken {
		return e.failf(exitUsage, "-dpop-token: no token, or more than %d bytes", maxStdinToken)
	}
	kp, _, err := f.dpopKey()
	if err != nil {
		return e.failf(exitUsage, "%v", err)
	}
	jkt, err := unverifiedJKT(tok)
	switch {
	case err != nil:
		return e.failf(exitUsage, "-dpop-token: %v", err)
	case jkt != kp.KeyID():
		return e.failf(exitUsage, "-dpop-token: the token is bound to another key than -dpop-key (cnf.jkt differs from its thumbprint)")
	}
	htu, err := f.checkRequest(aud)
	if err != nil {
		return e.failf(exitUsage, "%v", err)
	}
	p, err := f.proof(kp, htu, tok)
	if err != nil {
		return e.failf(exitUsage, "%v", err)
	}
	fmt.Fprintf(e.stdout, "DPOP_PROOF=%s\n", shellQuote(p))
	return exitOK
}

// unverifiedJKT reads cnf.jkt from a JWT's claims without verifying it
// (the key holder's own token, to check it is bound to the key).
func unverifiedJKT(tok string) (string, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "", errors.New("not a JWT (three dot-separated parts)")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", errors.New("the JWT's claims are not base64url")
	}
	var c struct {
		Cnf struct {
			JKT string `json:"jkt"`
		} `json:"cnf"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return "", errors.New("the JWT's claims are not a JSON object with an object cnf")
	}
	if c.Cnf.JKT == "" {
		return "", errors.New("the token is not DPoP-bound (no cnf.jkt)")
	}
	return c.Cnf.JKT, nil
}
