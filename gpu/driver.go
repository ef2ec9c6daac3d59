package gpu

import (
	"os"
	"strings"
)

// DriverVersion returns the NVIDIA kernel driver's version line from
// /proc/driver/nvidia/version, or "" when no NVIDIA driver is loaded.
func DriverVersion() string {
	b, err := os.ReadFile("/proc/driver/nvidia/version")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
}
