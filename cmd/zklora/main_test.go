package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCircuitInfoJSONKeys(t *testing.T) {
	code, out, errs := runCLI(t, "circuit", "info", "--shape", "768x8x2304", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"constraints", "public_inputs", "circuit_id"} {
		if _, ok := m[k]; !ok {
			t.Fatalf("missing key %q in %s", k, out)
		}
	}
	if c := m["constraints"].(float64); c > 26000 || c < 25000 {
		t.Fatalf("constraints %v", c)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"circuit", "info", "--shape", "768x8"},
		{"circuit", "info"},
		{"bogus"},
		{"prove", "--shape", "4x2x3", "--out", "x", "--transcript-out", "y"}, // no --synthetic
		{"verify", "--proof-dir", "x", "--no-such-flag"},
	} {
		code, _, errs := runCLI(t, args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, exitUsage, errs)
		}
		if strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.HasPrefix(errs, "zklora: ") {
			t.Errorf("%v: error is not one line: %q", args, errs)
		}
	}
}

func TestProveVerifyExitCodes(t *testing.T) {
	dir := t.TempDir()
	out, tr, keys := filepath.Join(dir, "out"), filepath.Join(dir, "tr.bin"), filepath.Join(dir, "keys")
	code, _, errs := runCLI(t, "prove", "--synthetic", "--shape", "8x2x6", "--tokens", "5", "--modules", "3",
		"--seed", "3", "--out", out, "--transcript-out", tr, "--keys", keys, "--quiet")
	if code != 0 {
		t.Fatalf("prove: exit %d: %s", code, errs)
	}
	code, stdout, _ := runCLI(t, "verify", "--proof-dir", out, "--transcript", tr, "--allow-dev-keys", "--json")
	if code != 0 {
		t.Fatalf("verify: exit %d: %s", code, stdout)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep["proofs"].(float64) != 3 || rep["verified"].(float64) != 3 || rep["failed"].(float64) != 0 {
		t.Fatalf("report %v", rep)
	}
	// Without --allow-dev-keys: a verification failure, exit 3.
	if code, _, errs := runCLI(t, "verify", "--proof-dir", out, "--transcript", tr); code != exitVerify || !strings.Contains(errs, "allow-dev-keys") {
		t.Fatalf("dev keys: exit %d: %s", code, errs)
	}
	// A flipped byte in the transcript: exit 3 or a decode error, never 0.
	raw, _ := os.ReadFile(tr)
	raw[len(raw)-3] ^= 0x40
	_ = os.WriteFile(tr, raw, 0o644)
	if code, _, _ := runCLI(t, "verify", "--proof-dir", out, "--transcript", tr, "--allow-dev-keys"); code == 0 {
		t.Fatal("tampered transcript verified")
	}
	// A missing transcript: a plain failure.
	if code, _, _ := runCLI(t, "verify", "--proof-dir", out, "--transcript", filepath.Join(dir, "none")); code != exitFailure {
		t.Fatalf("missing transcript: exit %d", code)
	}
}

func TestDemoSyntheticJSON(t *testing.T) {
	checkDemoJSON(t, 2, "demo", "--synthetic", "--shape", "8x2x6", "--tokens", "4", "--modules", "2", "--keys", t.TempDir(), "--json")
}

// The default demo: the tiny fixture's 6 LoRA points over the real
// protocol on loopback.
func TestDemoLoopbackJSON(t *testing.T) {
	m := checkDemoJSON(t, 6, "demo", "--keys", t.TempDir(), "--json")
	if m["mode"] != "loopback" || m["loss"] == nil || m["key_mode"] != "ceremony" {
		t.Fatalf("demo: %v", m)
	}
}

func checkDemoJSON(t *testing.T, modules float64, args ...string) map[string]any {
	t.Helper()
	code, out, errs := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("demo: exit %d: %s", code, errs)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range []string{"loss", "proofs", "verified", "failed", "key_mode", "inference_s", "prove_s", "verify_s"} {
		if _, ok := m[k]; !ok {
			t.Fatalf("demo JSON lacks %q: %v", k, keys)
		}
	}
	if m["verified"].(float64) != modules || m["failed"].(float64) != 0 || m["proofs"].(float64) != modules {
		t.Fatalf("demo: %v", m)
	}
	return m
}
