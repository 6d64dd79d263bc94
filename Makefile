# mlsec: the two commands a fresh machine needs are `make demo` and `make test`.

GO      ?= go
FUZZTIME ?= 30s

.PHONY: demo test test-short bench lint fuzz

## demo: run the end-to-end secured ML pipeline on built-in sample data.
demo:
	./scripts/demo

## test: every test, with SoftHSM2, local KMS servers and Chromium set up.
test:
	./scripts/with-test-services ./scripts/go-test-all -race -count=1 -timeout 30m

## test-short: the tests that need nothing outside Go (skips the rest).
test-short:
	./scripts/go-test-all -count=1

## bench: Go benchmarks and the comparison scripts against peer tools.
bench:
	./scripts/bench

## lint: gofmt, go vet, and staticcheck when it installs.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	CGO_ENABLED=0 $(GO) build ./...
	@if $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 -version >/dev/null 2>&1; then \
		$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...; \
	else echo "staticcheck unavailable; skipped"; fi

## fuzz: a short run of every fuzz target (FUZZTIME each).
fuzz:
	./scripts/fuzz $(FUZZTIME)
