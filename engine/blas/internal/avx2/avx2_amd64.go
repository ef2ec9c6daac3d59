//go:build amd64 && !purego

package avx2

// Implemented in kernel_amd64.s.
func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
func xgetbv0() (eax, edx uint32)

//go:noescape
func kernel6x16AVX2(kc int, a, b, c *float32, ldc int, add bool)

// Supported reports whether the CPU and the OS support AVX2 and FMA (CPUID
// feature bits, and XGETBV saying the OS saves the YMM state). CPUID traps
// to the hypervisor on virtual machines: call it once, not per GEMM.
func Supported() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if ecx1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false
	}
	if xcr0, _ := xgetbv0(); xcr0&6 != 6 { // XMM and YMM state enabled
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<5) != 0 // AVX2
}

// Kernel6x16 adds (add) or writes (!add) the 6×16 product of a packed A
// panel (kc groups of 6 floats) and a packed B panel (kc groups of 16
// floats) into c, whose rows are ldc floats apart. It must only be called when Supported() is true.
// The slice lengths are checked before the assembly runs (a short slice
// panics with an index error instead of corrupting memory).
func Kernel6x16(kc int, a, b, c []float32, ldc int, add bool) {
	if kc <= 0 {
		return
	}
	_, _, _ = a[6*kc-1], b[16*kc-1], c[5*ldc+15]
	kernel6x16AVX2(kc, &a[0], &b[0], &c[0], ldc, add)
}
