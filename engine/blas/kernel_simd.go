package blas

import "github.com/zklora/zklora/engine/blas/internal/avx2"

// avx2Kernel is the 6×16 AVX2/FMA assembly micro-kernel (12 of the 16 YMM
// registers accumulate a 6×16 tile).
var avx2Kernel = &microKernel{name: "go-avx2-fma", mr: 6, nr: 16, mc: 144, fn: avx2.Kernel6x16}

// simdKernel returns the fastest assembly micro-kernel the CPU supports, or
// nil when there is none (not amd64, the purego tag, or no AVX2/FMA).
func simdKernel() *microKernel {
	if avx2.Supported() {
		return avx2Kernel
	}
	return nil
}
