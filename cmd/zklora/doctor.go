package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zklora/zklora/bench"
	"github.com/zklora/zklora/engine/prover"
	"github.com/zklora/zklora/gpu"
)

// doctorReport is what `zklora doctor` finds.
type doctorReport struct {
	GoVersion string    `json:"go_version"`
	OS        string    `json:"os"`
	Arch      string    `json:"arch"`
	Gnark     string    `json:"gnark"`
	CPU       string    `json:"cpu"`
	Cores     int       `json:"cores"`
	BuildTags []string  `json:"build_tags"`
	ICICLE    bool      `json:"icicle_compiled"`
	CUDA      bool      `json:"cuda_compiled"`
	GPU       string    `json:"gpu"` // "none", or the devices found
	GPUError  string    `json:"gpu_error,omitempty"`
	GPUInfo   *gpu.Info `json:"gpu_info,omitempty"`
	Backend   string    `json:"backend"` // what proving will use
	Host      gpu.Host  `json:"host"`    // driver, devices and ICICLE backend, seen without GPU libraries
	CGOLDFlag string    `json:"cgo_ldflags"`
	Fix       []string  `json:"fix"`
}

type doctorOptions struct{ asJSON bool }

func newCmdDoctor() *cobra.Command {
	o := &doctorOptions{}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Report the Go version, build tags, GPU support and CPU, and what to fix",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return doctorRun(cmd, o) },
	}
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print JSON")
	return cmd
}

func diagnose() doctorReport {
	r := doctorReport{
		GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH, Gnark: prover.GnarkVersion(),
		CPU: bench.CPUModel(), Cores: runtime.NumCPU(), BuildTags: gpu.BuildTags(),
		ICICLE: gpu.ICICLECompiled, CUDA: gpu.CUDACompiled, GPU: "none", Backend: "cpu", Fix: []string{},
	}
	if r.BuildTags == nil {
		r.BuildTags = []string{}
	}
	r.Host, r.CGOLDFlag = gpu.ProbeHost(), os.Getenv("CGO_LDFLAGS")
	switch {
	case r.Host.Driver == "":
		r.Fix = append(r.Fix, "no NVIDIA driver on this machine (/proc/driver/nvidia/version missing): GPU proving needs a CUDA host")
	case !r.Host.BackendFound:
		r.Fix = append(r.Fix, "no ICICLE CUDA backend in "+r.Host.BackendDir+": build it with `make gpu-backend` and set ICICLE_BACKEND_INSTALL_DIR (docs/GPU.md)")
	}
	info, err := gpu.Available()
	switch {
	case errors.Is(err, gpu.ErrGPUNotCompiled):
		r.GPUError = "no GPU support compiled in; see docs/GPU.md"
		r.Fix = append(r.Fix, "to prove on a GPU, build with -tags icicle (and cuda for cuBLAS) on a CUDA host: see docs/GPU.md")
	case err != nil:
		r.GPUError = err.Error()
		r.Fix = append(r.Fix, "GPU support is compiled in but unusable: check the NVIDIA driver (nvidia-smi), ICICLE_BACKEND_INSTALL_DIR and CGO_LDFLAGS (docs/GPU.md)")
	case len(info.Devices) == 0:
		r.GPUError = "GPU support is compiled in but no device was found"
		r.GPUInfo = &info
		r.Fix = append(r.Fix, "no CUDA device visible: check nvidia-smi and CUDA_VISIBLE_DEVICES")
	default:
		names := make([]string, len(info.Devices))
		for i, d := range info.Devices {
			names[i] = d.Name
		}
		r.GPU, r.GPUInfo, r.Backend = strings.Join(names, ", "), &info, "gpu"
	}
	if r.Cores < 4 {
		r.Fix = append(r.Fix, fmt.Sprintf("only %d CPU cores: CPU proving of large modules will be slow", r.Cores))
	}
	return r
}

func doctorRun(cmd *cobra.Command, o *doctorOptions) error {
	r := diagnose()
	out := cmd.OutOrStdout()
	if o.asJSON {
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "%s\n", b)
		return err
	}
	tags := "none"
	if len(r.BuildTags) > 0 {
		tags = strings.Join(r.BuildTags, ",")
	}
	fmt.Fprintf(out, "Go:          %s %s/%s (gnark %s)\n", r.GoVersion, r.OS, r.Arch, r.Gnark)
	fmt.Fprintf(out, "Build tags:  %s (icicle compiled: %v, cuda compiled: %v)\n", tags, r.ICICLE, r.CUDA)
	fmt.Fprintf(out, "CPU:         %s, %d cores\n", r.CPU, r.Cores)
	driver, smi, devs := r.Host.Driver, r.Host.NvidiaSMI, strings.Join(r.Host.Devices, ", ")
	if driver == "" {
		driver = "none"
	}
	if smi == "" {
		smi = "not on PATH"
	}
	if devs == "" {
		devs = "none"
	}
	fmt.Fprintf(out, "Driver:      %s (nvidia-smi: %s)\n", driver, smi)
	fmt.Fprintf(out, "Devices:     %s\n", devs)
	found := "not found"
	if r.Host.BackendFound {
		found = "found"
	}
	fmt.Fprintf(out, "ICICLE:      backend %s in %s (ICICLE_BACKEND_INSTALL_DIR)\n", found, r.Host.BackendDir)
	if r.GPUError != "" {
		fmt.Fprintf(out, "GPU:         none — %s\n", r.GPUError)
	} else {
		fmt.Fprintf(out, "GPU:         %s (driver %s, backend %s)\n", r.GPU, r.GPUInfo.Driver, r.GPUInfo.Backend)
	}
	fmt.Fprintf(out, "Proving on:  %s\n", r.Backend)
	for _, f := range r.Fix {
		fmt.Fprintf(out, "Fix:         %s\n", f)
	}
	return nil
}
