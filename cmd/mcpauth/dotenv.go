package main

// dotenv.go decides what a .env file in the working directory means:
// FastMCP 2.x reads its settings from one, mcpauth does not, so a setting of
// ours found only there would be silently ignored (a required scope not
// enforced). It is refused instead.

import (
	"bufio"
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/mcpauth/mcpauth/verify"
)

// dotEnvFile is where FastMCP looks for its .env file.
const dotEnvFile = ".env"

// maxDotEnvBytes bounds how much of a .env file is read.
const maxDotEnvBytes = 1 << 20

// checkDotEnv returns an error naming the first variable with one of our
// prefixes (MCPAUTH_, FASTMCP_SERVER_AUTH_JWT_; any letter case) that path
// sets and the environment does not. A missing file is fine.
func checkDotEnv(path string, environ []string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return configErrorf("%s: %v", path, err)
	}
	defer f.Close()
	set := make(map[string]bool)
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		set[strings.ToUpper(k)] = true
	}
	sc := bufio.NewScanner(io.LimitReader(f, maxDotEnvBytes))
	sc.Buffer(make([]byte, 64<<10), maxDotEnvBytes)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		line = strings.TrimSpace(strings.TrimPrefix(line, "export "))
		name, _, ok := strings.Cut(line, "=")
		name = strings.ToUpper(strings.TrimSpace(name))
		if !ok || strings.HasPrefix(line, "#") || set[name] {
			continue
		}
		if strings.HasPrefix(name, envOwnPrefix) || strings.HasPrefix(name, verify.FastMCPEnvPrefix) {
			return configErrorf("%s sets %s, which FastMCP reads from that file but mcpauth does not: export it in the environment (or remove it from %s)", path, name, path)
		}
	}
	if err := sc.Err(); err != nil {
		return configErrorf("%s: %v", path, err)
	}
	return nil
}
