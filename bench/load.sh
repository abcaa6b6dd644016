#!/usr/bin/env bash
# Load test: `mcpauth proxy` side by side with oauth2-proxy v7, a plain
# httputil.ReverseProxy and nginx, on loopback, with wrk (`make bench-load`;
# not run by `make test` or CI).
#
# Starts, all on 127.0.0.1:
#   issuer     an RS256 key's JWK Set and OpenID configuration, and one
#              token per client (bench/cmd/load issuer, testkeys)
#   upstream   the MCP server stand-in: 200 with a small JSON-RPC result
#   plain      httputil.ReverseProxy, no auth, mcpauth's transport settings
#   plain-buffered
#              the same, reading request bodies whole first as mcpauth does
#   mcpauth-cache / mcpauth-nocache
#              mcpauth proxy with MCPAUTH_JWT_CACHE_SIZE=1000 / 0
#   oauth2-proxy
#              oauth2-proxy v7.15.6 (go install from the Go module proxy,
#              cached in $LOAD_CACHE), OIDC provider = the issuer,
#              --skip-jwt-bearer-tokens --extra-jwt-issuers=issuer=audience
#   nginx-plain, nginx-authz, nginx-authz-nocache
#              nginx (Debian) proxying to the upstream, without auth and
#              with auth_request to mcpauth authz (cache on / off)
# then runs wrk against each in turn, ROUNDS times (interleaved, after a
# warm-up round), and writes the table of medians with the ratios and the
# targets of the performance issue to the load section of bench/RESULTS.md
# (bench/cmd/load report; `make bench` keeps that section).
#
# Settings: ROUNDS (3), DURATION (8s), WARMUP (2s), CONNECTIONS (32),
# THREADS (1), BASE_PORT (18300: 12 ports from it must be free), CONFIGS
# (space-separated subset, default all), LOAD_CACHE
# (~/.cache/mcpauth-bench), OUT (bench/RESULTS.md; "" prints only), NOISE
# (a note on the machine's load, for RESULTS.md).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8s}
WARMUP=${WARMUP:-2s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-1}
BASE_PORT=${BASE_PORT:-18300}
LOAD_CACHE=${LOAD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mcpauth-bench}
OUT=${OUT-bench/RESULTS.md}
NOISE=${NOISE:-}
OAUTH2_PROXY_VERSION=v7.15.6
ALL_CONFIGS="upstream plain plain-buffered mcpauth-cache mcpauth-nocache oauth2-proxy nginx-plain nginx-authz nginx-authz-nocache"
CONFIGS=${CONFIGS:-$ALL_CONFIGS}
BASE_URL=https://mcp.example.com
AUDIENCE=$BASE_URL/mcp

for tool in wrk nginx curl; do
	command -v "$tool" >/dev/null || { echo "load.sh: $tool is not installed (apt-get install wrk nginx curl)" >&2; exit 1; }
done

p_issuer=$BASE_PORT
p_upstream=$((BASE_PORT + 1))
p_plain=$((BASE_PORT + 2))
p_mcache=$((BASE_PORT + 3))
p_mnocache=$((BASE_PORT + 4))
p_oauth2=$((BASE_PORT + 5))
p_nplain=$((BASE_PORT + 6))
p_nauthz=$((BASE_PORT + 7))
p_authz=$((BASE_PORT + 8))
p_nauthzn=$((BASE_PORT + 9))
p_authzn=$((BASE_PORT + 10))
p_plainb=$((BASE_PORT + 11))
for p in $(seq "$BASE_PORT" $((BASE_PORT + 11))); do
	if curl -s -o /dev/null "http://127.0.0.1:$p/" 2>/dev/null; then
		echo "load.sh: port $p is in use; set BASE_PORT" >&2
		exit 1
	fi
done

work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

echo "load.sh: building mcpauth and bench/cmd/load" >&2
go build -o "$work/mcpauth" ./cmd/mcpauth
(cd bench && go build -o "$work/load" ./cmd/load)
oauth2_proxy=$LOAD_CACHE/oauth2-proxy-$OAUTH2_PROXY_VERSION/oauth2-proxy
if [ ! -x "$oauth2_proxy" ]; then
	echo "load.sh: building oauth2-proxy $OAUTH2_PROXY_VERSION (once; cached in $LOAD_CACHE)" >&2
	mkdir -p "$(dirname "$oauth2_proxy")"
	(cd "$work" && GOBIN="$(dirname "$oauth2_proxy")" GOFLAGS=-mod=mod go install "github.com/oauth2-proxy/oauth2-proxy/v7@$OAUTH2_PROXY_VERSION")
fi

# start NAME CMD...: runs CMD in the background, output to $work/NAME.log;
# its pid is pid[NAME].
declare -A pid
start() {
	local name=$1
	shift
	"$@" >"$work/$name.log" 2>&1 &
	pids+=($!)
	pid[$name]=$!
}
# ready NAME URL: waits until URL answers.
ready() {
	for _ in $(seq 200); do
		curl -fsS -o /dev/null "$2" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "load.sh: $1 did not start:" >&2
	cat "$work/$1.log" >&2
	exit 1
}

ISSUER=http://127.0.0.1:$p_issuer
UPSTREAM=http://127.0.0.1:$p_upstream/mcp
start issuer "$work/load" issuer -addr "127.0.0.1:$p_issuer" -aud "$AUDIENCE" -tokens "$CONNECTIONS" -out "$work/tokens"
ready issuer "$ISSUER/healthz"
start upstream "$work/load" upstream -addr "127.0.0.1:$p_upstream"
ready upstream "$UPSTREAM"
# The plain proxies run with the GC setting mcpauth's servers default to
# (cmd/mcpauth/gc.go), so that the comparison is of the code alone.
start plain env GOGC=400 "$work/load" plain -addr "127.0.0.1:$p_plain" -upstream "$UPSTREAM"
ready plain "http://127.0.0.1:$p_plain/healthz"
start plain-buffered env GOGC=400 "$work/load" plain -addr "127.0.0.1:$p_plainb" -upstream "$UPSTREAM" -buffer-bodies
ready plain-buffered "http://127.0.0.1:$p_plainb/healthz"

# mcpauth NAME COMMAND PORT CACHE_SIZE [VAR=VALUE...]
mcpauth() {
	local name=$1 command=$2 port=$3 cache=$4
	shift 4
	start "$name" env MCPAUTH_ADDR="127.0.0.1:$port" \
		MCPAUTH_JWT_ISSUER="$ISSUER" \
		MCPAUTH_JWT_JWKS_URI="$ISSUER/.well-known/jwks.json" \
		MCPAUTH_JWT_BASE_URL="$BASE_URL" \
		MCPAUTH_JWT_ALGORITHM=RS256 \
		MCPAUTH_JWT_CACHE_SIZE="$cache" \
		MCPAUTH_LOG_LEVEL=error \
		"$@" "$work/mcpauth" "$command"
	ready "$name" "http://127.0.0.1:$port/healthz"
}
mcpauth mcpauth-cache proxy "$p_mcache" 1000 MCPAUTH_UPSTREAM="$UPSTREAM"
mcpauth mcpauth-nocache proxy "$p_mnocache" 0 MCPAUTH_UPSTREAM="$UPSTREAM"
mcpauth authz authz "$p_authz" 1000
mcpauth authz-nocache authz "$p_authzn" 0

start oauth2-proxy "$oauth2_proxy" \
	--http-address="127.0.0.1:$p_oauth2" \
	--upstream="$UPSTREAM" \
	--provider=oidc \
	--oidc-issuer-url="$ISSUER" \
	--client-id="$AUDIENCE" \
	--client-secret=not-used-by-bearer-tokens \
	--cookie-secret=0123456789abcdef0123456789abcdef \
	--cookie-secure=false \
	--email-domain='*' \
	--skip-jwt-bearer-tokens \
	--extra-jwt-issuers="$ISSUER=$AUDIENCE" \
	--bearer-token-login-fallback=false \
	--skip-claims-from-profile-url \
	--request-logging=false \
	--auth-logging=false
ready oauth2-proxy "http://127.0.0.1:$p_oauth2/ping"

mkdir -p "$work/nginx/logs"
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes auto;
error_log $work/nginx/logs/error.log error;
pid $work/nginx/nginx.pid;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $work/nginx/body;
	proxy_temp_path $work/nginx/proxy;
	fastcgi_temp_path $work/nginx/fastcgi;
	uwsgi_temp_path $work/nginx/uwsgi;
	scgi_temp_path $work/nginx/scgi;
	upstream mcp { server 127.0.0.1:$p_upstream; keepalive 64; }
	upstream mcpauth_authz { server 127.0.0.1:$p_authz; keepalive 64; }
	upstream mcpauth_authz_nocache { server 127.0.0.1:$p_authzn; keepalive 64; }
	proxy_http_version 1.1;
	proxy_set_header Connection "";

	server {
		listen 127.0.0.1:$p_nplain;
		location = /healthz { return 200 "ok\n"; }
		location /mcp { proxy_pass http://mcp; }
	}
EOF
for pair in "$p_nauthz mcpauth_authz" "$p_nauthzn mcpauth_authz_nocache"; do
	set -- $pair
	cat >>"$work/nginx/nginx.conf" <<EOF
	server {
		listen 127.0.0.1:$1;
		location = /healthz { return 200 "ok\n"; }
		location /mcp {
			auth_request /_mcpauth;
			auth_request_set \$mcpauth_client_id \$upstream_http_x_mcpauth_client_id;
			auth_request_set \$mcpauth_subject \$upstream_http_x_mcpauth_subject;
			auth_request_set \$mcpauth_scopes \$upstream_http_x_mcpauth_scopes;
			auth_request_set \$mcpauth_issuer \$upstream_http_x_mcpauth_issuer;
			auth_request_set \$mcpauth_expires_at \$upstream_http_x_mcpauth_expires_at;
			proxy_set_header Authorization "";
			proxy_set_header X-MCPAuth-Client-ID \$mcpauth_client_id;
			proxy_set_header X-MCPAuth-Subject \$mcpauth_subject;
			proxy_set_header X-MCPAuth-Scopes \$mcpauth_scopes;
			proxy_set_header X-MCPAuth-Issuer \$mcpauth_issuer;
			proxy_set_header X-MCPAuth-Expires-At \$mcpauth_expires_at;
			proxy_pass http://mcp;
		}
		location = /_mcpauth {
			internal;
			proxy_pass http://$2;
			proxy_pass_request_body off;
			proxy_set_header Content-Length "";
			proxy_set_header X-Original-URI \$request_uri;
			proxy_set_header X-Original-Method \$request_method;
		}
	}
EOF
done
echo "}" >>"$work/nginx/nginx.conf"
start nginx nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/logs/error.log" -g 'daemon off;'
ready nginx "http://127.0.0.1:$p_nplain/healthz"

declare -A url=(
	[upstream]=$UPSTREAM
	[plain]=http://127.0.0.1:$p_plain/mcp
	[plain-buffered]=http://127.0.0.1:$p_plainb/mcp
	[mcpauth-cache]=http://127.0.0.1:$p_mcache/mcp
	[mcpauth-nocache]=http://127.0.0.1:$p_mnocache/mcp
	[oauth2-proxy]=http://127.0.0.1:$p_oauth2/mcp
	[nginx-plain]=http://127.0.0.1:$p_nplain/mcp
	[nginx-authz]=http://127.0.0.1:$p_nauthz/mcp
	[nginx-authz-nocache]=http://127.0.0.1:$p_nauthzn/mcp
)
authenticating="mcpauth-cache mcpauth-nocache oauth2-proxy nginx-authz nginx-authz-nocache"
BODY='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"}}}'
TOKEN=$(head -n1 "$work/tokens")
# A forged token: one character of the signature changed (not the last,
# whose low bits are padding).
pos=$((${#TOKEN} - 10))
if [ "${TOKEN:pos:1}" = A ]; then swap=B; else swap=A; fi
FORGED=${TOKEN:0:pos}$swap${TOKEN:pos+1}

# Every configuration must forward an accepted request, and every
# authenticating one must refuse a request without a token and one with a
# forged token: numbers of a proxy that does not check are worthless.
for c in $CONFIGS; do
	[ -n "${url[$c]:-}" ] || { echo "load.sh: unknown configuration $c (known: $ALL_CONFIGS)" >&2; exit 1; }
	code=$(curl -s -o "$work/check.out" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
		-H 'Content-Type: application/json' -d "$BODY" "${url[$c]}")
	if [ "$code" != 200 ] || ! grep -q 'hello from the load-test upstream' "$work/check.out"; then
		echo "load.sh: $c answered $code to an accepted request, want 200 from the upstream:" >&2
		cat "$work/check.out" "$work/$c.log" >&2 2>/dev/null || true
		exit 1
	fi
	if [[ " $authenticating " == *" $c "* ]]; then
		for auth in "" "Authorization: Bearer $FORGED"; do
			code=$(curl -s -o /dev/null -w '%{http_code}' -X POST ${auth:+-H "$auth"} \
				-H 'Content-Type: application/json' -d "$BODY" "${url[$c]}")
			if [ "$code" != 401 ] && [ "$code" != 403 ]; then
				echo "load.sh: $c answered $code to a request ${auth:+with a forged token}${auth:-without a token}, want 401 or 403" >&2
				exit 1
			fi
		done
	fi
done

cat >"$work/load.lua" <<'EOF'
-- POST /mcp with one of the clients' tokens, rotating per request; prints
-- one RESULT line at the end.
local name, round = os.getenv("LOAD_NAME"), os.getenv("LOAD_ROUND")
local body = os.getenv("LOAD_BODY")
local reqs = {}
for line in io.lines(os.getenv("LOAD_TOKENS")) do
	reqs[#reqs + 1] = wrk.format("POST", nil, {
		["Host"] = os.getenv("LOAD_HOST"),
		["Authorization"] = "Bearer " .. line,
		["Content-Type"] = "application/json",
		["Accept"] = "application/json, text/event-stream",
	}, body)
end
local i = 0
request = function()
	i = i % #reqs + 1
	return reqs[i]
end
done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("RESULT %s %s %.1f %.1f %.1f %d %d\n", name, round,
		summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(99),
		summary.requests, e.connect + e.read + e.write + e.status + e.timeout))
end
EOF

echo "load.sh: wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $ROUNDS rounds after a $WARMUP warm-up, $(nproc) CPUs: $CONFIGS" >&2
# The processes whose CPU time a configuration costs (the upstream's is
# not counted, except for the upstream alone): nginx's workers, plus authz.
nginx_workers=$(pgrep -P "${pid[nginx]}" | tr '\n' ' ')
declare -A cost=(
	[upstream]=${pid[upstream]}
	[plain]=${pid[plain]}
	[plain-buffered]=${pid[plain-buffered]}
	[mcpauth-cache]=${pid[mcpauth-cache]}
	[mcpauth-nocache]=${pid[mcpauth-nocache]}
	[oauth2-proxy]=${pid[oauth2-proxy]}
	[nginx-plain]=$nginx_workers
	[nginx-authz]="$nginx_workers ${pid[authz]}"
	[nginx-authz-nocache]="$nginx_workers ${pid[authz-nocache]}"
)
# cpu PID...: their user+system CPU time, in clock ticks.
cpu() {
	local t=0 p f
	for p in "$@"; do
		# Fields after the command name, which is in parentheses.
		read -r -a f <<<"$(sed 's/^.*) //' "/proc/$p/stat")"
		t=$((t + f[11] + f[12]))
	done
	echo "$t"
}
tick_us=$((1000000 / $(getconf CLK_TCK)))

results=$work/results
: >"$results"
for round in $(seq 0 "$ROUNDS"); do
	d=$DURATION
	if [ "$round" = 0 ]; then d=$WARMUP; fi
	# Every other round runs the configurations in reverse, so that no
	# configuration always follows the same one.
	order=$CONFIGS
	if [ $((round % 2)) = 0 ]; then order=$(echo "$CONFIGS" | tr ' ' '\n' | tac | tr '\n' ' '); fi
	for c in $order; do
		host=${url[$c]#http://}
		before=$(cpu ${cost[$c]})
		LOAD_HOST=${host%%/*} LOAD_NAME=$c LOAD_ROUND=$round LOAD_BODY=$BODY LOAD_TOKENS=$work/tokens \
			wrk -t"$THREADS" -c"$CONNECTIONS" -d"$d" -s "$work/load.lua" "${url[$c]}" >"$work/wrk.out"
		after=$(cpu ${cost[$c]})
		line=$(grep '^RESULT ' "$work/wrk.out") || { cat "$work/wrk.out" >&2; exit 1; }
		requests=$(echo "$line" | awk '{print $7}')
		line="$line $(( (after - before) * tick_us / (requests > 0 ? requests : 1) ))"
		if [ "$round" != 0 ]; then
			echo "$line" >>"$results"
			echo "  round $round: $line" >&2
		fi
	done
done

settings="wrk -t$THREADS -c$CONNECTIONS -d$DURATION per run, $CONNECTIONS RS256 tokens (one per client), $WARMUP warm-up round not counted"
"$work/load" report -in "$results" -out "$OUT" -cmd "make bench-load" -settings "$settings" -noise "$NOISE"
