package bench

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
	"github.com/zklora/zklora/gpu"
)

// Backend names.
const (
	CPU = "cpu"
	GPU = "gpu"
)

// statusOK marks a row with figures.
const statusOK = "ok"

// randScalars returns n pseudo-random field elements (below 2^253, so
// canonical), deterministic for seed. Their distribution does not matter
// to an MSM's or FFT's cost.
func randScalars(n int, seed uint64) []fr.Element {
	rng := rand.New(rand.NewPCG(seed, 0x62656e6368))
	out := make([]fr.Element, n)
	for i := range out {
		out[i] = fr.Element{rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64() & 0x0fffffffffffffff}
	}
	return out
}

// randPoints returns n distinct G1 points: s·G, (s+1)·G, … for a random
// start s, built by additions and one batch conversion to affine.
func randPoints(n int, seed uint64) []bn254.G1Affine {
	_, _, g1, _ := bn254.Generators()
	s := randScalars(1, seed)[0]
	var p bn254.G1Jac
	p.ScalarMultiplicationBase(s.BigInt(new(big.Int)))
	jac := make([]bn254.G1Jac, n)
	for i := range jac {
		jac[i] = p
		p.AddMixed(&g1)
	}
	return bn254.BatchJacobianToAffineG1(jac)
}

// timing is the result of repeated runs of one measurement.
type timing struct {
	Median, Min float64 // seconds
	N           int     // runs
}

// measure runs f at least once and up to reps times (stopping once budget
// has been spent), with a garbage collection before each run so that one
// run's garbage is not collected during the next.
func measure(reps int, budget time.Duration, f func() error) (timing, error) {
	var ds []float64
	start := time.Now()
	for i := 0; i < max(reps, 1); i++ {
		runtime.GC()
		t0 := time.Now()
		if err := f(); err != nil {
			return timing{}, err
		}
		ds = append(ds, time.Since(t0).Seconds())
		if time.Since(start) > budget {
			break
		}
	}
	slices.Sort(ds)
	return timing{Median: ds[len(ds)/2], Min: ds[0], N: len(ds)}, nil
}

// timeIt is measure returning the median and the number of runs.
func timeIt(reps int, budget time.Duration, f func() error) (float64, int, error) {
	t, err := measure(reps, budget, f)
	return t.Median, t.N, err
}

// msmG1 runs one G1 MSM on backend.
func msmG1(backend string, points []bn254.G1Affine, scalars []fr.Element) error {
	if backend == GPU {
		_, err := gpu.MSMG1(points, scalars)
		return err
	}
	var p bn254.G1Jac
	_, err := p.MultiExp(points, scalars, ecc.MultiExpConfig{})
	return err
}

// msmG2 runs one G2 MSM on backend.
func msmG2(backend string, points []bn254.G2Affine, scalars []fr.Element) error {
	if backend == GPU {
		_, err := gpu.MSMG2(points, scalars)
		return err
	}
	var p bn254.G2Jac
	_, err := p.MultiExp(points, scalars, ecc.MultiExpConfig{})
	return err
}

// ntt runs one transform of v on backend; the CPU path uses domain d.
func ntt(backend string, d *fft.Domain, v []fr.Element, inverse, coset bool) error {
	if backend == GPU {
		return gpu.NTT(v, inverse)
	}
	var opts []fft.Option
	if coset {
		opts = append(opts, fft.OnCoset())
	}
	if inverse {
		d.FFTInverse(v, fft.DIF, opts...)
	} else {
		d.FFT(v, fft.DIT, opts...)
	}
	return nil
}

// realInputs reports whether a kernel suite on backend needs inputs of
// the real size: on the CPU, and on a GPU this build can use (without
// one, the gpu package refuses before reading them, and building 2^26
// points on the CPU would only cost time).
func realInputs(backend string) bool {
	if backend == CPU {
		return true
	}
	_, err := gpu.Available()
	return err == nil
}

// unavailable formats the status of a row the backend cannot run.
func unavailable(err error) string { return fmt.Sprintf("unavailable: %v", err) }

// RunMSM measures G1 MSM throughput at sizes 2^k for k in logN.
func RunMSM(backend string, logN []int) []KernelRow {
	if len(logN) == 0 {
		return nil
	}
	maxN := 1 << slices.Max(logN)
	var points []bn254.G1Affine
	var scalars []fr.Element
	sized := realInputs(backend)
	if sized {
		points, scalars = randPoints(maxN, 1), randScalars(maxN, 2)
	}
	var rows []KernelRow
	for _, k := range logN {
		n := 1 << k
		row := KernelRow{Backend: backend, LogN: k, N: n}
		var p []bn254.G1Affine
		var s []fr.Element
		if sized {
			p, s = points[:n], scalars[:n]
		} else {
			p, s = make([]bn254.G1Affine, 1), make([]fr.Element, 1) // the stub refuses before looking
		}
		sec, reps, err := timeIt(5, time.Second, func() error { return msmG1(backend, p, s) })
		if err != nil {
			row.Status = unavailable(err)
		} else {
			row.Seconds, row.Reps, row.PerSecond, row.Status = sec, reps, float64(n)/sec, statusOK
		}
		rows = append(rows, row)
	}
	return rows
}

// RunNTT measures forward NTT throughput at sizes 2^k for k in logN.
func RunNTT(backend string, logN []int) []KernelRow {
	var rows []KernelRow
	for _, k := range logN {
		n := 1 << k
		row := KernelRow{Backend: backend, LogN: k, N: n}
		var d *fft.Domain
		v := make([]fr.Element, 1)
		if realInputs(backend) {
			d = fft.NewDomain(uint64(n))
			v = randScalars(n, uint64(k))
		}
		sec, reps, err := timeIt(5, time.Second, func() error { return ntt(backend, d, v, false, false) })
		if err != nil {
			row.Status = unavailable(err)
		} else {
			row.Seconds, row.Reps, row.PerSecond, row.Status = sec, reps, float64(n)/sec, statusOK
		}
		rows = append(rows, row)
	}
	return rows
}
