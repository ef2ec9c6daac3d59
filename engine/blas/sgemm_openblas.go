//go:build openblas

package blas

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
*/
import "C"

// Backend names the compiled SGEMM implementation: "openblas" in this build.
func Backend() string { return "openblas" }

// SetThreads sets the number of threads OpenBLAS uses for every later call
// (openblas_set_num_threads; this is process-wide state of the C library). By
// default OpenBLAS reads OPENBLAS_NUM_THREADS or uses every core.
func SetThreads(n int) error {
	if err := checkThreads(n); err != nil {
		return err
	}
	C.openblas_set_num_threads(C.int(n))
	return nil
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, where
// op(X) is X or Xᵀ as transA/transB say. C is m×n, op(A) m×k, op(B) k×n; lda,
// ldb and ldc are the row strides of the stored A (m×k, or k×m when
// transA), B (k×n, or n×k when transB) and C. beta == 0 overwrites C (NaNs in
// C do not propagate). Invalid dimensions, strides or short slices return an
// error and leave C untouched. C must not overlap A or B. This build calls
// OpenBLAS's cblas_sgemm.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) error {
	if err := checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc); err != nil {
		return err
	}
	if m == 0 || n == 0 {
		return nil
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return nil
	}
	ta, tb := uint32(C.CblasNoTrans), uint32(C.CblasNoTrans)
	if transA {
		ta = uint32(C.CblasTrans)
	}
	if transB {
		tb = uint32(C.CblasTrans)
	}
	C.cblas_sgemm(C.CblasRowMajor, C.enum_CBLAS_TRANSPOSE(ta), C.enum_CBLAS_TRANSPOSE(tb),
		C.blasint(m), C.blasint(n), C.blasint(k),
		C.float(alpha), (*C.float)(&a[0]), C.blasint(lda),
		(*C.float)(&b[0]), C.blasint(ldb),
		C.float(beta), (*C.float)(&c[0]), C.blasint(ldc))
	return nil
}
