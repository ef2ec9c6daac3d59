// Package avx2 holds engine/blas's AVX2/FMA micro-kernel in Go assembly and
// the CPU feature check that guards it. It is a separate package because a
// package using cgo (engine/blas under the openblas tag) may not contain Go
// assembly.
package avx2
