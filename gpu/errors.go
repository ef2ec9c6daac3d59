package gpu

import (
	"errors"
	"fmt"
)

// ErrGPUNotCompiled is returned by every GPU entry point of a binary built
// without the matching build tag (icicle for MSM, NTT and Groth16; cuda
// for cuBLAS).
var ErrGPUNotCompiled = errors.New("no GPU support compiled in (build with `make gpu`, tags icicle and cuda); see docs/GPU.md")

// ErrNoDevice is returned when GPU support is compiled in but no usable
// device was found.
var ErrNoDevice = errors.New("no usable GPU device found")

// ErrOutOfMemory is matched (errors.Is) by device errors that report
// exhausted device memory.
var ErrOutOfMemory = errors.New("GPU out of memory")

// ErrBackendNotFound is matched by the error of an ICICLE runtime that
// could not load its CUDA backend (ICICLE_BACKEND_INSTALL_DIR).
var ErrBackendNotFound = errors.New("ICICLE CUDA backend not found (set ICICLE_BACKEND_INSTALL_DIR; see docs/GPU.md)")

// IcicleCode is ICICLE's eIcicleError, with the same numbering as
// icicle-gnark v3.2.2's runtime.EIcicleError (icicle/include/icicle/errors.h).
type IcicleCode int

// The ICICLE error codes.
const (
	IcicleSuccess IcicleCode = iota
	IcicleInvalidDevice
	IcicleOutOfMemory
	IcicleInvalidPointer
	IcicleAllocationFailed
	IcicleDeallocationFailed
	IcicleCopyFailed
	IcicleSynchronizationFailed
	IcicleStreamCreationFailed
	IcicleStreamDestructionFailed
	IcicleAPINotImplemented
	IcicleInvalidArgument
	IcicleBackendLoadFailed
	IcicleLicenseCheckError
	IcicleUnknownError
)

// String returns ICICLE's name of the code.
func (c IcicleCode) String() string {
	names := [...]string{
		"Success", "InvalidDevice", "OutOfMemory", "InvalidPointer", "AllocationFailed",
		"DeallocationFailed", "CopyFailed", "SynchronizationFailed", "StreamCreationFailed",
		"StreamDestructionFailed", "ApiNotImplemented", "InvalidArgument", "BackendLoadFailed",
		"LicenseCheckError", "UnknownError",
	}
	if c >= 0 && int(c) < len(names) {
		return names[c]
	}
	return fmt.Sprintf("UnknownError(%d)", int(c))
}

// IcicleError is a failed ICICLE call: the operation and ICICLE's code.
type IcicleError struct {
	Op   string
	Code IcicleCode
}

// Error formats the error as "icicle <op>: <code>".
func (e *IcicleError) Error() string { return fmt.Sprintf("icicle %s: %s", e.Op, e.Code) }

// Is matches ErrOutOfMemory for OutOfMemory and AllocationFailed,
// ErrNoDevice for InvalidDevice and ErrBackendNotFound for
// BackendLoadFailed.
func (e *IcicleError) Is(target error) bool {
	switch target {
	case ErrOutOfMemory:
		return e.Code == IcicleOutOfMemory || e.Code == IcicleAllocationFailed
	case ErrNoDevice:
		return e.Code == IcicleInvalidDevice
	case ErrBackendNotFound:
		return e.Code == IcicleBackendLoadFailed
	}
	return false
}

// icicleErr returns nil for IcicleSuccess and an *IcicleError otherwise.
func icicleErr(op string, code int) error {
	if IcicleCode(code) == IcicleSuccess {
		return nil
	}
	return &IcicleError{Op: op, Code: IcicleCode(code)}
}

// CUDAError is a failed CUDA runtime (cudaError_t) or cuBLAS
// (cublasStatus_t) call.
type CUDAError struct {
	Op     string // the call, e.g. "cudaMalloc" or "cublasGemmEx"
	Code   int    // the status it returned
	Detail string // the library's own description, when it gave one
}

// Error formats the error with the call, the code and its description.
func (e *CUDAError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("%s: error %d (%s)", e.Op, e.Code, e.Detail)
	}
	return fmt.Sprintf("%s: error %d", e.Op, e.Code)
}

// Is matches ErrOutOfMemory for cudaErrorMemoryAllocation (2) and
// CUBLAS_STATUS_ALLOC_FAILED (3), and ErrNoDevice for cudaErrorNoDevice
// (100) and cudaErrorInsufficientDriver (35).
func (e *CUDAError) Is(target error) bool {
	blas := len(e.Op) >= 6 && e.Op[:6] == "cublas"
	switch target {
	case ErrOutOfMemory:
		return (!blas && e.Code == 2) || (blas && e.Code == 3)
	case ErrNoDevice:
		return !blas && (e.Code == 100 || e.Code == 35)
	}
	return false
}

// PanicError is a panic raised inside a device call (by a wrapper library
// that panics on device errors) and recovered into an error.
type PanicError struct {
	Op    string
	Value any
}

// Error formats the recovered value.
func (e *PanicError) Error() string {
	return fmt.Sprintf("%s: device call panicked: %v", e.Op, e.Value)
}

// guard turns a panic in the calling goroutine into a *PanicError stored in
// *err. Use it as `defer guard("op", &err)`. It cannot catch a panic in
// another goroutine (see Prover for what that means for gnark's ICICLE
// prover).
func guard(op string, err *error) {
	if r := recover(); r != nil {
		*err = &PanicError{Op: op, Value: r}
	}
}
