//go:build !openblas

package blas

const wantBackend = "pure-go"
