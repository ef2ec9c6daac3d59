//go:build openblas

package blas

const wantBackend = "openblas"
