package blas

import "fmt"

// checkArgs validates the dimensions, leading dimensions and slice lengths of
// a row-major SGEMM call. Stored A is m×k (k×m when transA), stored B is k×n
// (n×k when transB) and C is m×n.
func checkArgs(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) error {
	if m < 0 || n < 0 || k < 0 {
		return fmt.Errorf("blas: negative dimension m=%d n=%d k=%d", m, n, k)
	}
	const maxDim = 1 << 31
	if m >= maxDim || n >= maxDim || k >= maxDim {
		return fmt.Errorf("blas: dimension too large m=%d n=%d k=%d", m, n, k)
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	if err := checkMat("A", a, ar, ac, lda); err != nil {
		return err
	}
	if err := checkMat("B", b, br, bc, ldb); err != nil {
		return err
	}
	return checkMat("C", c, m, n, ldc)
}

// checkMat validates one stored row-major rows×cols matrix with leading
// dimension ld held in s.
func checkMat(what string, s []float32, rows, cols, ld int) error {
	if ld < 1 || ld < cols || ld >= 1<<31 {
		return fmt.Errorf("blas: leading dimension of %s is %d, need at least max(1, %d)", what, ld, cols)
	}
	if rows == 0 || cols == 0 {
		return nil
	}
	need := (rows-1)*ld + cols
	if len(s) < need {
		return fmt.Errorf("blas: %s has %d elements, need %d for %d×%d with leading dimension %d", what, len(s), need, rows, cols, ld)
	}
	return nil
}

// scaleC sets C = beta·C over the m×n block; beta == 0 overwrites with zeros
// (so NaNs in C do not survive), as in reference BLAS.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// checkThreads validates a thread count for SetThreads.
func checkThreads(n int) error {
	if n < 1 {
		return fmt.Errorf("blas: thread count %d, need at least 1", n)
	}
	return nil
}
