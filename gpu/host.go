package gpu

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Host is what this machine offers a GPU build, found without any GPU
// library: the NVIDIA driver, its devices and ICICLE's backend folder.
type Host struct {
	Driver       string   `json:"driver"`        // /proc/driver/nvidia/version, first line ("" without a driver)
	NvidiaSMI    string   `json:"nvidia_smi"`    // path of nvidia-smi, "" if not on PATH
	Devices      []string `json:"devices"`       // models listed under /proc/driver/nvidia/gpus
	BackendDir   string   `json:"backend_dir"`   // ICICLE_BACKEND_INSTALL_DIR, or ICICLE's default
	BackendFound bool     `json:"backend_found"` // BackendDir holds a CUDA backend library
}

// defaultBackendDir is where ICICLE looks when ICICLE_BACKEND_INSTALL_DIR
// is unset.
const defaultBackendDir = "/opt/icicle/lib/backend"

// ProbeHost looks for the driver, devices and ICICLE backend.
func ProbeHost() Host {
	h := Host{Driver: DriverVersion(), Devices: []string{}, BackendDir: os.Getenv("ICICLE_BACKEND_INSTALL_DIR")}
	if p, err := exec.LookPath("nvidia-smi"); err == nil {
		h.NvidiaSMI = p
	}
	infos, _ := filepath.Glob("/proc/driver/nvidia/gpus/*/information")
	for _, f := range infos {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "Model" {
				h.Devices = append(h.Devices, strings.TrimSpace(v))
			}
		}
	}
	if h.BackendDir == "" {
		h.BackendDir = defaultBackendDir
	}
	libs, _ := filepath.Glob(filepath.Join(h.BackendDir, "*", "libicicle_backend_cuda*.so"))
	more, _ := filepath.Glob(filepath.Join(h.BackendDir, "*", "*", "libicicle_backend_cuda*.so"))
	h.BackendFound = len(libs)+len(more) > 0
	return h
}
