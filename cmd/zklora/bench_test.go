package main

import (
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zklora/zklora/bench"
)

func TestDoctorSaysNoGPU(t *testing.T) {
	code, out, errb := runCLI(t, "doctor")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	for _, want := range []string{"Go:", "Build tags:  none", "GPU:         none", "no GPU support compiled in; see docs/GPU.md", "Proving on:  cpu", "Fix:"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCLI(t, "doctor", "--json")
	var r doctorReport
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil {
		t.Fatalf("doctor --json: exit %d, %q", code, out)
	}
	if r.GPU != "none" || r.ICICLE || r.Backend != "cpu" || r.Cores < 1 || r.GoVersion == "" {
		t.Fatalf("doctor --json: %+v", r)
	}
}

func TestBenchSmokeCLI(t *testing.T) {
	dir := t.TempDir()
	jp, md, plots := filepath.Join(dir, "o.json"), filepath.Join(dir, "o.md"), filepath.Join(dir, "plots")
	code, _, errb := runCLI(t, "bench", "--scenarios", "smoke", "--quiet", "--json", jp, "--md", md, "--plots", plots)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	b, err := os.ReadFile(jp)
	if err != nil {
		t.Fatal(err)
	}
	var rep bench.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	if rep.Schema != bench.SchemaVersion || rep.Scenarios != "smoke" || rep.Backend != "cpu" {
		t.Fatalf("report header: schema %d scenarios %q backend %q", rep.Schema, rep.Scenarios, rep.Backend)
	}
	m := rep.Machine
	if m.CPU == "" || m.Cores < 1 || m.GPU == "" || m.GPUDriver == "" || m.GoVersion == "" || m.Commit == "" || m.LoadAvgBefore == "" {
		t.Errorf("machine not described: %+v", m)
	}
	if len(rep.MSM) == 0 || len(rep.NTT) == 0 || len(rep.MatMul) == 0 || len(rep.Prove) == 0 || len(rep.Verify) == 0 || len(rep.E2E) == 0 || rep.Baseline == nil {
		t.Errorf("a suite is missing: msm %d ntt %d matmul %d prove %d verify %d e2e %d baseline %v",
			len(rep.MSM), len(rep.NTT), len(rep.MatMul), len(rep.Prove), len(rep.Verify), len(rep.E2E), rep.Baseline != nil)
	}
	if len(rep.Suites) != len(bench.AllSuites()) || len(rep.Reference) == 0 {
		t.Errorf("suites %v, %d reference figures", rep.Suites, len(rep.Reference))
	}
	pngs, _ := filepath.Glob(filepath.Join(plots, "*.png"))
	if len(pngs) < 2 {
		t.Fatalf("%d PNGs", len(pngs))
	}
	for _, p := range pngs {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		_, err = png.Decode(f)
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	mdb, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"published, hardware not stated", "published proof s (hardware not stated)", "naive/session", "prove/(MSM+FFT)"} {
		if !strings.Contains(string(mdb), want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	// --from renders the same report again without running anything.
	md2, plots2 := filepath.Join(dir, "again.md"), filepath.Join(dir, "plots2")
	if code, _, errb := runCLI(t, "bench", "--from", jp, "--md", md2, "--plots", plots2); code != 0 {
		t.Fatalf("--from: exit %d: %s", code, errb)
	}
	if again, err := os.ReadFile(md2); err != nil || string(again) != string(mdb) {
		t.Errorf("--from rendered a different Markdown (%v)", err)
	}
	if pngs2, _ := filepath.Glob(filepath.Join(plots2, "*.png")); len(pngs2) != len(pngs) {
		t.Errorf("--from wrote %d PNGs, the run %d", len(pngs2), len(pngs))
	}
}

func TestBenchUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "--backend", "tpu"},
		{"bench", "--suite", "bogus"},
		{"bench", "--scenarios", "huge"},
	} {
		if code, _, _ := runCLI(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}
