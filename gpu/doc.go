// Package gpu is the leaf that offloads BN254 multi-scalar multiplication
// and number-theoretic transforms to a GPU through ICICLE (build tag
// icicle) and, later, matmuls through cuBLAS (build tag cuda).
//
// Without the tags, every entry point returns ErrGPUNotCompiled and
// nothing panics, so callers can always try the GPU and fall back to
// gnark-crypto on the CPU. The package imports nothing from the project.
package gpu
