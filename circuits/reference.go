package circuits

import "fmt"

// MatMulExact computes Z = X·A·B exactly in int64 for T rows. X is T×d, A is
// d×r and B is r×o, all flat row-major (see the package doc). It refuses
// shapes that could overflow (Shape.Validate) and slices of the wrong length.
//
// The intermediate XA (T×r) is exact: |XA| ≤ d·2^30 < 2^47. The final sum is
// bounded by d·r·2^45 ≤ 2^62 by Validate, so no step can overflow.
func MatMulExact(s Shape, X, A, B []int16) ([]int64, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if len(X)%s.D != 0 {
		return nil, fmt.Errorf("X has %d values, not a multiple of d=%d", len(X), s.D)
	}
	if len(A) != s.D*s.R {
		return nil, fmt.Errorf("A has %d values, want d·r=%d", len(A), s.D*s.R)
	}
	if len(B) != s.R*s.O {
		return nil, fmt.Errorf("B has %d values, want r·o=%d", len(B), s.R*s.O)
	}
	T := len(X) / s.D
	Z := make([]int64, T*s.O)
	xa := make([]int64, s.R)
	for t := 0; t < T; t++ {
		row := X[t*s.D : (t+1)*s.D]
		for j := range xa {
			xa[j] = 0
		}
		for i, x := range row {
			if x == 0 {
				continue
			}
			xi := int64(x)
			a := A[i*s.R : (i+1)*s.R]
			for j, av := range a {
				xa[j] += xi * int64(av)
			}
		}
		z := Z[t*s.O : (t+1)*s.O]
		for j, v := range xa {
			if v == 0 {
				continue
			}
			b := B[j*s.O : (j+1)*s.O]
			for k, bv := range b {
				z[k] += v * int64(bv)
			}
		}
	}
	return Z, nil
}
