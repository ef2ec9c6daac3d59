//go:build openblas

package blas

var wantBackends = []string{"openblas"}
