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

## GPU build (docs/GPU.md). ICICLE's C++ sources come from the Go module cache
## (github.com/ingonyama-zk/icicle-gnark/v3, the version gnark pins).
## gpu:          everything on one machine with Go, cmake, a C++ compiler and nvcc.
## gpu-frontend: ICICLE's BN254 frontend libraries (no CUDA needed).
## gpu-backend:  ICICLE's CUDA backend for sm_$(CUDA_ARCH) (needs nvcc: on the GPU host).
## gpu-binary:   zklora with tags icicle and cuda, linked against the frontend libraries.
## gpu-bundle:   the split build: binary, frontend libraries, tagged test binaries and the
##               ICICLE sources with a backend build script, in one tarball for the GPU host.
## test-gpu:     the tagged tests (on a GPU host with Go).
ICICLE_MOD    := github.com/ingonyama-zk/icicle-gnark/v3
ICICLE_BUILD  ?= $(CURDIR)/build/icicle
ICICLE_PREFIX ?= $(CURDIR)/build/icicle-install
CUDA_ARCH     ?= 90
JOBS          ?= $(shell nproc)
GPU_TAGS      ?= icicle,cuda
GPU_BIN       ?= bin/zklora-gpu
GPU_LDFLAGS    = -L$(ICICLE_PREFIX)/lib -Wl,-rpath,$(ICICLE_PREFIX)/lib -Wl,-rpath,'$$ORIGIN/../lib'

.PHONY: gpu gpu-src gpu-frontend gpu-backend gpu-binary gpu-bundle test-gpu
gpu: gpu-backend gpu-binary

gpu-src:
	$(GO) mod download $(ICICLE_MOD)
	rm -rf $(ICICLE_BUILD)/src && mkdir -p $(ICICLE_BUILD)
	cp -r "$$($(GO) list -m -f '{{.Dir}}' $(ICICLE_MOD))/icicle" $(ICICLE_BUILD)/src
	chmod -R u+w $(ICICLE_BUILD)/src

gpu-frontend: gpu-src
	cmake -S $(ICICLE_BUILD)/src -B $(ICICLE_BUILD)/frontend -DCURVE=bn254 -DCUDA_BACKEND=OFF \
		-DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=$(ICICLE_PREFIX)
	cmake --build $(ICICLE_BUILD)/frontend --target install -j$(JOBS)

gpu-backend: gpu-src
	cmake -S $(ICICLE_BUILD)/src -B $(ICICLE_BUILD)/cuda -DCURVE=bn254 -DCUDA_BACKEND=ON \
		-DCUDA_ARCH=$(CUDA_ARCH) -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=$(ICICLE_PREFIX)
	cmake --build $(ICICLE_BUILD)/cuda --target install -j$(JOBS)

gpu-binary:
	@test -e $(ICICLE_PREFIX)/lib/libicicle_device.so || { echo "no ICICLE libraries in $(ICICLE_PREFIX)/lib: run make gpu-frontend (or gpu-backend) first"; exit 1; }
	CGO_LDFLAGS="$(GPU_LDFLAGS)" $(GO) build $(GOFLAGS) -tags $(GPU_TAGS) -o $(GPU_BIN) ./cmd/zklora

gpu-bundle: gpu-frontend gpu-binary
	rm -rf dist/zklora-gpu && mkdir -p dist/zklora-gpu/bin dist/zklora-gpu/lib dist/zklora-gpu/test
	cp $(GPU_BIN) dist/zklora-gpu/bin/zklora
	cp -P $(ICICLE_PREFIX)/lib/*.so* dist/zklora-gpu/lib/
	CGO_LDFLAGS="$(GPU_LDFLAGS)" $(GO) test -c -tags $(GPU_TAGS) -o dist/zklora-gpu/test/gpu.test ./gpu/
	CGO_LDFLAGS="$(GPU_LDFLAGS)" $(GO) test -c -tags $(GPU_TAGS) -o dist/zklora-gpu/test/prover.test ./engine/prover/
	cp -r $(ICICLE_BUILD)/src dist/zklora-gpu/icicle-src
	cp scripts/gpu/build-backend.sh scripts/gpu/run-tests.sh dist/zklora-gpu/
	tar -C dist -czf dist/zklora-gpu.tar.gz zklora-gpu
	@echo "dist/zklora-gpu.tar.gz: copy it to the GPU host, then ./build-backend.sh and ./run-tests.sh (docs/GPU.md)"

test-gpu:
	ICICLE_BACKEND_INSTALL_DIR=$${ICICLE_BACKEND_INSTALL_DIR:-$(ICICLE_PREFIX)/lib/backend} \
	CGO_LDFLAGS="$(GPU_LDFLAGS)" $(GO) test $(GOFLAGS) -tags $(GPU_TAGS) -count=1 -v ./gpu/ ./engine/prover/ -run 'Parity|GPU|Device|CuBLAS|BLAS|Engine'
