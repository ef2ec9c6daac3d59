// Package blas provides the float32 matrix multiplication (SGEMM) that the
// base-model runtime needs: row-major C = alpha·op(A)·op(B) + beta·C.
//
// Two implementations share one API and are chosen at build time:
//
//   - the default build compiles a pure-Go, cache-blocked GEMM with packed
//     panels, a register-blocked inner kernel and parallelism over GOMAXPROCS
//     goroutines (sgemm_pure.go);
//   - the build tag "openblas" compiles a cgo binding to OpenBLAS's
//     cblas_sgemm (sgemm_openblas.go), which needs libopenblas-dev
//     (make deps-blas).
//
// Backend reports which one is compiled in. Both validate their arguments and
// return errors rather than panicking.
package blas
