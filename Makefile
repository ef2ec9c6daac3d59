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

## deps-blas: install OpenBLAS (library and cblas.h) for the openblas build tag (Debian; run as root).
## deps-torch: install Debian's PyTorch with OpenBLAS as its BLAS, for bench-model.
## test-blas: the BLAS kernels and the GPT-2 runtime built against OpenBLAS.
## bench-model: the Go GPT-2 forward (openblas build) and the PyTorch one, side by side.
.PHONY: deps-blas deps-torch test-blas bench-model
deps-blas:
	@dpkg -s libopenblas-dev >/dev/null 2>&1 || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y libopenblas-dev; }
deps-torch:
	@{ dpkg -s python3-torch && dpkg -s libopenblas0-pthread; } >/dev/null 2>&1 || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y python3-torch libopenblas0-pthread; }
test-blas: deps-blas
	$(GO) test $(GOFLAGS) -tags openblas -count=1 ./engine/blas/... ./engine/gpt2/...
bench-model: deps-blas deps-torch
	GO=$(GO) /usr/bin/python3 bench/torch/compare.py
