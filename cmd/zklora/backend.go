package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/zklora/zklora/engine/prover"
	"github.com/zklora/zklora/gpu"
)

// backendFlag is the --backend flag of the proving commands.
type backendFlag struct{ name string }

// add registers --backend on f.
func (b *backendFlag) add(f *pflag.FlagSet) {
	f.StringVar(&b.name, "backend", gpu.BackendAuto,
		"prover backend: "+strings.Join(gpu.Backends(), ", ")+" (auto: the GPU when usable, else the CPU; see zklora doctor)")
}

// engine resolves the flag into the prover engine (nil: the CPU) and a
// function that frees it. Unless quiet, it says on w what was chosen when
// the choice was not asked for explicitly. --backend gpu fails when no GPU
// is usable, with what to do.
func (b *backendFlag) engine(w io.Writer, quiet bool) (prover.Engine, func(), error) {
	c, err := gpu.Select(b.name)
	if errors.Is(err, gpu.ErrUnknownBackend) {
		return nil, func() {}, usageError{err}
	}
	if err != nil {
		return nil, func() {}, err
	}
	if !quiet && c.Requested == gpu.BackendAuto {
		fmt.Fprintf(w, "backend: %s (%s)\n", c.Backend.Name(), c.Reason)
	}
	if c.Backend.Name() != gpu.BackendGPU {
		return nil, func() {}, nil
	}
	e := &prover.GPUEngine{}
	return e, func() { e.Close() }, nil
}
