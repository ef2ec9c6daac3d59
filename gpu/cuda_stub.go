//go:build !cuda

package gpu

// CUDACompiled reports whether the cuBLAS (cuda build tag) path is compiled in.
const CUDACompiled = false
