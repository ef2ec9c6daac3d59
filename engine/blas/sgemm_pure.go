//go:build !openblas

package blas

// Backend names the SGEMM implementation in use. In this build it is Go
// code with its micro-kernel chosen at start-up from the CPU: "go-avx2-fma"
// (AVX2/FMA assembly, amd64) or "go-scalar" (portable Go, elsewhere, or
// with the purego build tag).
func Backend() string { return defaultKernel.name }

// SetThreads is a no-op in the pure-Go build, which uses GOMAXPROCS
// goroutines; it exists so callers compile against either build. It returns
// an error only for n < 1.
func SetThreads(n int) error { return checkThreads(n) }

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, where
// op(X) is X or Xᵀ as transA/transB say. C is m×n, op(A) m×k, op(B) k×n; lda,
// ldb and ldc are the row strides of the stored A (m×k, or k×m when
// transA), B (k×n, or n×k when transB) and C. beta == 0 overwrites C (NaNs in
// C do not propagate). Invalid dimensions, strides or short slices return an
// error and leave C untouched. C must not overlap A or B.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) error {
	if err := checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc); err != nil {
		return err
	}
	gemmGo(defaultKernel, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	return nil
}
