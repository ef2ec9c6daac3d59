package gpu

import (
	"errors"
	"fmt"
)

// The exact LoRA matmul on integer GEMM units.
//
// Z = (X·A)·B with X (T×d), A (d×r), B (r×o) int16 and Z int64 must equal
// the CPU reference (circuits.MatMulExact) bit for bit. A GPU computes it
// with int8×int8→int32 GEMMs (cublasGemmEx with CUDA_R_8I inputs, a
// CUDA_R_32I output and CUBLAS_COMPUTE_32I) on limbs, and the host
// recombines the limb products in int64. Why the result is exact:
//
//  1. Limbs. An integer v is written in base 2^7 with n limbs:
//     v = Σ_{i<n} v_i·2^(7i), where v_i = (v >> 7i) & 127 ∈ [0, 127] for
//     i < n−1 and the top limb v_{n−1} = v >> 7(n−1) (arithmetic shift) is
//     signed. n is the least count whose top limb lies in [−128, 127], so
//     every limb is an int8. int16 needs n = 3 (top limb v>>14 ∈ [−2, 1]).
//     The identity holds over the integers: the low limbs are the low bits
//     and the arithmetic shift keeps the rest, sign included.
//  2. No int32 overflow. Every limb product has |x_i·a_j| ≤ 128·128 = 2^14,
//     so a dot product of depth K has |Σ| ≤ K·2^14. For K ≤ MaxInt8Depth =
//     131071 that is at most 2,147,467,264 < 2^31 − 1 = 2,147,483,647, so
//     the int32 accumulator holds the exact sum whatever order or blocking
//     the GEMM uses (every partial sum is bounded the same way). At
//     K = 131072 the sum of 131072 products (−128)·(−128) is 2^31, which
//     overflows: the bound is tight (TestInt8DepthBoundIsTight). Deeper dot
//     products are cut into chunks of at most MaxInt8Depth and the chunk
//     sums added in int64.
//  3. Recombination. With C_ij = X_i·A_j exact, X·A = Σ_ij 2^(7(i+j))·C_ij
//     over the integers. The host evaluates it in int64, whose + and × (and
//     << by less than 64, or any shift: Go gives 0 for ≥ 64) are the ring
//     operations modulo 2^64. The CPU reference also computes in int64,
//     modulo 2^64, so both give the same int64 for every input, and that is
//     the true value whenever it fits (|X·A| ≤ d·2^30).
//  4. Second product. P = X·A (int64) is split into n_P limbs the same way
//     (n_P ≤ 10 for any int64; 7 for d = 8192) and B into 3, and
//     Z = Σ 2^(7(i+j))·(P_i·B_j) by the same argument, with depth r.
//
// Each stage is one GEMM: the limbs of the left matrix are stacked as row
// blocks and those of the right matrix as column blocks, so a single
// (n·m)×K by K×(n'·q) product yields every C_ij.

// MaxInt8Depth is the largest inner dimension K for which an int8×int8
// GEMM with int32 accumulation cannot overflow: K·2^14 ≤ 2^31 − 1.
const MaxInt8Depth = 131071

// limbBits is the width of a limb's magnitude bits: limbs are base 2^7.
const limbBits = 7

// int16Limbs is the number of base-2^7 int8 limbs of an int16.
const int16Limbs = 3

// Int8GEMM computes c = a·b for row-major a (m×k), b (k×n) and c (m×n),
// with int8 inputs and int32 accumulation, overwriting c. Implementations
// may assume k ≤ MaxInt8Depth; the callers in this package never pass more.
type Int8GEMM func(m, n, k int, a, b []int8, c []int32) error

// GoInt8GEMM is the CPU Int8GEMM: exactly what cublasGemmEx computes
// with CUDA_R_8I inputs and CUBLAS_COMPUTE_32I, in Go, accumulating in
// int32 (which wraps on overflow, as the device would; with
// k ≤ MaxInt8Depth no overflow happens).
func GoInt8GEMM(m, n, k int, a, b []int8, c []int32) error {
	if err := checkGEMM(m, n, k, len(a), len(b), len(c)); err != nil {
		return err
	}
	for i := 0; i < m; i++ {
		ci := c[i*n : (i+1)*n]
		for j := range ci {
			ci[j] = 0
		}
		for p := 0; p < k; p++ {
			x := int32(a[i*k+p])
			if x == 0 {
				continue
			}
			bp := b[p*n : (p+1)*n]
			for j, y := range bp {
				ci[j] += x * int32(y)
			}
		}
	}
	return nil
}

// checkGEMM checks the dimensions of an Int8GEMM call.
func checkGEMM(m, n, k, la, lb, lc int) error {
	switch {
	case m < 0 || n < 0 || k < 0:
		return fmt.Errorf("gemm: negative dimension %d×%d×%d", m, k, n)
	case k > MaxInt8Depth:
		return fmt.Errorf("gemm: depth %d exceeds MaxInt8Depth %d", k, MaxInt8Depth)
	case la != m*k || lb != k*n || lc != m*n:
		return fmt.Errorf("gemm: lengths a=%d b=%d c=%d, want %d, %d, %d", la, lb, lc, m*k, k*n, m*n)
	}
	return nil
}

// LoRAMatMul computes Z = (X·A)·B exactly, bit for bit as the CPU
// reference, running every multiplication as an int8 GEMM through gemm
// (GoInt8GEMM on the CPU, the cuBLAS one on a GPU). X is T×d, A d×r, B
// r×o, all int16, row-major; Z is T×o.
func LoRAMatMul(gemm Int8GEMM, T, d, r, o int, X, A, B []int16) ([]int64, error) {
	return loraMatMul(gemm, MaxInt8Depth, T, d, r, o, X, A, B)
}

// loraMatMul is LoRAMatMul with the chunk depth as a parameter, so tests
// can exercise chunking on small matrices.
func loraMatMul(gemm Int8GEMM, depth, T, d, r, o int, X, A, B []int16) ([]int64, error) {
	if gemm == nil {
		return nil, errors.New("lora matmul: nil gemm")
	}
	if T < 0 || d <= 0 || r <= 0 || o <= 0 {
		return nil, fmt.Errorf("lora matmul: bad shape T=%d d=%d r=%d o=%d", T, d, r, o)
	}
	if len(X) != T*d || len(A) != d*r || len(B) != r*o {
		return nil, fmt.Errorf("lora matmul: lengths X=%d A=%d B=%d, want %d, %d, %d", len(X), len(A), len(B), T*d, d*r, r*o)
	}
	if depth < 1 || depth > MaxInt8Depth {
		return nil, fmt.Errorf("lora matmul: chunk depth %d outside [1, %d]", depth, MaxInt8Depth)
	}
	P, err := limbProduct(gemm, depth, T, d, r, widen(X), int16Limbs, widen(A), int16Limbs)
	if err != nil {
		return nil, err
	}
	return limbProduct(gemm, depth, T, r, o, P, limbCount(P), widen(B), int16Limbs)
}

// widen converts int16 values to int64.
func widen(v []int16) []int64 {
	w := make([]int64, len(v))
	for i, x := range v {
		w[i] = int64(x)
	}
	return w
}

// limbCount returns the least n such that every value of v splits into n
// base-2^7 limbs with the top limb in [−128, 127] (between 1 and 10).
func limbCount(v []int64) int {
	lo, hi := int64(0), int64(0)
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	n := 1
	for lo>>(limbBits*(n-1)) < -128 || hi>>(limbBits*(n-1)) > 127 {
		n++
	}
	return n
}

// limb returns limb i of n of x: the low 7 bits after shifting by 7i, or
// the signed rest for the top limb.
func limb(x int64, i, n int) int8 {
	s := x >> (limbBits * i)
	if i == n-1 {
		return int8(s) // in [−128, 127] by the choice of n
	}
	return int8(s & (1<<limbBits - 1))
}

// limbProduct computes L·R for L (m×k) and R (k×q) given as int64 values
// that split into nl and nr limbs, with one int8 GEMM per depth chunk,
// and recombines the limb products modulo 2^64.
func limbProduct(gemm Int8GEMM, depth, m, k, q int, L []int64, nl int, R []int64, nr int) ([]int64, error) {
	out := make([]int64, m*q)
	rows, cols := nl*m, nr*q
	for k0 := 0; k0 < k; k0 += depth {
		kc := min(depth, k-k0)
		// Stacked left limbs: row block i holds limb i of L[:, k0:k0+kc].
		a := make([]int8, rows*kc)
		for i := 0; i < nl; i++ {
			for t := 0; t < m; t++ {
				dst := a[(i*m+t)*kc : (i*m+t+1)*kc]
				src := L[t*k+k0 : t*k+k0+kc]
				for p, x := range src {
					dst[p] = limb(x, i, nl)
				}
			}
		}
		// Side-by-side right limbs: column block j holds limb j of R[k0:k0+kc, :].
		b := make([]int8, kc*cols)
		for p := 0; p < kc; p++ {
			src := R[(k0+p)*q : (k0+p+1)*q]
			row := b[p*cols : (p+1)*cols]
			for j := 0; j < nr; j++ {
				for c, x := range src {
					row[j*q+c] = limb(x, j, nr)
				}
			}
		}
		c := make([]int32, rows*cols)
		if err := gemm(rows, cols, kc, a, b, c); err != nil {
			return nil, fmt.Errorf("lora matmul: %w", err)
		}
		for i := 0; i < nl; i++ {
			for j := 0; j < nr; j++ {
				shift := uint(limbBits * (i + j))
				for t := 0; t < m; t++ {
					src := c[(i*m+t)*cols+j*q : (i*m+t)*cols+(j+1)*q]
					dst := out[t*q : (t+1)*q]
					for col, v := range src {
						dst[col] += int64(v) << shift
					}
				}
			}
		}
	}
	return out, nil
}
