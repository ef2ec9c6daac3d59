//go:build !cuda

package gpu

import (
	"errors"
	"testing"
)

func TestCUDAStubs(t *testing.T) {
	if _, err := NewBLAS(0); !errors.Is(err, ErrGPUNotCompiled) {
		t.Fatalf("NewBLAS: %v", err)
	}
	var b *BLAS
	if err := b.SGEMM(1, 1, 1, []float32{1}, []float32{1}, []float32{0}); !errors.Is(err, ErrGPUNotCompiled) {
		t.Fatalf("SGEMM: %v", err)
	}
	if _, err := b.LoRAMatMul(1, 1, 1, 1, []int16{1}, []int16{1}, []int16{1}); !errors.Is(err, ErrGPUNotCompiled) {
		t.Fatalf("LoRAMatMul: %v", err)
	}
}
