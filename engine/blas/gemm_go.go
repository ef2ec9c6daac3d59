package blas

import (
	"runtime"
	"sync"
)

// microKernel is a register-blocked inner kernel of the Go GEMM: fn adds
// (add) or writes (!add) the mr×nr product of a packed A panel (kc groups of
// mr values) and a packed B panel (kc groups of nr values) into c, whose rows
// are ldc apart. mc is the
// number of rows of A packed at once (a multiple of mr).
type microKernel struct {
	name   string
	mr, nr int
	mc     int
	fn     func(kc int, a, b, c []float32, ldc int, add bool)
}

// Blocking parameters shared by the kernels.
const (
	kcBlock = 256  // depth of a packed panel: it and the C tile stay in L1
	ncBlock = 1024 // columns of B packed at once
	// parallelMin is the number of multiply-adds below which a call runs
	// on the calling goroutine only.
	parallelMin = 1 << 17
)

// scalarKernel is the portable 2×4 kernel. 2×4 keeps its eight
// accumulators, two A values and four B values in the fifteen float
// registers Go's amd64 ABI leaves free; larger tiles spill and measured
// slower.
var scalarKernel = &microKernel{name: "go-scalar", mr: 2, nr: 4, mc: 128, fn: kernel2x4}

// defaultKernel is chosen once, at package initialisation, from the CPU's
// features (CPUID traps to the hypervisor on virtual machines, so it is not
// queried per call); it is never modified afterwards.
var defaultKernel = pickKernel()

func pickKernel() *microKernel {
	if k := simdKernel(); k != nil {
		return k
	}
	return scalarKernel
}

// gemmGo computes C = alpha·op(A)·op(B) + beta·C (row-major) with the Go
// GEMM and micro-kernel kern. Arguments must already have been validated by
// checkArgs.
func gemmGo(kern *microKernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	// With beta == 0 the first depth block overwrites C (no clearing pass,
	// no reading C); otherwise C is scaled first and every block adds.
	overwrite := beta == 0
	if !overwrite {
		scaleC(m, n, beta, c, ldc)
	}
	g := &gemmArgs{kern: kern, overwrite: overwrite, transA: transA, transB: transB, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc}
	workers := runtime.GOMAXPROCS(0)
	if work := float64(m) * float64(n) * float64(k); work < parallelMin || workers < 2 {
		workers = 1
	}
	if workers == 1 {
		g.run(0, m, 0, n)
		return
	}
	var wg sync.WaitGroup
	if n >= m {
		// Split the columns, in multiples of nr, across workers.
		step := roundUp((n+workers-1)/workers, kern.nr)
		for j0 := 0; j0 < n; j0 += step {
			j1 := min(j0+step, n)
			wg.Go(func() { g.run(0, m, j0, j1) })
		}
	} else {
		step := roundUp((m+workers-1)/workers, kern.mr)
		for i0 := 0; i0 < m; i0 += step {
			i1 := min(i0+step, m)
			wg.Go(func() { g.run(i0, i1, 0, n) })
		}
	}
	wg.Wait()
}

func roundUp(x, to int) int { return (x + to - 1) / to * to }

// gemmArgs holds one call's operands, shared read-only by its workers; each
// worker writes a disjoint block of C.
type gemmArgs struct {
	kern           *microKernel
	overwrite      bool // the first depth block writes C instead of adding
	transA, transB bool
	k              int
	alpha          float32
	a              []float32
	lda            int
	b              []float32
	ldb            int
	c              []float32
	ldc            int
}

// run accumulates alpha·op(A)·op(B) into rows [i0,i1) and columns [j0,j1) of
// C: the Goto/BLIS loop nest, with the packed A block in L2 and one packed B
// panel in L1 while the kernel sweeps down the A panels.
func (g *gemmArgs) run(i0, i1, j0, j1 int) {
	mr, nr, mcBlock := g.kern.mr, g.kern.nr, g.kern.mc
	ap := make([]float32, roundUp(min(mcBlock, i1-i0), mr)*kcBlock)
	bp := make([]float32, roundUp(min(ncBlock, j1-j0), nr)*kcBlock)
	tile := make([]float32, mr*nr)
	for jc := j0; jc < j1; jc += ncBlock {
		nc := min(ncBlock, j1-jc)
		for pc := 0; pc < g.k; pc += kcBlock {
			kc := min(kcBlock, g.k-pc)
			add := pc > 0 || !g.overwrite
			g.packB(bp, pc, kc, jc, nc)
			for ic := i0; ic < i1; ic += mcBlock {
				mc := min(mcBlock, i1-ic)
				g.packA(ap, ic, mc, pc, kc)
				for jr := 0; jr < nc; jr += nr {
					bpan := bp[jr*kc : (jr+nr)*kc]
					nn := min(nr, nc-jr)
					for ir := 0; ir < mc; ir += mr {
						apan := ap[ir*kc : (ir+mr)*kc]
						mm := min(mr, mc-ir)
						i, j := ic+ir, jc+jr
						if mm == mr && nn == nr {
							g.kern.fn(kc, apan, bpan, g.c[i*g.ldc+j:], g.ldc, add)
							continue
						}
						// Edge tile: compute into a scratch tile, then add
						// or copy its valid part.
						g.kern.fn(kc, apan, bpan, tile, nr, false)
						for ii := 0; ii < mm; ii++ {
							row := g.c[(i+ii)*g.ldc+j : (i+ii)*g.ldc+j+nn]
							src := tile[ii*nr : ii*nr+nn]
							if !add {
								copy(row, src)
								continue
							}
							for jj := range row {
								row[jj] += src[jj]
							}
						}
					}
				}
			}
		}
	}
}

// packA copies alpha·op(A)[ic:ic+mc, pc:pc+kc] into dst as consecutive
// mr-row panels, each stored k-major (kc groups of mr values), zero-padding the
// last panel.
func (g *gemmArgs) packA(dst []float32, ic, mc, pc, kc int) {
	a, lda, alpha, mr := g.a, g.lda, g.alpha, g.kern.mr
	for ir := 0; ir < mc; ir += mr {
		pan := dst[ir*kc : (ir+mr)*kc]
		rows := min(mr, mc-ir)
		if rows < mr {
			clear(pan)
		}
		for ii := 0; ii < rows; ii++ {
			i := ic + ir + ii
			if !g.transA {
				src := a[i*lda+pc : i*lda+pc+kc]
				for p, v := range src {
					pan[p*mr+ii] = alpha * v
				}
			} else {
				for p := 0; p < kc; p++ {
					pan[p*mr+ii] = alpha * a[(pc+p)*lda+i]
				}
			}
		}
	}
}

// packB copies op(B)[pc:pc+kc, jc:jc+nc] into dst as consecutive nr-column
// panels, each stored k-major (kc groups of nr values), zero-padding the last
// panel.
func (g *gemmArgs) packB(dst []float32, pc, kc, jc, nc int) {
	b, ldb, nr := g.b, g.ldb, g.kern.nr
	for jr := 0; jr < nc; jr += nr {
		pan := dst[jr*kc : (jr+nr)*kc]
		cols := min(nr, nc-jr)
		j := jc + jr
		switch {
		case cols == 16 && nr == 16 && !g.transB:
			for p := 0; p < kc; p++ {
				off := (pc+p)*ldb + j
				*(*[16]float32)(pan[p*16:]) = *(*[16]float32)(b[off:])
			}
		case cols == 16 && nr == 16 && g.transB:
			packBT16(pan, b, ldb, pc, kc, j)
		case !g.transB:
			if cols < nr {
				clear(pan)
			}
			for p := 0; p < kc; p++ {
				copy(pan[p*nr:p*nr+cols], b[(pc+p)*ldb+j:(pc+p)*ldb+j+cols])
			}
		default:
			if cols < nr {
				clear(pan)
			}
			for jj := 0; jj < cols; jj++ {
				src := b[(j+jj)*ldb+pc : (j+jj)*ldb+pc+kc]
				for p, v := range src {
					pan[p*nr+jj] = v
				}
			}
		}
	}
}

// packBT16 packs 16 columns of op(B) = Bᵀ, i.e. rows j..j+15 of the stored
// B, over depth [pc, pc+kc): a transpose done four depths at a time, so that
// each of the sixteen source rows is read in sequence and each destination
// group of 16 is written whole.
func packBT16(pan, b []float32, ldb, pc, kc, j int) {
	var rows [16][]float32
	for jj := range rows {
		rows[jj] = b[(j+jj)*ldb+pc : (j+jj)*ldb+pc+kc]
	}
	p := 0
	for ; p+4 <= kc; p += 4 {
		d := (*[64]float32)(pan[p*16:])
		for jj := range rows {
			s := (*[4]float32)(rows[jj][p:])
			d[jj], d[16+jj], d[32+jj], d[48+jj] = s[0], s[1], s[2], s[3]
		}
	}
	for ; p < kc; p++ {
		d := (*[16]float32)(pan[p*16:])
		for jj := range rows {
			d[jj] = rows[jj][p]
		}
	}
}

// kernel2x4 adds (add) or writes (!add) the 2×4 product of a packed A panel (kc×2) and a packed B
// panel (kc×4) into c. The accumulators are locals so that the compiler keeps
// them in registers; the loop shrinks both slices to let it drop bounds
// checks.
func kernel2x4(kc int, a, b, c []float32, ldc int, add bool) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	a = a[:2*kc]
	b = b[:4*kc]
	for len(a) >= 2 && len(b) >= 4 {
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		a0, a1 := a[0], a[1]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a = a[2:]
		b = b[4:]
	}
	r0 := c[0:4:4]
	r1 := c[ldc : ldc+4 : ldc+4]
	if !add {
		r0[0], r0[1], r0[2], r0[3] = c00, c01, c02, c03
		r1[0], r1[1], r1[2], r1[3] = c10, c11, c12, c13
		return
	}
	r0[0] += c00
	r0[1] += c01
	r0[2] += c02
	r0[3] += c03
	r1[0] += c10
	r1[1] += c11
	r1[2] += c12
	r1[3] += c13
}
