package gpu

import (
	"os"
	"path/filepath"
	"testing"
)

func TestProbeHostBackendDir(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("ICICLE_BACKEND_INSTALL_DIR", dir)
	if h := ProbeHost(); h.BackendDir != dir || h.BackendFound {
		t.Fatalf("empty dir: %+v", h)
	}
	if err := os.MkdirAll(filepath.Join(dir, "bn254", "cuda"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bn254", "cuda", "libicicle_backend_cuda_curve_bn254.so"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if h := ProbeHost(); !h.BackendFound {
		t.Fatalf("backend library not found: %+v", h)
	}
	if _, err := os.Stat("/proc/driver/nvidia/version"); err != nil {
		if h := ProbeHost(); h.Driver != "" || len(h.Devices) != 0 {
			t.Fatalf("no driver, yet %+v", h)
		}
	}
}
