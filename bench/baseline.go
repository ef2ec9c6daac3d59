package bench

import (
	"runtime"
	"slices"
	"time"

	"github.com/zklora/zklora/engine/prover"
)

// Baseline compares the naive per-token circuit with the session circuit
// of one shape at T rows. Their proofs run in alternating pairs (the
// order flipped every pair), so that both see the same load from other
// processes on a shared machine; the ratio is taken per pair.
type Baseline struct {
	Shape  string `json:"shape"`
	Tokens int    `json:"tokens"`
	Pairs  int    `json:"pairs"`
	// NaiveS and SessionS are the wall times of each pair's proofs.
	NaiveS   []float64 `json:"naive_s"`
	SessionS []float64 `json:"session_s"`
	// Ratios are naive/session per pair; RatioMedian is their median.
	Ratios      []float64 `json:"ratios"`
	RatioMedian float64   `json:"ratio_median"`
	// RatioOfFastest is the fastest naive proof over the fastest session
	// proof of the pairs.
	RatioOfFastest float64 `json:"ratio_of_fastest"`
	// NaiveCPUS and SessionCPUS are the process CPU time per proof
	// (user+system, all threads); CPURatio is their ratio.
	NaiveCPUS   float64 `json:"naive_cpu_s"`
	SessionCPUS float64 `json:"session_cpu_s"`
	CPURatio    float64 `json:"cpu_ratio"`
}

// runBaseline measures the naive circuit of module m at T rows in
// alternation with the session circuit of the same shape (dev keys from
// kc), for up to pairs pairs and at least one, stopping once budget has
// been spent. It returns the naive circuit's prove row (its timing from
// the pairs; its peak RSS over the pairs, which the larger naive proof
// sets) and the comparison, nil where either circuit cannot be proven.
func runBaseline(backend string, kc *keyCache, m Module, T int, dummy bool, pairs int, budget time.Duration) (ProveRow, *Baseline) {
	c, ok := newNaiveCase(backend, m, T, dummy)
	if !ok {
		return c.row, nil
	}
	fail := func(err error) (ProveRow, *Baseline) { c.row.Status = "error: " + err.Error(); return c.row, nil }
	keys, err := kc.Keys(m.Shape)
	if err != nil {
		return fail(err)
	}
	in, err := newSessionInput(m.Shape, T, uint64(T)*17+uint64(m.Params()))
	if err != nil {
		return fail(err)
	}
	session := func() error {
		_, err := prover.Prove(keys, in.St, in.A, in.B, in.Salt)
		return err
	}
	if err := session(); err != nil { // warm-up, not counted
		return fail(err)
	}
	b := &Baseline{Shape: m.Shape.String(), Tokens: T}
	timed := func(f func() error) (wall, cpu float64, err error) {
		runtime.GC()
		c0, t0 := cpuSeconds(), time.Now()
		err = f()
		return time.Since(t0).Seconds(), cpuSeconds() - c0, err
	}
	var naiveCPU, sessionCPU float64
	rss := startRSS()
	start := time.Now()
	for i := 0; i < max(pairs, 1); i++ {
		if i > 0 && time.Since(start) > budget {
			break
		}
		var ns, ss, nc, scpu float64
		var errN, errS error
		if i%2 == 0 {
			ss, scpu, errS = timed(session)
			ns, nc, errN = timed(c.prove)
		} else {
			ns, nc, errN = timed(c.prove)
			ss, scpu, errS = timed(session)
		}
		if errN != nil || errS != nil {
			rss.Stop()
			if errN != nil {
				return fail(errN)
			}
			return fail(errS)
		}
		b.NaiveS, b.SessionS, b.Ratios = append(b.NaiveS, ns), append(b.SessionS, ss), append(b.Ratios, ns/ss)
		naiveCPU, sessionCPU = naiveCPU+nc, sessionCPU+scpu
	}
	c.row.PeakRSSMiB = rss.Stop()
	b.Pairs = len(b.Ratios)
	n := float64(b.Pairs)
	b.RatioMedian = median(b.Ratios)
	b.RatioOfFastest = slices.Min(b.NaiveS) / slices.Min(b.SessionS)
	b.NaiveCPUS, b.SessionCPUS = naiveCPU/n, sessionCPU/n
	if b.SessionCPUS > 0 {
		b.CPURatio = b.NaiveCPUS / b.SessionCPUS
	}
	c.row.ProveS, c.row.ProveMinS, c.row.ProveReps, c.row.ProveCPUS = median(b.NaiveS), slices.Min(b.NaiveS), b.Pairs, b.NaiveCPUS
	row := c.finish()
	if row.Status != statusOK {
		return row, nil
	}
	return row, b
}

// median is the middle value of xs (the mean of the two middle ones of
// an even count); 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}
