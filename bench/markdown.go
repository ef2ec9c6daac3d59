package bench

import (
	"fmt"
	"io"
	"strings"
)

func f3(v float64) string {
	if v == 0 {
		return "—"
	}
	return fmt.Sprintf("%.3f", v)
}

// WriteMarkdown writes the report as Markdown tables.
func WriteMarkdown(w io.Writer, r *Report) error {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "# zklora benchmark (%s, backend %s)\n\n", r.Scenarios, r.Backend)
	fmt.Fprintf(&b, "- Machine: %s, %d cores (GOMAXPROCS %d), %.1f GiB; GPU: %s\n", m.CPU, m.Cores, m.GOMAXPROCS, m.MemoryGiB, m.GPU)
	fmt.Fprintf(&b, "- Load average (1, 5, 15 min): %s at start, %s at end (cores shared with other processes)\n", m.LoadAvgBefore, m.LoadAvgAfter)
	fmt.Fprintf(&b, "- %s, gnark %s, commit %s; started %s, %.0f s in all; schema %d\n\n", m.GoVersion, m.Gnark, m.Commit, r.Started, r.Seconds, r.Schema)

	s := r.Summary
	fmt.Fprintf(&b, "## Headline (%s)\n\n| figure | value | target |\n|---|---|---|\n", s.HeadlineShape)
	fmt.Fprintf(&b, "| session prove, median (fastest) | %s s (%s s) | |\n| session verify | %s s | |\n| constraints | %d | |\n", f3(s.ProveS), f3(s.ProveMinS), fmt.Sprintf("%.4f", s.VerifyS), s.Constraints)
	fmt.Fprintf(&b, "| naive/session prove time, T=%d (median of alternating pairs) | %.1f× | ≥ 8 |\n", s.NaiveTokens, s.NaiveOverSession)
	fmt.Fprintf(&b, "| naive/session, fastest/fastest of the pairs | %.1f× | |\n", s.NaiveOverSessionFastest)
	fmt.Fprintf(&b, "| naive/session CPU time per proof | %.1f× | |\n", s.NaiveOverSessionCPU)
	fmt.Fprintf(&b, "| limit ratio prove/(MSM+FFT) | %.2f | ≤ 2 (CPU) |\n", s.LimitRatio)
	fmt.Fprintf(&b, "| published proof per module (31.6 s, hardware not stated) / ours | %.0f× | |\n", s.PublishedOverOurs)
	if s.BatchProofs > 0 {
		fmt.Fprintf(&b, "| batch verify speedup, N=%d | %.1f× | |\n", s.BatchProofs, s.BatchSpeedup)
	}
	b.WriteString("\n")
	if bl := r.Baseline; bl != nil {
		fmt.Fprintf(&b, "Naive vs session, %s at T=%d: %d pairs of proofs in alternation (order flipped each pair); naive s %s; session s %s; ratios %s.\n\n",
			bl.Shape, bl.Tokens, bl.Pairs, joinF(bl.NaiveS, "%.3f"), joinF(bl.SessionS, "%.3f"), joinF(bl.Ratios, "%.2f"))
	}

	if len(r.Prove) > 0 {
		b.WriteString("## prove\n\n| circuit | model | module | shape | T | key | constraints | public | domain | proof B | setup s | prove s (median) | prove s (fastest, runs) | prove CPU s | verify s | peak RSS MiB | MSM s | FFT s | prove/(MSM+FFT) | published proof s (hardware not stated) | published/ours | status |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, p := range r.Prove {
			ms, fs, ra := "—", "—", "—"
			if p.Limit != nil {
				ms, fs, ra = f3(p.Limit.MSMS), f3(p.Limit.FFTS), fmt.Sprintf("%.2f", p.Limit.Ratio)
			}
			pub, over := "—", "—"
			if v, ok := PublishedProofFor(p.Model); ok && p.Circuit == "session" {
				pub = fmt.Sprintf("%g", v)
				if p.ProveS > 0 {
					over = fmt.Sprintf("%.0f×", v/p.ProveS)
				}
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %s | %d | %d | %d | %d | %s | %s | %s (%d) | %s | %s | %.0f | %s | %s | %s | %s | %s | %s |\n",
				p.Circuit, p.Model, p.Module, p.Shape, p.Tokens, p.KeyMode, p.Constraints, p.PublicIn, p.Domain, p.ProofBytes,
				f3(p.SetupS), f3(p.ProveS), f3(p.ProveMinS), p.ProveReps, f3(p.ProveCPUS), fmt.Sprintf("%.4f", p.VerifyS), p.PeakRSSMiB, ms, fs, ra, pub, over, p.Status)
		}
		b.WriteString("\nKey \"dummy\": gnark's DummySetup key, prove time only (the proof does not verify). The limit columns time the proof's MSMs (sizes from its proving key) and its 7 FFTs of the domain size, run alone on the same backend, fastest of 2; the ratio is the fastest proof over them. The published column is the original system's per-module proof time for that model (DESIGN §8; published, hardware not stated; its module and rank are not given per figure), and published/ours divides it by our median. Peak RSS is the highest VmRSS sampled every 5 ms while proving.\n\n")
	}
	if len(r.Verify) > 0 {
		b.WriteString("## verify\n\n| shape | proofs | single s | batch s | batch per proof s | speedup | status |\n|---|---|---|---|---|---|---|\n")
		for _, v := range r.Verify {
			fmt.Fprintf(&b, "| %s | %d | %.4f | %.4f | %.4f | %.1f× | %s |\n", v.Shape, v.Proofs, v.SingleS, v.BatchS, v.BatchPerProof, v.Speedup, v.Status)
		}
		b.WriteString("\n")
	}
	if len(r.E2E) > 0 {
		b.WriteString("## e2e (synthetic session: inference is the exact LoRA products, commitments and transcript; key setup is the shape's dev setup, once per shape)\n\n| shape | modules | T | key setup s | inference s (session) | prove s | verify s | status |\n|---|---|---|---|---|---|---|---|\n")
		for _, e := range r.E2E {
			fmt.Fprintf(&b, "| %s | %d | %d | %s | %s | %s | %s | %s |\n", e.Shape, e.Modules, e.Tokens, f3(e.SetupS), f3(e.SessionS), f3(e.ProveS), f3(e.VerifyS), e.Status)
		}
		b.WriteString("\n")
	}
	for _, k := range []struct {
		name string
		rows []KernelRow
		unit string
	}{{"msm (G1)", r.MSM, "points/s"}, {"ntt", r.NTT, "elements/s"}} {
		if len(k.rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, "## %s\n\n| backend | n | seconds | %s | status |\n|---|---|---|---|---|\n", k.name, k.unit)
		for _, row := range k.rows {
			fmt.Fprintf(&b, "| %s | 2^%d | %s | %.3g | %s |\n", row.Backend, row.LogN, fmt.Sprintf("%.5f", row.Seconds), row.PerSecond, row.Status)
		}
		b.WriteString("\n")
	}
	if len(r.MatMul) > 0 {
		b.WriteString("## matmul (exact LoRA product)\n\n| model | module | shape | T | seconds | GMAC/s | status |\n|---|---|---|---|---|---|---|\n")
		for _, x := range r.MatMul {
			fmt.Fprintf(&b, "| %s | %s | %s | %d | %.5f | %.2f | %s |\n", x.Model, x.Module, x.Shape, x.Tokens, x.Seconds, x.GMACs, x.Status)
		}
		b.WriteString("\n")
	}
	b.WriteString("## Reference: the original system (published, hardware not stated)\n\n| system | model | figure | seconds | note |\n|---|---|---|---|---|\n")
	for _, x := range r.Reference {
		fmt.Fprintf(&b, "| %s | %s | %s | %g | %s |\n", x.System, x.Model, x.What, x.Seconds, x.Note)
	}
	if len(r.Skipped) > 0 {
		b.WriteString("\n## Skipped\n\n")
		for _, x := range r.Skipped {
			fmt.Fprintf(&b, "- %s\n", x)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// joinF formats each value with format and joins them with ", ".
func joinF(xs []float64, format string) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf(format, x)
	}
	return strings.Join(parts, ", ")
}
