//go:build !cuda

package gpu

// CUDACompiled reports whether the cuBLAS (cuda build tag) path is compiled in.
const CUDACompiled = false

// BLAS is a cuBLAS handle on one device. Without the cuda build tag
// NewBLAS returns ErrGPUNotCompiled, so no BLAS exists.
type BLAS struct{}

// NewBLAS opens cuBLAS on device. Without the cuda build tag it returns
// ErrGPUNotCompiled.
func NewBLAS(device int) (*BLAS, error) { return nil, ErrGPUNotCompiled }

// Versions returns ErrGPUNotCompiled without the cuda build tag.
func (b *BLAS) Versions() (driver, rt int, err error) { return 0, 0, ErrGPUNotCompiled }

// Close does nothing without the cuda build tag.
func (b *BLAS) Close() error { return nil }

// SGEMM returns ErrGPUNotCompiled without the cuda build tag.
func (b *BLAS) SGEMM(m, n, k int, a, bm, c []float32) error { return ErrGPUNotCompiled }

// Int8GEMM returns ErrGPUNotCompiled without the cuda build tag.
func (b *BLAS) Int8GEMM(m, n, k int, a, bm []int8, c []int32) error { return ErrGPUNotCompiled }

// LoRAMatMul returns ErrGPUNotCompiled without the cuda build tag.
func (b *BLAS) LoRAMatMul(T, d, r, o int, X, A, B []int16) ([]int64, error) {
	return nil, ErrGPUNotCompiled
}
