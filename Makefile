GO ?= go
STATICCHECK_VERSION ?= v0.8.2

.PHONY: all build test test-short lint fmt vet staticcheck run clean fuzz interop

all: lint test

build:
	$(GO) build ./...

## test: the full test suite with the race detector (what CI runs)
test:
	$(GO) build ./...
	$(GO) test -race -count=1 ./...
	cd examples && $(GO) test -race -count=1 ./...

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
	verify:FuzzVerifyToken verify:FuzzParseStrictObject verify:FuzzSettingsFromMap \
	middleware:FuzzBearerToken middleware:FuzzMiddleware \
	jwks:FuzzParseJWK jwks:FuzzParseDocument

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t#*:}; \
		echo "== $$name (./$$pkg, $(FUZZTIME))"; \
		$(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) $(FUZZFLAGS) ./$$pkg; \
	done

## lint: gofmt, go vet and staticcheck
lint: fmt vet staticcheck

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	cd examples && $(GO) vet ./...

staticcheck:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	cd examples && $(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

clean:
	$(GO) clean -testcache
