package gpu

import "errors"

// ErrGPUNotCompiled is returned by every entry point of a binary built
// without the icicle build tag.
var ErrGPUNotCompiled = errors.New("no GPU support compiled in (build with -tags icicle); see docs/GPU.md")

// ErrNoDevice is returned when GPU support is compiled in but no usable
// device was found.
var ErrNoDevice = errors.New("no usable GPU device found")
