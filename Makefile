# zklora — build, test, demo and benchmark entry points.
# A fresh machine needs only Go; targets that need more install it themselves.

GO       ?= go
BIN      ?= bin/zklora
GOFLAGS  ?=
TESTTIME ?= 20m

.PHONY: all build test test-short lint demo bench fuzz clean

all: build

build:
	$(GO) build $(GOFLAGS) -o $(BIN) ./cmd/zklora

## test: the default tier: vet, then every package's tests (proves small shapes for real).
test:
	$(GO) vet ./...
	$(GO) test $(GOFLAGS) -count=1 -timeout $(TESTTIME) ./...

## test-short: the quick tier.
test-short:
	$(GO) test $(GOFLAGS) -short -count=1 ./...

## lint: formatting and vet.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## demo: a whole session on the embedded defaults.
demo: build
	$(BIN) demo

## bench: Go benchmarks of the prover.
bench:
	$(GO) test $(GOFLAGS) -run '^$$' -bench . -benchmem -count 5 ./circuits/... ./engine/...

clean:
	rm -rf bin

## goldens: regenerate testdata/golden/ with the independent NumPy reference (scripts/golden/README.md).
.PHONY: goldens
goldens:
	GO=$(GO) sh scripts/golden/regen.sh
