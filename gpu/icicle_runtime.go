//go:build icicle

package gpu

import (
	"fmt"
	"os"
	goruntime "runtime"
	"sync"

	icicle_runtime "github.com/ingonyama-zk/icicle-gnark/v3/wrappers/golang/runtime"
)

// ICICLECompiled reports whether the ICICLE backend is compiled in.
const ICICLECompiled = true

// icicleDevice is the ICICLE device type of the CUDA backend.
const icicleDevice = "CUDA"

// loadBackend loads ICICLE's CUDA backend from ICICLE_BACKEND_INSTALL_DIR
// (or ICICLE's default, /opt/icicle/lib/backend) once per process.
//
// This is the package's one piece of package-level state, and on purpose:
// ICICLE's runtime is itself process-global (a loaded backend cannot be
// unloaded and the registry of devices lives in the C++ library), so
// loading it twice would gain nothing and lose the first error.
var loadBackend = sync.OnceValue(func() (err error) {
	defer guard("load backend", &err)
	if err := icicleErr("load backend", int(icicle_runtime.LoadBackendFromEnvOrDefault())); err != nil {
		return fmt.Errorf("%w (ICICLE_BACKEND_INSTALL_DIR=%q): %w", ErrBackendNotFound, os.Getenv("ICICLE_BACKEND_INSTALL_DIR"), err)
	}
	return nil
})

// onDevice runs fn on CUDA device id, on a locked OS thread of the calling
// goroutine, so a panic in fn reaches the caller's guard (ICICLE's own
// RunOnDevice runs fn in a new goroutine, where no caller can recover it).
func onDevice(id int, fn func() error) error {
	if err := loadBackend(); err != nil {
		return err
	}
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()
	prev, _ := icicle_runtime.GetActiveDevice()
	dev := icicle_runtime.CreateDevice(icicleDevice, id)
	if !icicle_runtime.IsDeviceAvailable(&dev) {
		return fmt.Errorf("CUDA device %d: %w", id, ErrNoDevice)
	}
	if err := icicleErr("set device", int(icicle_runtime.SetDevice(&dev))); err != nil {
		return err
	}
	if prev != nil {
		defer icicle_runtime.SetDevice(prev)
	}
	return fn()
}

// Available loads the ICICLE CUDA backend and reports its devices, with the
// NVIDIA driver version from /proc/driver/nvidia/version.
func Available() (info Info, err error) {
	defer guard("available", &err)
	info = Info{Backend: "ICICLE " + icicleDevice + " (" + backendDir() + ")", Driver: DriverVersion()}
	if err := loadBackend(); err != nil {
		return info, err
	}
	probe := icicle_runtime.CreateDevice(icicleDevice, 0)
	if !icicle_runtime.IsDeviceAvailable(&probe) {
		return info, fmt.Errorf("ICICLE has no %s device: %w", icicleDevice, ErrNoDevice)
	}
	var n int
	err = onDevice(0, func() error {
		c, code := icicle_runtime.GetDeviceCount()
		n = c
		return icicleErr("device count", int(code))
	})
	if err != nil {
		return info, err
	}
	for id := 0; id < n; id++ {
		d := Device{Index: id, Name: fmt.Sprintf("%s:%d", icicleDevice, id)}
		_ = onDevice(id, func() error {
			mem, code := icicle_runtime.GetAvailableMemory()
			if code == icicle_runtime.Success {
				d.Memory = uint64(mem.Total)
			}
			return nil
		})
		info.Devices = append(info.Devices, d)
	}
	return info, nil
}

// backendDir is where ICICLE looks for its backend.
func backendDir() string {
	if d := os.Getenv("ICICLE_BACKEND_INSTALL_DIR"); d != "" {
		return d
	}
	return "default /opt/icicle/lib/backend"
}

// freeMemory returns the free and total memory of device id.
func freeMemory(id int) (free, total uint64, err error) {
	err = onDevice(id, func() error {
		mem, code := icicle_runtime.GetAvailableMemory()
		if e := icicleErr("available memory", int(code)); e != nil {
			return e
		}
		free, total = uint64(mem.Free), uint64(mem.Total)
		return nil
	})
	return free, total, err
}
