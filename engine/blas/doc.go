// Package blas provides the float32 matrix multiplication (SGEMM) that the
// base-model runtime needs: row-major C = alpha·op(A)·op(B) + beta·C.
//
// Two implementations share one API and are chosen at build time:
//
//   - the default build compiles a Go GEMM (sgemm_pure.go, gemm_go.go):
//     cache blocking with packed A and B panels (Goto/BLIS loop order),
//     parallel over GOMAXPROCS goroutines, and a register-blocked
//     micro-kernel chosen once at start-up from the CPU: a 6×16 AVX2/FMA
//     kernel in Go assembly (internal/avx2) on amd64 CPUs that have it, or a
//     portable 2×4 Go kernel (also forced by the purego build tag);
//   - the build tag "openblas" compiles a cgo binding to OpenBLAS's
//     cblas_sgemm (sgemm_openblas.go), which needs libopenblas-dev
//     (make deps-blas).
//
// Backend reports which one is in use. Both validate their arguments and
// return errors rather than panicking.
package blas
