//go:build cuda

package gpu

// A minimal cuBLAS binding, loaded at run time with dlopen.
//
// Why not gorgonia.org/cu v0.9.6 (the design card's choice): it calls
// cuCtxCreate with three arguments, and CUDA 13's cuda.h maps that name to
// cuCtxCreate_v4, which takes four, so it does not compile against the GPU
// host's CUDA 13 (not tried here: the build machine has no CUDA 13
// headers, see docs/GPU.md). It also links -lcuda and -lcublas at build
// time, and the build machine has neither CUDA 13 library nor a matching
// soname (Debian ships libcublas.so.11). Opening libcudart and libcublas
// with dlopen needs neither headers nor libraries at build time: the few
// types and constants used below are declared here with the values of
// CUDA's cublas_api.h and library_types.h, the binary builds anywhere, and
// a host without CUDA gets an error value from NewBLAS, not a link or load
// failure.

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>

typedef int (*zk_i_pi)(int*);
typedef int (*zk_i_i)(int);
typedef int (*zk_i_ppz)(void**, size_t);
typedef int (*zk_i_p)(void*);
typedef int (*zk_i_v)(void);
typedef int (*zk_memcpy_fn)(void*, const void*, size_t, int);
typedef const char* (*zk_errstr_fn)(int);
typedef int (*zk_sgemm_fn)(void*, int, int, int, int, int, const float*, const float*, int, const float*, int, const float*, float*, int);
typedef int (*zk_gemmex_fn)(void*, int, int, int, int, int, const void*, const void*, int, int, const void*, int, int, const void*, void*, int, int, int, int);

typedef struct {
	void *rt, *blas;
	zk_i_pi getDeviceCount, driverGetVersion, runtimeGetVersion;
	zk_i_i setDevice;
	zk_i_ppz malloc_;
	zk_i_p free_;
	zk_i_v sync;
	zk_memcpy_fn memcpy_;
	zk_errstr_fn errstr;
	int (*create)(void**);
	int (*destroy)(void*);
	zk_sgemm_fn sgemm;
	zk_gemmex_fn gemmex;
} zk_cuda;

static void* zk_open_first(const char* const* names) {
	for (; *names; names++) {
		void* h = dlopen(*names, RTLD_NOW | RTLD_LOCAL);
		if (h) return h;
	}
	return NULL;
}

// zk_open fills c; it returns 0, or 1 (no libcudart), 2 (no libcublas),
// 3 (a symbol is missing, named in *missing).
static int zk_open(zk_cuda* c, const char** missing) {
	static const char* const rt[] = {"libcudart.so.13", "libcudart.so.12", "libcudart.so", NULL};
	static const char* const blas[] = {"libcublas.so.13", "libcublas.so.12", "libcublas.so", NULL};
	c->rt = zk_open_first(rt);
	if (!c->rt) return 1;
	c->blas = zk_open_first(blas);
	if (!c->blas) return 2;
#define SYM(lib, field, name) do { *(void**)(&c->field) = dlsym(c->lib, name); if (!c->field) { *missing = name; return 3; } } while (0)
	SYM(rt, getDeviceCount, "cudaGetDeviceCount");
	SYM(rt, driverGetVersion, "cudaDriverGetVersion");
	SYM(rt, runtimeGetVersion, "cudaRuntimeGetVersion");
	SYM(rt, setDevice, "cudaSetDevice");
	SYM(rt, malloc_, "cudaMalloc");
	SYM(rt, free_, "cudaFree");
	SYM(rt, sync, "cudaDeviceSynchronize");
	SYM(rt, memcpy_, "cudaMemcpy");
	SYM(rt, errstr, "cudaGetErrorString");
	SYM(blas, create, "cublasCreate_v2");
	SYM(blas, destroy, "cublasDestroy_v2");
	SYM(blas, sgemm, "cublasSgemm_v2");
	SYM(blas, gemmex, "cublasGemmEx");
#undef SYM
	return 0;
}

static int zk_get_device_count(zk_cuda* c, int* n) { return c->getDeviceCount(n); }
static int zk_driver_version(zk_cuda* c, int* v) { return c->driverGetVersion(v); }
static int zk_runtime_version(zk_cuda* c, int* v) { return c->runtimeGetVersion(v); }
static int zk_set_device(zk_cuda* c, int d) { return c->setDevice(d); }
static int zk_malloc(zk_cuda* c, void** p, size_t n) { return c->malloc_(p, n); }
static int zk_free(zk_cuda* c, void* p) { return c->free_(p); }
static int zk_sync(zk_cuda* c) { return c->sync(); }
static int zk_memcpy(zk_cuda* c, void* dst, const void* src, size_t n, int kind) { return c->memcpy_(dst, src, n, kind); }
static const char* zk_errstr(zk_cuda* c, int e) { return c->errstr(e); }
static int zk_create(zk_cuda* c, void** h) { return c->create(h); }
static int zk_destroy(zk_cuda* c, void* h) { return c->destroy(h); }
static int zk_sgemm(zk_cuda* c, void* h, int ta, int tb, int m, int n, int k, float alpha, const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc) {
	return c->sgemm(h, ta, tb, m, n, k, &alpha, A, lda, B, ldb, &beta, C, ldc);
}
static int zk_gemm_i8(zk_cuda* c, void* h, int m, int n, int k, const void* A, int lda, const void* B, int ldb, void* C, int ldc) {
	int alpha = 1, beta = 0;
	// CUBLAS_OP_N = 0, CUDA_R_8I = 3, CUDA_R_32I = 10, CUBLAS_COMPUTE_32I = 72, CUBLAS_GEMM_DEFAULT = -1
	return c->gemmex(h, 0, 0, m, n, k, &alpha, A, 3, lda, B, 3, ldb, &beta, C, 10, ldc, 72, -1);
}
static void zk_close(zk_cuda* c) {
	if (c->blas) dlclose(c->blas);
	if (c->rt) dlclose(c->rt);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// CUDACompiled reports whether the cuBLAS (cuda build tag) path is compiled in.
const CUDACompiled = true

// cudaMemcpy kinds (cuda_runtime_api.h).
const (
	memcpyHostToDevice = 1
	memcpyDeviceToHost = 2
)

// BLAS is a cuBLAS handle on one device, with libcudart and libcublas
// opened at run time. Its methods may be called from several goroutines;
// they run one at a time.
type BLAS struct {
	mu     sync.Mutex
	c      *C.zk_cuda
	h      unsafe.Pointer
	device int
}

// NewBLAS opens libcudart and libcublas (sonames .13, .12, then
// unversioned) and creates a cuBLAS handle on device. Without CUDA
// libraries or a device it returns an error matching ErrNoDevice.
func NewBLAS(device int) (b *BLAS, err error) {
	defer guard("cublas open", &err)
	c := (*C.zk_cuda)(C.calloc(1, C.size_t(unsafe.Sizeof(C.zk_cuda{}))))
	if c == nil {
		return nil, errors.New("cublas open: calloc failed")
	}
	var missing *C.char
	switch rc := C.zk_open(c, &missing); rc {
	case 0:
	case 1, 2:
		C.zk_close(c)
		C.free(unsafe.Pointer(c))
		lib := map[C.int]string{1: "libcudart.so", 2: "libcublas.so"}[rc]
		return nil, fmt.Errorf("%w: cannot dlopen %s (CUDA libraries not on the loader path; see docs/GPU.md)", ErrNoDevice, lib)
	default:
		C.zk_close(c)
		C.free(unsafe.Pointer(c))
		return nil, fmt.Errorf("cublas open: symbol %s missing from the CUDA libraries", C.GoString(missing))
	}
	b = &BLAS{c: c, device: device}
	err = b.onDevice(func() error {
		var n C.int
		if e := b.rtErr("cudaGetDeviceCount", C.zk_get_device_count(c, &n)); e != nil {
			return e
		}
		if device < 0 || device >= int(n) {
			return fmt.Errorf("CUDA device %d of %d: %w", device, int(n), ErrNoDevice)
		}
		return b.blasErr("cublasCreate_v2", C.zk_create(c, &b.h))
	})
	if err != nil {
		C.zk_close(c)
		C.free(unsafe.Pointer(c))
		return nil, err
	}
	return b, nil
}

// Versions returns the CUDA driver and runtime versions (1000·major +
// 10·minor, as CUDA reports them).
func (b *BLAS) Versions() (driver, rt int, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var d, r C.int
	if err := b.rtErr("cudaDriverGetVersion", C.zk_driver_version(b.c, &d)); err != nil {
		return 0, 0, err
	}
	if err := b.rtErr("cudaRuntimeGetVersion", C.zk_runtime_version(b.c, &r)); err != nil {
		return 0, 0, err
	}
	return int(d), int(r), nil
}

// Close destroys the handle and closes the libraries.
func (b *BLAS) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.c == nil {
		return nil
	}
	var err error
	if b.h != nil {
		err = b.onDevice(func() error { return b.blasErr("cublasDestroy_v2", C.zk_destroy(b.c, b.h)) })
	}
	C.zk_close(b.c)
	C.free(unsafe.Pointer(b.c))
	b.c, b.h = nil, nil
	return err
}

// onDevice runs fn on a locked OS thread with b's device current
// (cudaSetDevice is per host thread).
func (b *BLAS) onDevice(fn func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := b.rtErr("cudaSetDevice", C.zk_set_device(b.c, C.int(b.device))); err != nil {
		return err
	}
	return fn()
}

// rtErr converts a cudaError_t.
func (b *BLAS) rtErr(op string, code C.int) error {
	if code == 0 {
		return nil
	}
	return &CUDAError{Op: op, Code: int(code), Detail: C.GoString(C.zk_errstr(b.c, code))}
}

// blasErr converts a cublasStatus_t.
func (b *BLAS) blasErr(op string, code C.int) error {
	if code == 0 {
		return nil
	}
	return &CUDAError{Op: op, Code: int(code)}
}

// deviceBuf is a device allocation freed by free.
type deviceBuf struct{ p unsafe.Pointer }

func (b *BLAS) alloc(bytes int, bufs *[]deviceBuf) (unsafe.Pointer, error) {
	var p unsafe.Pointer
	if err := b.rtErr("cudaMalloc", C.zk_malloc(b.c, &p, C.size_t(max(bytes, 1)))); err != nil {
		return nil, err
	}
	*bufs = append(*bufs, deviceBuf{p})
	return p, nil
}

func (b *BLAS) freeAll(bufs []deviceBuf) {
	for _, d := range bufs {
		C.zk_free(b.c, d.p)
	}
}

// SGEMM computes c = a·bm for row-major float32 a (m×k), bm (k×n) and
// c (m×n) on the device (cublasSgemm, FP32 math: cuBLAS's default math
// mode does not use TF32 for Sgemm).
func (b *BLAS) SGEMM(m, n, k int, a, bm, c []float32) (err error) {
	if len(a) != m*k || len(bm) != k*n || len(c) != m*n || m <= 0 || n <= 0 || k <= 0 {
		return fmt.Errorf("sgemm: lengths a=%d b=%d c=%d for %d×%d×%d", len(a), len(bm), len(c), m, k, n)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.c == nil {
		return errors.New("sgemm: BLAS closed")
	}
	defer guard("sgemm", &err)
	return b.onDevice(func() error {
		var bufs []deviceBuf
		defer func() { b.freeAll(bufs) }()
		da, err := b.alloc(4*len(a), &bufs)
		if err != nil {
			return err
		}
		db, err := b.alloc(4*len(bm), &bufs)
		if err != nil {
			return err
		}
		dc, err := b.alloc(4*len(c), &bufs)
		if err != nil {
			return err
		}
		if err := b.rtErr("cudaMemcpy", C.zk_memcpy(b.c, da, unsafe.Pointer(&a[0]), C.size_t(4*len(a)), memcpyHostToDevice)); err != nil {
			return err
		}
		if err := b.rtErr("cudaMemcpy", C.zk_memcpy(b.c, db, unsafe.Pointer(&bm[0]), C.size_t(4*len(bm)), memcpyHostToDevice)); err != nil {
			return err
		}
		// Row-major C = A·B is column-major Cᵀ = Bᵀ·Aᵀ: pass B first.
		if err := b.blasErr("cublasSgemm_v2", C.zk_sgemm(b.c, b.h, 0, 0, C.int(n), C.int(m), C.int(k), 1,
			(*C.float)(db), C.int(n), (*C.float)(da), C.int(k), 0, (*C.float)(dc), C.int(n))); err != nil {
			return err
		}
		return b.rtErr("cudaMemcpy", C.zk_memcpy(b.c, unsafe.Pointer(&c[0]), dc, C.size_t(4*len(c)), memcpyDeviceToHost))
	})
}

// roundUp4 rounds n up to a multiple of 4 (int8 GEMMs want 4-aligned
// dimensions and leading dimensions).
func roundUp4(n int) int { return (n + 3) &^ 3 }

// Int8GEMM is the device Int8GEMM: cublasGemmEx with CUDA_R_8I inputs, a
// CUDA_R_32I output and CUBLAS_COMPUTE_32I. The matrices are zero-padded
// to multiples of 4, which adds zero terms only.
func (b *BLAS) Int8GEMM(m, n, k int, a, bm []int8, c []int32) (err error) {
	if err := checkGEMM(m, n, k, len(a), len(bm), len(c)); err != nil {
		return err
	}
	if m == 0 || n == 0 {
		return nil
	}
	mp, np, kp := roundUp4(m), roundUp4(n), roundUp4(max(k, 1))
	pa := make([]int8, mp*kp)
	for i := 0; i < m; i++ {
		copy(pa[i*kp:i*kp+k], a[i*k:(i+1)*k])
	}
	pb := make([]int8, kp*np)
	for p := 0; p < k; p++ {
		copy(pb[p*np:p*np+n], bm[p*n:(p+1)*n])
	}
	pc := make([]int32, mp*np)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.c == nil {
		return errors.New("int8 gemm: BLAS closed")
	}
	defer guard("int8 gemm", &err)
	err = b.onDevice(func() error {
		var bufs []deviceBuf
		defer func() { b.freeAll(bufs) }()
		da, err := b.alloc(len(pa), &bufs)
		if err != nil {
			return err
		}
		db, err := b.alloc(len(pb), &bufs)
		if err != nil {
			return err
		}
		dc, err := b.alloc(4*len(pc), &bufs)
		if err != nil {
			return err
		}
		if err := b.rtErr("cudaMemcpy", C.zk_memcpy(b.c, da, unsafe.Pointer(&pa[0]), C.size_t(len(pa)), memcpyHostToDevice)); err != nil {
			return err
		}
		if err := b.rtErr("cudaMemcpy", C.zk_memcpy(b.c, db, unsafe.Pointer(&pb[0]), C.size_t(len(pb)), memcpyHostToDevice)); err != nil {
			return err
		}
		if err := b.blasErr("cublasGemmEx", C.zk_gemm_i8(b.c, b.h, C.int(np), C.int(mp), C.int(kp), db, C.int(np), da, C.int(kp), dc, C.int(np))); err != nil {
			return err
		}
		return b.rtErr("cudaMemcpy", C.zk_memcpy(b.c, unsafe.Pointer(&pc[0]), dc, C.size_t(4*len(pc)), memcpyDeviceToHost))
	})
	if err != nil {
		return err
	}
	for i := 0; i < m; i++ {
		copy(c[i*n:(i+1)*n], pc[i*np:i*np+n])
	}
	return nil
}

// LoRAMatMul computes Z = (X·A)·B exactly on the device: LoRAMatMul with
// b.Int8GEMM (see limbs.go for why it equals the CPU reference bit for
// bit).
func (b *BLAS) LoRAMatMul(T, d, r, o int, X, A, B []int16) ([]int64, error) {
	return LoRAMatMul(b.Int8GEMM, T, d, r, o, X, A, B)
}
