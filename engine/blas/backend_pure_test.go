//go:build !openblas

package blas

var wantBackends = []string{"go-avx2-fma", "go-scalar"}
