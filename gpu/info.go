package gpu

import (
	"fmt"
	"strings"
)

// Device describes one GPU seen by the runtime.
type Device struct {
	Index  int    `json:"index"`
	Name   string `json:"name"`
	Memory uint64 `json:"memory_bytes"`
}

// Info is what Available reports about the GPU runtime: the backend that
// was loaded, the driver version and the usable devices.
type Info struct {
	Backend string   `json:"backend"`
	Driver  string   `json:"driver"`
	Devices []Device `json:"devices"`
}

// BuildTags returns the GPU-related build tags this binary was compiled
// with (a subset of "icicle" and "cuda").
func BuildTags() []string {
	var tags []string
	if ICICLECompiled {
		tags = append(tags, "icicle")
	}
	if CUDACompiled {
		tags = append(tags, "cuda")
	}
	return tags
}

// Summary is a one-line description: the devices, driver and backend.
func (i Info) Summary() string {
	names := make([]string, len(i.Devices))
	for k, d := range i.Devices {
		names[k] = d.Name
	}
	return fmt.Sprintf("%s (driver %s, backend %s)", strings.Join(names, ", "), i.Driver, i.Backend)
}
