package blas

import (
	"runtime"
	"sync"
)

// Blocking parameters of the pure-Go GEMM. The micro-kernel computes an
// mr×nr tile of C from an mr-row panel of packed A and an nr-column panel of
// packed B. 2×4 keeps its eight accumulators, two A values and four B values
// in the fifteen float registers Go's amd64 ABI leaves free; larger tiles
// spill and measured slower.
const (
	mr      = 2
	nr      = 4
	kcBlock = 256  // depth of a packed panel: mr·kc and nr·kc floats stay in L1
	mcBlock = 128  // rows of A packed at once: mc·kc floats (128 KiB) stay in L2
	ncBlock = 1024 // columns of B packed at once
	// parallelMin is the number of multiply-adds below which a call runs
	// on the calling goroutine only.
	parallelMin = 1 << 17
)

// gemmGo computes C = alpha·op(A)·op(B) + beta·C (row-major) with the pure-Go
// kernel. Arguments must already have been validated by checkArgs.
func gemmGo(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	scaleC(m, n, beta, c, ldc)
	if k == 0 || alpha == 0 {
		return
	}
	g := &gemmArgs{transA: transA, transB: transB, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc}
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
		step := roundUp((n+workers-1)/workers, nr)
		for j0 := 0; j0 < n; j0 += step {
			j1 := min(j0+step, n)
			wg.Go(func() { g.run(0, m, j0, j1) })
		}
	} else {
		step := roundUp((m+workers-1)/workers, mr)
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

// run accumulates alpha·op(A)·op(B) into rows [i0,i1) and columns [j0,j1) of C.
func (g *gemmArgs) run(i0, i1, j0, j1 int) {
	ap := make([]float32, roundUp(min(mcBlock, i1-i0), mr)*kcBlock)
	bp := make([]float32, roundUp(min(ncBlock, j1-j0), nr)*kcBlock)
	var tile [mr * nr]float32
	for jc := j0; jc < j1; jc += ncBlock {
		nc := min(ncBlock, j1-jc)
		for pc := 0; pc < g.k; pc += kcBlock {
			kc := min(kcBlock, g.k-pc)
			g.packB(bp, pc, kc, jc, nc)
			for ic := i0; ic < i1; ic += mcBlock {
				mc := min(mcBlock, i1-ic)
				g.packA(ap, ic, mc, pc, kc)
				for jr := 0; jr < nc; jr += nr {
					bpan := bp[jr*kc : (jr+nr)*kc]
					nn := min(nr, nc-jr)
					for ir := 0; ir < mc; ir += mr {
						kernel2x4(kc, ap[ir*kc:(ir+mr)*kc], bpan, &tile)
						mm := min(mr, mc-ir)
						g.addTile(&tile, ic+ir, jc+jr, mm, nn)
					}
				}
			}
		}
	}
}

// addTile adds the valid mm×nn part of a kernel tile into C at (i, j).
func (g *gemmArgs) addTile(t *[mr * nr]float32, i, j, mm, nn int) {
	c, ldc := g.c, g.ldc
	if mm == mr && nn == nr {
		r0 := c[i*ldc+j : i*ldc+j+nr : i*ldc+j+nr]
		r0[0] += t[0]
		r0[1] += t[1]
		r0[2] += t[2]
		r0[3] += t[3]
		r1 := c[(i+1)*ldc+j : (i+1)*ldc+j+nr : (i+1)*ldc+j+nr]
		r1[0] += t[4]
		r1[1] += t[5]
		r1[2] += t[6]
		r1[3] += t[7]
		return
	}
	for ii := 0; ii < mm; ii++ {
		row := c[(i+ii)*ldc+j : (i+ii)*ldc+j+nn]
		for jj := range row {
			row[jj] += t[ii*nr+jj]
		}
	}
}

// packA copies alpha·op(A)[ic:ic+mc, pc:pc+kc] into dst as consecutive
// mr-row panels, each stored k-major (kc groups of mr values), zero-padding the
// last panel.
func (g *gemmArgs) packA(dst []float32, ic, mc, pc, kc int) {
	a, lda, alpha := g.a, g.lda, g.alpha
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
	b, ldb := g.b, g.ldb
	for jr := 0; jr < nc; jr += nr {
		pan := dst[jr*kc : (jr+nr)*kc]
		cols := min(nr, nc-jr)
		j := jc + jr
		switch {
		case cols == nr && !g.transB:
			for p := 0; p < kc; p++ {
				src := b[(pc+p)*ldb+j : (pc+p)*ldb+j+nr : (pc+p)*ldb+j+nr]
				d := pan[p*nr : p*nr+nr : p*nr+nr]
				d[0], d[1], d[2], d[3] = src[0], src[1], src[2], src[3]
			}
		case cols == nr && g.transB:
			s0 := b[j*ldb+pc : j*ldb+pc+kc]
			s1 := b[(j+1)*ldb+pc : (j+1)*ldb+pc+kc]
			s2 := b[(j+2)*ldb+pc : (j+2)*ldb+pc+kc]
			s3 := b[(j+3)*ldb+pc : (j+3)*ldb+pc+kc]
			for p := range s0 {
				d := pan[p*nr : p*nr+nr : p*nr+nr]
				d[0], d[1], d[2], d[3] = s0[p], s1[p], s2[p], s3[p]
			}
		default:
			clear(pan)
			for jj := 0; jj < cols; jj++ {
				for p := 0; p < kc; p++ {
					if g.transB {
						pan[p*nr+jj] = b[(j+jj)*ldb+pc+p]
					} else {
						pan[p*nr+jj] = b[(pc+p)*ldb+j+jj]
					}
				}
			}
		}
	}
}

// kernel2x4 computes the 2×4 product of a packed A panel (kc×2) and a packed
// B panel (kc×4) into t. The accumulators are locals so that the compiler
// keeps them in registers; the loop shrinks both slices to let it drop bounds
// checks.
func kernel2x4(kc int, a, b []float32, t *[mr * nr]float32) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	a = a[:mr*kc]
	b = b[:nr*kc]
	for len(a) >= mr && len(b) >= nr {
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
		a = a[mr:]
		b = b[nr:]
	}
	t[0], t[1], t[2], t[3] = c00, c01, c02, c03
	t[4], t[5], t[6], t[7] = c10, c11, c12, c13
}
