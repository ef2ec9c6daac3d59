package gpu

import (
	"errors"
	"strings"
	"testing"
)

func TestIcicleError(t *testing.T) {
	if err := icicleErr("msm", 0); err != nil {
		t.Fatalf("Success became %v", err)
	}
	err := icicleErr("msm", int(IcicleOutOfMemory))
	if !errors.Is(err, ErrOutOfMemory) || errors.Is(err, ErrNoDevice) {
		t.Fatalf("OutOfMemory: Is mismatch for %v", err)
	}
	if !strings.Contains(err.Error(), "OutOfMemory") || !strings.Contains(err.Error(), "msm") {
		t.Fatalf("message %q", err)
	}
	if !errors.Is(icicleErr("load", int(IcicleBackendLoadFailed)), ErrBackendNotFound) {
		t.Fatal("BackendLoadFailed does not match ErrBackendNotFound")
	}
	if !errors.Is(icicleErr("set device", int(IcicleInvalidDevice)), ErrNoDevice) {
		t.Fatal("InvalidDevice does not match ErrNoDevice")
	}
	if s := IcicleCode(99).String(); !strings.Contains(s, "99") {
		t.Fatalf("code 99: %q", s)
	}
	var ie *IcicleError
	if !errors.As(err, &ie) || ie.Code != IcicleOutOfMemory {
		t.Fatalf("As: %v", err)
	}
}

func TestCUDAError(t *testing.T) {
	if !errors.Is(&CUDAError{Op: "cudaMalloc", Code: 2}, ErrOutOfMemory) {
		t.Fatal("cudaErrorMemoryAllocation is not ErrOutOfMemory")
	}
	if errors.Is(&CUDAError{Op: "cublasGemmEx", Code: 2}, ErrOutOfMemory) {
		t.Fatal("CUBLAS_STATUS_NOT_INITIALIZED (2) taken for out of memory")
	}
	if !errors.Is(&CUDAError{Op: "cublasCreate_v2", Code: 3}, ErrOutOfMemory) {
		t.Fatal("CUBLAS_STATUS_ALLOC_FAILED is not ErrOutOfMemory")
	}
	if !errors.Is(&CUDAError{Op: "cudaGetDeviceCount", Code: 100}, ErrNoDevice) {
		t.Fatal("cudaErrorNoDevice is not ErrNoDevice")
	}
}

func TestGuardRecovers(t *testing.T) {
	f := func() (err error) {
		defer guard("boom", &err)
		panic("device said no")
	}
	err := f()
	var pe *PanicError
	if !errors.As(err, &pe) || pe.Op != "boom" || !strings.Contains(err.Error(), "device said no") {
		t.Fatalf("got %v", err)
	}
	g := func() (err error) {
		defer guard("fine", &err)
		return nil
	}
	if err := g(); err != nil {
		t.Fatalf("no panic gave %v", err)
	}
}
