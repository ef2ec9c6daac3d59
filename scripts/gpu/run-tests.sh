#!/bin/sh
# On the GPU host, inside the unpacked zklora-gpu bundle, after
# build-backend.sh: run the tagged tests and the doctor.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
export ICICLE_BACKEND_INSTALL_DIR="${ICICLE_BACKEND_INSTALL_DIR:-$here/lib/backend}"
export LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
"$here/bin/zklora" doctor
# Test binaries run in their package folder in `go test`; here from the bundle.
"$here/test/gpu.test" -test.v -test.count=1 -test.run 'Parity|GPU|Device|CuBLAS|BLAS'
"$here/test/prover.test" -test.v -test.count=1 -test.run 'Engine'
