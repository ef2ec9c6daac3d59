package main

import (
	"strings"
	"testing"

	"github.com/zklora/zklora/gpu"
)

// TestBackendFlag: every proving command takes --backend; gpu on an
// untagged build fails with what to do, an unknown name is a usage error,
// and auto picks the CPU, saying why.
func TestBackendFlag(t *testing.T) {
	if gpu.ICICLECompiled {
		t.Skip("tagged build")
	}
	for _, c := range [][]string{{"prove"}, {"demo"}, {"serve"}, {"worker"}} {
		code, out, _ := runCLI(t, append(c, "--help")...)
		if code != 0 || !strings.Contains(out, "--backend") {
			t.Errorf("%s --help lacks --backend (exit %d)", c[0], code)
		}
	}
	keys := t.TempDir()
	code, _, errb := runCLI(t, "demo", "--synthetic", "--backend", "gpu", "--shape", "4x2x4", "--modules", "1", "--tokens", "2", "--keys", keys, "--json")
	if code != 1 || !strings.Contains(errb, "make gpu") || !strings.Contains(errb, "docs/GPU.md") {
		t.Fatalf("--backend gpu: exit %d, %q", code, errb)
	}
	if code, _, errb = runCLI(t, "demo", "--synthetic", "--backend", "tpu", "--shape", "4x2x4", "--modules", "1", "--tokens", "2", "--keys", keys); code != 2 {
		t.Fatalf("--backend tpu: exit %d, %q", code, errb)
	}
	var w strings.Builder
	b := backendFlag{name: "auto"}
	eng, free, err := b.engine(&w, false)
	free()
	if err != nil || eng != nil || !strings.Contains(w.String(), "backend: cpu (no usable GPU") {
		t.Fatalf("--backend auto: engine %v, err %v, said %q", eng, err, w.String())
	}
}

// TestDoctorReportsHost: doctor names the driver, the devices and the
// ICICLE backend folder, and on a machine without a driver says so.
func TestDoctorReportsHost(t *testing.T) {
	t.Setenv("ICICLE_BACKEND_INSTALL_DIR", t.TempDir())
	code, out, errb := runCLI(t, "doctor")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	for _, want := range []string{"Driver:", "Devices:", "ICICLE:      backend not found in"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}
	if gpu.DriverVersion() == "" && !strings.Contains(out, "no NVIDIA driver on this machine") {
		t.Errorf("doctor does not say plainly that there is no GPU driver:\n%s", out)
	}
}
