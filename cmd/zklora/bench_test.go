package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	var rep map[string]any
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	if _, ok := rep["prove"]; !ok {
		t.Fatal("no prove rows")
	}
	pngs, _ := filepath.Glob(filepath.Join(plots, "*.png"))
	if len(pngs) < 2 {
		t.Fatalf("%d PNGs", len(pngs))
	}
	if _, err := os.Stat(md); err != nil {
		t.Fatal(err)
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
