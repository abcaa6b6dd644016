#!/usr/bin/env bash
# Load test of `mcpauth serve` on loopback with wrk (the Debian package).
#
# Builds mcpauth, makes an RS256 key and a token with `mcpauth keygen` and
# `mcpauth token`, starts `mcpauth serve` with that key and the
# verified-token cache on (MCPAUTH_JWT_CACHE_SIZE), then measures with wrk:
#
#   healthz  GET /healthz, no token (the server's unauthenticated floor)
#   auth     GET /mcp with the valid token: the middleware verifies it, then
#            the MCP handler answers 405 at once (it only takes POST), so
#            this is authentication plus routing
#   whoami   POST /mcp, a JSON-RPC tools/call of whoami: the full MCP path
#
# and prints requests/s and the ratio of each to healthz (the issue's
# target: auth >= 70% of healthz). healthz is measured before and after
# the others and averaged, to even out drift on a shared machine.
#
# Not run by CI. Everything stays on 127.0.0.1; the server is stopped on
# exit. Settings: DURATION (10s), CONNECTIONS (16), THREADS (1), PORT
# (18181), CACHE_SIZE (1000; 0 runs without the cache).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-1}
PORT=${PORT:-18181}
CACHE_SIZE=${CACHE_SIZE:-1000}
ISSUER=https://auth.example.com
BASE=http://127.0.0.1:$PORT

if ! command -v wrk >/dev/null; then
	echo "load.sh: installing wrk" >&2
	apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi

work=$(mktemp -d)
pid=""
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/mcpauth" ./cmd/mcpauth
"$work/mcpauth" keygen -type rsa -out "$work/keys" >/dev/null 2>&1
TOKEN=$("$work/mcpauth" token -key "$work/keys/private.pem" -iss "$ISSUER" -aud "$BASE/mcp" \
	-scope mcp:tools -claim client_id=load-test -expires-in 1h)
export TOKEN

cache_env=()
if [ "$CACHE_SIZE" != "0" ]; then
	cache_env=(MCPAUTH_JWT_CACHE_SIZE="$CACHE_SIZE")
fi
env MCPAUTH_ADDR="127.0.0.1:$PORT" \
	MCPAUTH_JWT_PUBLIC_KEY="$(cat "$work/keys/public.pem")" \
	MCPAUTH_JWT_ISSUER="$ISSUER" \
	MCPAUTH_JWT_ALGORITHM=RS256 \
	MCPAUTH_LOG_LEVEL=error \
	"${cache_env[@]}" \
	"$work/mcpauth" serve >"$work/serve.log" 2>&1 &
pid=$!

for _ in $(seq 100); do
	curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
	sleep 0.1
done
if ! curl -fsS "$BASE/healthz" >/dev/null 2>&1; then
	echo "load.sh: mcpauth serve did not start:" >&2
	cat "$work/serve.log" >&2
	exit 1
fi
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/mcp")
if [ "$code" != 405 ]; then
	echo "load.sh: authenticated GET /mcp answered $code, want 405 (token accepted, GET not allowed)" >&2
	exit 1
fi

cat >"$work/auth.lua" <<'EOF'
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
EOF
cat >"$work/whoami.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":{}}}'
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
EOF

# run NAME URL [SCRIPT]: prints requests/s.
run() {
	local args=(-t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency)
	if [ -n "${3:-}" ]; then
		args+=(-s "$3")
	fi
	wrk "${args[@]}" "$2" >"$work/$1.txt"
	awk '/^Requests\/sec:/ {print $2}' "$work/$1.txt"
}

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION against mcpauth serve (RS256, cache size $CACHE_SIZE), $(nproc) CPUs" >&2
h1=$(run healthz1 "$BASE/healthz")
auth=$(run auth "$BASE/mcp" "$work/auth.lua")
whoami=$(run whoami "$BASE/mcp" "$work/whoami.lua")
h2=$(run healthz2 "$BASE/healthz")

awk -v h1="$h1" -v h2="$h2" -v auth="$auth" -v whoami="$whoami" 'BEGIN {
	h = (h1 + h2) / 2
	printf "%-44s %12s %8s\n", "path", "requests/s", "ratio"
	printf "%-44s %12.0f %8s\n", "GET /healthz (no token; mean of 2 runs)", h, "1.00"
	printf "%-44s %12.0f %8.2f\n", "GET /mcp, valid RS256 token (auth + 405)", auth, auth / h
	printf "%-44s %12.0f %8.2f\n", "POST /mcp tools/call whoami (full MCP)", whoami, whoami / h
	status = (auth >= 0.70 * h) ? "PASS" : "FAIL"
	printf "%s  authenticated GET >= 70%% of /healthz (%.0f%%)\n", status, 100 * auth / h
}'
for f in healthz1 auth whoami healthz2; do
	if grep -q "Non-2xx" "$work/$f.txt" && [ "$f" != auth ]; then
		echo "load.sh: $f had error responses:" >&2
		grep "Non-2xx" "$work/$f.txt" >&2
	fi
done
