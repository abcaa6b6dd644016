GO ?= go
STATICCHECK_VERSION ?= v0.8.2

.PHONY: all build test test-short lint fmt vet staticcheck run clean

all: lint test

build:
	$(GO) build ./...

## test: the full test suite with the race detector (what CI runs)
test:
	$(GO) build ./...
	$(GO) test -race -count=1 ./...
	cd examples && $(GO) test -race -count=1 ./...

test-short:
	$(GO) test -count=1 ./...

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
