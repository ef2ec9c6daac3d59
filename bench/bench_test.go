package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// checkOutputs writes the report's JSON, Markdown and plots and checks
// their structure: valid JSON of the current schema, every suite's rows,
// at least two PNGs.
func checkOutputs(t *testing.T, rep *Report) {
	t.Helper()
	dir := t.TempDir()
	jp := filepath.Join(dir, "out.json")
	if err := WriteJSON(jp, rep); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(jp)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	if back["schema"] != float64(SchemaVersion) {
		t.Fatalf("schema = %v", back["schema"])
	}
	for _, k := range []string{"machine", "msm", "ntt", "matmul", "prove", "verify", "e2e", "summary", "reference"} {
		if _, ok := back[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	pngs, err := WritePlots(filepath.Join(dir, "plots"), rep)
	if err != nil {
		t.Fatal(err)
	}
	if len(pngs) < 2 {
		t.Fatalf("%d plots, want ≥ 2", len(pngs))
	}
	for _, p := range pngs {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s is not a PNG: %v", p, err)
		}
		if b := img.Bounds(); b.Dx() < 100 || b.Dy() < 100 {
			t.Fatalf("%s is %v", p, b)
		}
	}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## prove", "published, hardware not stated", "published proof s (hardware not stated)", "naive/session", "prove/(MSM+FFT)", "Load average", rep.Machine.CPU} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
}

func TestSmokeCPU(t *testing.T) {
	rep, err := Run(context.Background(), Config{Backend: CPU, Scenarios: Smoke()})
	if err != nil {
		t.Fatal(err)
	}
	checkMachine(t, rep.Machine)
	for _, r := range rep.MSM {
		if r.Status != statusOK || r.PerSecond <= 0 {
			t.Errorf("msm row %+v", r)
		}
	}
	if len(rep.NTT) != 2 || len(rep.MatMul) != 2 || len(rep.Verify) != 1 || len(rep.E2E) != 1 {
		t.Fatalf("rows: ntt %d matmul %d verify %d e2e %d", len(rep.NTT), len(rep.MatMul), len(rep.Verify), len(rep.E2E))
	}
	var naive, session int
	for _, r := range rep.Prove {
		if r.Status != statusOK {
			t.Fatalf("prove row failed: %+v", r)
		}
		if r.Constraints <= 0 || r.ProofBytes <= 0 || r.ProveS <= 0 || r.ProveMinS <= 0 || r.ProveMinS > r.ProveS || r.ProveReps < 1 || r.PeakRSSMiB <= 0 || r.Limit == nil || r.Limit.Ratio <= 0 {
			t.Errorf("prove row incomplete: %+v", r)
		}
		switch r.Circuit {
		case "naive":
			naive++
			if r.VerifyS <= 0 {
				t.Errorf("naive row with a real key not verified: %+v", r)
			}
		case "session":
			session++
			if r.VerifyS <= 0 || len(r.Limit.MSMG1) < 4 || r.Limit.MSMG2 == 0 || r.Limit.FFTN != r.Domain {
				t.Errorf("session row: %+v limit %+v", r, r.Limit)
			}
		}
	}
	if naive != 1 || session != 3 {
		t.Fatalf("prove rows: %d naive, %d session", naive, session)
	}
	if v := rep.Verify[0]; v.Status != statusOK || v.BatchS <= 0 || v.SingleS <= 0 {
		t.Errorf("verify row %+v", v)
	}
	if e := rep.E2E[0]; e.Status != statusOK || e.SetupS <= 0 || e.ProveS <= 0 || e.VerifyS <= 0 || e.SessionS <= 0 {
		t.Errorf("e2e row %+v", e)
	}
	s := rep.Summary
	if s.ProveS <= 0 || s.NaiveOverSession <= 0 || s.NaiveOverSessionFastest <= 0 || s.NaiveOverSessionCPU <= 0 || s.NaiveTokens != 4 || s.LimitRatio <= 0 || s.PublishedOverOurs <= 0 || s.BatchProofs != 3 {
		t.Errorf("summary %+v", s)
	}
	if b := rep.Baseline; b == nil || b.Pairs != 2 || len(b.Ratios) != 2 || len(b.NaiveS) != 2 || len(b.SessionS) != 2 || b.RatioMedian != s.NaiveOverSession {
		t.Errorf("baseline %+v", b)
	}
	checkOutputs(t, rep)
}

// checkMachine: every field a report must carry about its machine.
func checkMachine(t *testing.T, m Machine) {
	t.Helper()
	if m.CPU == "" || m.Cores < 1 || m.GOMAXPROCS < 1 || m.GoVersion == "" || m.GPU == "" || m.GPUDriver == "" || m.Commit == "" || m.Gnark == "" || m.OS == "" || m.Arch == "" {
		t.Errorf("machine not described: %+v", m)
	}
	if m.LoadAvgBefore == "" || m.LoadAvgAfter == "" {
		t.Errorf("load averages not recorded: %+v", m)
	}
}

// TestGPUWithoutGPU: the gpu backend on an untagged build reports every
// row unavailable and never panics.
func TestGPUWithoutGPU(t *testing.T) {
	sc := Smoke()
	rep, err := Run(context.Background(), Config{Backend: GPU, Scenarios: sc, Suites: []string{"msm", "ntt", "matmul", "prove", "e2e"}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	check := func(status string) {
		n++
		if !strings.HasPrefix(status, "unavailable: ") {
			t.Errorf("gpu row status %q", status)
		}
	}
	for _, r := range rep.MSM {
		check(r.Status)
	}
	for _, r := range rep.NTT {
		check(r.Status)
	}
	for _, r := range rep.MatMul {
		check(r.Status)
	}
	for _, r := range rep.Prove {
		check(r.Status)
	}
	for _, r := range rep.E2E {
		check(r.Status)
	}
	if n != 2+2+2+4+1 {
		t.Fatalf("%d gpu rows", n)
	}
}

func TestParseSuites(t *testing.T) {
	if s, err := ParseSuites(""); err != nil || len(s) != len(AllSuites()) {
		t.Fatalf("all: %v %v", s, err)
	}
	if s, err := ParseSuites("msm, prove"); err != nil || len(s) != 2 || s[1] != "prove" {
		t.Fatalf("msm,prove: %v %v", s, err)
	}
	if _, err := ParseSuites("msm,bogus"); err == nil {
		t.Fatal("bogus suite accepted")
	}
	if _, err := Run(context.Background(), Config{Backend: "tpu", Scenarios: Smoke()}); err == nil {
		t.Fatal("backend tpu accepted")
	}
}

func TestSummaryRatios(t *testing.T) {
	h := Headline().String()
	rep := &Report{Prove: []ProveRow{
		{Circuit: "naive", Shape: h, Tokens: 16, ProveS: 5, ProveMinS: 4, Status: statusOK},
		{Circuit: "session", Shape: "1x1x1", ProveS: 0.1, Status: statusOK},
		{Circuit: "session", Shape: h, Tokens: 16, ProveS: 0.5, ProveMinS: 0.4, VerifyS: 0.01, Status: statusOK, Limit: &Limit{Ratio: 1.5}},
		{Circuit: "session", Shape: h, Tokens: 256, ProveS: 0.6, Status: statusOK},
	}, Verify: []VerifyRow{{Proofs: 4, Speedup: 2, Status: statusOK}, {Proofs: 24, Speedup: 5, Status: statusOK}},
		Baseline: &Baseline{Shape: h, Tokens: 16, RatioMedian: 9, RatioOfFastest: 10, CPURatio: 11}}
	s := summarize(rep)
	if s.HeadlineShape != h || s.NaiveOverSession != 9 || s.NaiveOverSessionFastest != 10 || s.NaiveOverSessionCPU != 11 || s.NaiveTokens != 16 ||
		s.LimitRatio != 1.5 || s.ProveS != 0.5 || s.BatchSpeedup != 5 || s.BatchProofs != 24 {
		t.Fatalf("summary %+v", s)
	}
	if d := s.PublishedOverOurs - PublishedProofS/0.5; d > 1e-9 || d < -1e-9 {
		t.Fatalf("published/ours %v", s.PublishedOverOurs)
	}
	// A baseline of another shape is not the headline's.
	rep.Baseline.Shape = "1x1x1"
	if s := summarize(rep); s.NaiveOverSession != 0 {
		t.Fatalf("baseline of another shape used: %+v", s)
	}
}

func TestKernelSizes(t *testing.T) {
	f := Full()
	if got := f.kernelSizes(CPU, f.MSMLogN); len(got) != 13 || got[12] != 22 {
		t.Errorf("cpu sizes %v", got)
	}
	if got := f.kernelSizes(GPU, f.MSMLogN); len(got) != 17 || got[16] != 26 || len(f.MSMLogN) != 13 {
		t.Errorf("gpu sizes %v (table %v)", got, f.MSMLogN)
	}
	if q := Quick(); len(q.kernelSizes(GPU, q.NTTLogN)) != len(q.NTTLogN) {
		t.Error("quick table extended on gpu")
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{4, 1}, 2.5}, {[]float64{5, 1, 3}, 3}} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestPublishedProofFor(t *testing.T) {
	if v, ok := PublishedProofFor("distilgpt2"); !ok || v != PublishedProofS {
		t.Errorf("distilgpt2: %v %v", v, ok)
	}
	if v, ok := PublishedProofFor("Llama-3.3-70B"); !ok || v != 46.9 {
		t.Errorf("Llama-3.3-70B: %v %v", v, ok)
	}
	if _, ok := PublishedProofFor("gpt2-medium"); ok {
		t.Error("gpt2-medium has no published figure")
	}
}

// TestQuick runs the real --quick table once (CI's smoke run of
// `zklora bench --quick`, about a minute or two on 2 cores) and checks its
// structure. Speed is not asserted by default: with ZKLORA_BENCH_QUICK=1 it
// also checks issue 7's targets on this machine (naive/session at T=16 ≥ 8,
// limit ratio ≤ 2). Skipped under -short.
func TestQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("the --quick table takes a minute or two")
	}
	t0 := time.Now()
	rep, err := Run(context.Background(), Config{Backend: CPU, Scenarios: Quick()})
	if err != nil {
		t.Fatal(err)
	}
	checkOutputs(t, rep)
	t.Logf("quick took %s; summary %+v", time.Since(t0), rep.Summary)
	if rep.Summary.NaiveOverSession <= 0 || rep.Summary.LimitRatio <= 0 {
		t.Fatalf("summary ratios missing: %+v", rep.Summary)
	}
	if os.Getenv("ZKLORA_BENCH_QUICK") == "" {
		return
	}
	if rep.Summary.NaiveOverSession < 8 {
		t.Errorf("naive/session at T=16 = %.2f, want ≥ 8", rep.Summary.NaiveOverSession)
	}
	if rep.Summary.LimitRatio > 2 {
		t.Errorf("limit ratio = %.2f, want ≤ 2", rep.Summary.LimitRatio)
	}
}
