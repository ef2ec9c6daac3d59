package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// AllSuites lists the suites in the order they run.
func AllSuites() []string { return []string{"msm", "ntt", "matmul", "prove", "verify", "e2e"} }

// Config is what Run runs.
type Config struct {
	// Suites to run; empty means AllSuites.
	Suites []string
	// Backend is "cpu" or "gpu".
	Backend   string
	Scenarios Scenarios
	// Budget, if positive, skips the remaining prove rows (largest shapes
	// last) once the run has taken that long; skipped rows are listed.
	Budget time.Duration
	// Log, if set, receives one line per finished row.
	Log io.Writer
}

// ParseSuites splits a comma-separated list of suites ("all" or empty for
// every suite) and checks each name.
func ParseSuites(s string) ([]string, error) {
	if s == "" || s == "all" {
		return AllSuites(), nil
	}
	var out []string
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if !slices.Contains(AllSuites(), p) {
			return nil, fmt.Errorf("unknown suite %q (want one of %s, or all)", p, strings.Join(AllSuites(), ", "))
		}
		out = append(out, p)
	}
	return out, nil
}

// Run runs the configured suites and returns the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Backend != CPU && cfg.Backend != GPU {
		return nil, fmt.Errorf("backend %q: want cpu or gpu", cfg.Backend)
	}
	suites := cfg.Suites
	if len(suites) == 0 {
		suites = AllSuites()
	}
	start := time.Now()
	sc := cfg.Scenarios
	rep := &Report{
		Schema: SchemaVersion, Started: start.UTC().Format(time.RFC3339), Backend: cfg.Backend,
		Scenarios: sc.Name, Suites: suites, Machine: DetectMachine(), Reference: References(),
	}
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, "[%6.1fs] "+format+"\n", append([]any{time.Since(start).Seconds()}, args...)...)
		}
	}
	over := func() bool { return cfg.Budget > 0 && time.Since(start) > cfg.Budget }
	kc := newKeyCache()
	for _, suite := range suites {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		switch suite {
		case "msm":
			rep.MSM = RunMSM(cfg.Backend, sc.kernelSizes(cfg.Backend, sc.MSMLogN))
			for _, r := range rep.MSM {
				logf("msm 2^%d: %s %.4fs", r.LogN, r.Status, r.Seconds)
			}
		case "ntt":
			rep.NTT = RunNTT(cfg.Backend, sc.kernelSizes(cfg.Backend, sc.NTTLogN))
			for _, r := range rep.NTT {
				logf("ntt 2^%d: %s %.4fs", r.LogN, r.Status, r.Seconds)
			}
		case "matmul":
			rep.MatMul = RunMatMul(cfg.Backend, sc.Modules, sc.Tokens)
			logf("matmul: %d rows", len(rep.MatMul))
		case "prove":
			runProve(ctx, cfg, kc, rep, over, logf)
		case "verify":
			for _, n := range sc.VerifyN {
				s := sc.Modules[0].Shape
				r := RunVerify(cfg.Backend, kc, s, n)
				rep.Verify = append(rep.Verify, r)
				logf("verify %s N=%d: %s single %.4fs batch %.4fs", s, n, r.Status, r.SingleS, r.BatchS)
			}
		case "e2e":
			if sc.E2EModules > 0 {
				r := RunE2E(cfg.Backend, kc, sc.Modules[0].Shape, sc.E2EModules, sc.E2ETokens)
				rep.E2E = append(rep.E2E, r)
				logf("e2e %s M=%d T=%d: %s", r.Shape, r.Modules, r.Tokens, r.Status)
			}
		default:
			return nil, fmt.Errorf("unknown suite %q", suite)
		}
	}
	rep.Summary = summarize(rep)
	rep.Machine.LoadAfter, rep.Machine.LoadAvgAfter = LoadAverage(), LoadAverages()
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

func runProve(ctx context.Context, cfg Config, kc *keyCache, rep *Report, over func() bool, logf func(string, ...any)) {
	sc := cfg.Scenarios
	T := 16
	if len(sc.Tokens) > 0 {
		T = sc.Tokens[0]
	}
	if sc.NaiveT > 0 && sc.NaiveShape != nil {
		m := Module{"baseline", "naive per-token", *sc.NaiveShape}
		for _, mm := range sc.Modules {
			if mm.Shape == *sc.NaiveShape {
				m = mm
				break
			}
		}
		r, b := runBaseline(cfg.Backend, kc, m, sc.NaiveT, sc.NaiveDummyKey, sc.NaivePairs, sc.NaiveBudget)
		rep.Prove, rep.Baseline = append(rep.Prove, r), b
		logf("prove naive %s T=%d: %s %d constraints, prove %.3fs (min %.3fs of %d)", r.Shape, r.Tokens, r.Status, r.Constraints, r.ProveS, r.ProveMinS, r.ProveReps)
		if b != nil {
			logf("naive/session %s T=%d, %d alternating pairs: median ratio %.2f, fastest/fastest %.2f, CPU time %.2f", b.Shape, b.Tokens, b.Pairs, b.RatioMedian, b.RatioOfFastest, b.CPURatio)
		}
	}
	for i, m := range sc.Modules {
		tokens := []int{T}
		if i == 0 && len(sc.HeadlineTokens) > 0 {
			tokens = sc.HeadlineTokens
		}
		for _, t := range tokens {
			if ctx.Err() != nil {
				return
			}
			if m.Params() > sc.MaxProveParams || over() {
				rep.Skipped = append(rep.Skipped, fmt.Sprintf("prove %s %s %s T=%d: over the time budget or size cap of this run", m.Model, m.Module, m.Shape, t))
				continue
			}
			r := proveSessionRow(cfg.Backend, kc, m, t)
			rep.Prove = append(rep.Prove, r)
			lr := 0.0
			if r.Limit != nil {
				lr = r.Limit.Ratio
			}
			logf("prove session %s T=%d: %s %d constraints, setup %.1fs prove %.3fs (min %.3fs) verify %.4fs limit ratio %.2f", r.Shape, t, r.Status, r.Constraints, r.SetupS, r.ProveS, r.ProveMinS, r.VerifyS, lr)
		}
	}
}

// summarize computes the headline figures from the rows: those of the
// first session row of the headline shape (of the first session row at
// all in a table without it, such as smoke).
func summarize(rep *Report) Summary {
	s := Summary{HeadlineShape: Headline().String()}
	session := firstSession(rep.Prove, s.HeadlineShape)
	if session == nil {
		session = firstSession(rep.Prove, "")
	}
	if session != nil {
		s.HeadlineShape = session.Shape
		s.ProveS, s.ProveMinS, s.VerifyS, s.Constraints = session.ProveS, session.ProveMinS, session.VerifyS, session.Constraints
		if session.Limit != nil {
			s.LimitRatio = session.Limit.Ratio
		}
		if session.ProveS > 0 {
			s.PublishedOverOurs = PublishedProofS / session.ProveS
		}
	}
	if b := rep.Baseline; b != nil && session != nil && b.Shape == session.Shape {
		s.NaiveTokens = b.Tokens
		s.NaiveOverSession, s.NaiveOverSessionFastest, s.NaiveOverSessionCPU = b.RatioMedian, b.RatioOfFastest, b.CPURatio
	}
	for _, v := range rep.Verify {
		if v.Status == statusOK && v.Proofs >= s.BatchProofs {
			s.BatchSpeedup, s.BatchProofs = v.Speedup, v.Proofs
		}
	}
	return s
}

// firstSession returns the first successful session row of shape (any
// shape if empty), or nil.
func firstSession(rows []ProveRow, shape string) *ProveRow {
	for i := range rows {
		r := &rows[i]
		if r.Circuit == "session" && r.Status == statusOK && (shape == "" || r.Shape == shape) {
			return r
		}
	}
	return nil
}
