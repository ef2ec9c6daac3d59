#!/bin/sh
# On the GPU host (CUDA 13, no network, no Go needed), inside the unpacked
# zklora-gpu bundle: build ICICLE's CUDA backend for sm_${CUDA_ARCH:-90}
# from the bundled sources and install it under ./lib/backend.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
arch=${CUDA_ARCH:-90}
command -v nvcc >/dev/null || PATH=/usr/local/cuda/bin:$PATH
command -v nvcc >/dev/null || { echo "nvcc not found: put CUDA's bin on PATH (e.g. /usr/local/cuda/bin)" >&2; exit 1; }
command -v cmake >/dev/null || { echo "cmake not found" >&2; exit 1; }
cmake -S "$here/icicle-src" -B "$here/build-cuda" -DCURVE=bn254 -DCUDA_BACKEND=ON -DCUDA_ARCH="$arch" \
	-DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$here/backend-install"
cmake --build "$here/build-cuda" --target install -j"$(nproc)"
rm -rf "$here/lib/backend"
cp -r "$here/backend-install/lib/backend" "$here/lib/backend"
echo "backend installed: export ICICLE_BACKEND_INSTALL_DIR=$here/lib/backend"
