GO ?= go
STATICCHECK_VERSION ?= v0.8.2

.PHONY: all build test test-short lint fmt vet staticcheck run clean fuzz interop bench bench-load soak soak-short

all: lint test

build:
	$(GO) build ./...

## test: the full test suite with the race detector (what CI runs)
test:
	$(GO) build ./...
	$(GO) test -race -count=1 ./...
	cd examples && $(GO) test -race -count=1 ./...
	cd bench && $(GO) test -race -count=1 ./...

## run: the demo server (mcpauth serve in demo mode; prints a token and a curl line)
run:
	$(GO) run ./cmd/mcpauth serve

## interop: tests against independent implementations (jose, the TypeScript
## MCP SDK, oidc-provider); needs Node.js, installs interop/package-lock.json.
interop:
	cd interop && npm ci --no-audit --no-fund
	$(GO) test -tags interop -count=1 -v ./interop/

test-short:
	$(GO) test -count=1 ./...

## fuzz: run every fuzz target for FUZZTIME (default 30s), one after another.
## `make test` already runs their seed corpora (and testdata/fuzz) as tests.
FUZZTIME ?= 30s
FUZZFLAGS ?=
FUZZ_TARGETS := \
	verify:FuzzVerifyToken verify:FuzzDifferential internal/strictjson:FuzzParseStrictObject internal/strictjson:FuzzScanner verify:FuzzSettingsFromMap \
	middleware:FuzzBearerToken middleware:FuzzMiddleware middleware:FuzzWithPolicy policy:FuzzCheck policy:FuzzCheckHeaders policy:FuzzCheckHeadersNoLooserThanBody dpop:FuzzVerifyProof dpop:FuzzScanClaims internal/jose:FuzzDecodeBase64URL \
	jwks:FuzzParseJWK jwks:FuzzParseDocument

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t#*:}; \
		echo "== $$name (./$$pkg, $(FUZZTIME))"; \
		$(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) $(FUZZFLAGS) ./$$pkg; \
	done

## soak: mcpauth serve and proxy (built binaries on loopback) under steady
## concurrent load for SOAK_DURATION (default 5m) while the JWK Set rotates
## keys, goes down for longer than the refresh interval and comes back, and a
## flood of unknown-kid and garbage tokens runs alongside; then memory,
## descriptors and goroutines must be back at their baseline (internal/soak).
## soak-short is CI's variant: one rotation cycle, well under a minute.
SOAK_DURATION ?= 5m
soak:
	$(GO) test -tags soak -run '^TestSoak$$' -count=1 -v -timeout 30m ./internal/soak -args -soak.duration=$(SOAK_DURATION)

soak-short:
	$(GO) test -tags soak -run '^TestSoak$$' -count=1 -v -timeout 5m ./internal/soak

## bench: side-by-side benchmarks against the Go peers (bench/, its own
## module): BENCH_ROUNDS interleaved rounds (benchstat-style repeated counts,
## like -count=6 but alternating the benchmarks, so slow drift on a shared
## machine hits every row alike), then one table of medians with the ratios
## and the targets of the performance issue; writes bench/RESULTS.md.
BENCH_ROUNDS ?= 6
BENCH_TIME ?= 400ms
bench:
	cd bench && $(GO) test -c -o bench.test .
	cd bench && rm -f bench.out && for i in $$(seq $(BENCH_ROUNDS)); do \
		echo "== round $$i of $(BENCH_ROUNDS)" >&2; \
		./bench.test -test.run='^$$' -test.bench=. -test.benchmem -test.benchtime=$(BENCH_TIME) >> bench.out || exit 1; \
	done
	cd bench && $(GO) run ./cmd/report -in bench.out -out RESULTS.md -gomod go.mod -cmd "make bench"

## bench-load: mcpauth proxy side by side with oauth2-proxy v7 (built once
## from the Go module proxy), a plain httputil.ReverseProxy and nginx
## (auth_request to mcpauth authz, and without auth), under wrk on loopback;
## interleaved rounds, medians, the issue's ratios; writes the load section
## of bench/RESULTS.md (kept by make bench). Needs wrk and nginx; not run by
## CI. Settings: see bench/load.sh (ROUNDS, DURATION, CONNECTIONS, NOISE).
bench-load:
	bash bench/load.sh

## lint: gofmt, go vet and staticcheck
lint: fmt vet staticcheck

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	$(GO) vet -tags interop ./interop/
	$(GO) vet -tags soak ./internal/soak/
	cd examples && $(GO) vet ./...
	cd bench && $(GO) vet ./...

staticcheck:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) -tags interop ./interop/
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) -tags soak ./internal/soak/
	cd examples && $(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	cd bench && $(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

clean:
	$(GO) clean -testcache
