package gpt2

import (
	"fmt"
	"path/filepath"

	"github.com/zklora/zklora/engine/safetensors"
)

// Load reads DIR/config.json and DIR/model.safetensors (F32, F16 or BF16
// tensors; half precision is widened to float32). Tensor names follow the
// rules of New; shapes are checked against the config before any tensor is
// decoded, and errors name the tensor.
func Load(dir string) (*Model, error) {
	cfg, err := LoadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "model.safetensors")
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gpt2: %w", err)
	}
	defer f.Close()
	want := expectedShapes(cfg)
	got := make(map[string][]float32, len(want))
	// First pass: names and shapes only, so a wrong file fails fast.
	for _, name := range f.Names() {
		info, _ := f.Info(name)
		key, skip, err := nameRole(name, cfg, want)
		if err != nil {
			return nil, fmt.Errorf("%w (in %s)", err, path)
		}
		if name == lmHeadName {
			if err := checkShape(name, info.Shape, want["wte.weight"]); err != nil {
				return nil, fmt.Errorf("%w (in %s)", err, path)
			}
		}
		if skip {
			continue
		}
		if _, dup := got[key]; dup {
			return nil, fmt.Errorf("gpt2: tensor %q given both with and without the \"transformer.\" prefix (in %s)", key, path)
		}
		if err := checkShape(name, info.Shape, want[key]); err != nil {
			return nil, fmt.Errorf("%w (in %s)", err, path)
		}
		got[key] = nil
	}
	for _, key := range sortedKeys(want) {
		if _, ok := got[key]; !ok {
			return nil, fmt.Errorf("gpt2: missing tensor %q (in %s)", "transformer."+key, path)
		}
	}
	for _, name := range f.Names() {
		key, skip, _ := nameRole(name, cfg, want)
		if skip {
			continue
		}
		data, _, err := f.Float32(name)
		if err != nil {
			return nil, fmt.Errorf("gpt2: %w", err)
		}
		got[key] = data
	}
	return assemble(cfg, want, got)
}
