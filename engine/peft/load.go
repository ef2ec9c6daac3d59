package peft

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/zklora/zklora/engine/gpt2"
	"github.com/zklora/zklora/engine/safetensors"
)

// File names of a PEFT adapter directory.
const (
	ConfigFile  = "adapter_config.json"
	WeightsFile = "adapter_model.safetensors"
)

// maxConfigBytes bounds adapter_config.json.
const maxConfigBytes = 1 << 20

// LoadConfig reads and parses an adapter_config.json file.
func LoadConfig(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("peft: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return Config{}, fmt.Errorf("peft: reading %s: %w", path, err)
	}
	if len(data) > maxConfigBytes {
		return Config{}, fmt.Errorf("peft: %s exceeds %d bytes", path, maxConfigBytes)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("peft: %w (in %s)", err, path)
	}
	return c, nil
}

// Load reads a PEFT LoRA adapter directory (adapter_config.json and
// adapter_model.safetensors) and validates it against the base model's
// configuration: the targeted modules, every tensor's presence and shape
// (lora_A [r, in], lora_B [out, r] with Conv1D in/out widths and the
// module's rank), and finite values.
func Load(dir string, base gpt2.Config) (*Adapter, error) {
	cfg, err := LoadConfig(filepath.Join(dir, ConfigFile))
	if err != nil {
		return nil, err
	}
	wpath := filepath.Join(dir, WeightsFile)
	st, err := safetensors.Open(wpath)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if _, e := os.Stat(filepath.Join(dir, "adapter_model.bin")); e == nil {
				return nil, fmt.Errorf("peft: %s has only adapter_model.bin (a pickle); convert it to %s", dir, WeightsFile)
			}
		}
		return nil, fmt.Errorf("peft: %w", err)
	}
	defer st.Close()
	ad, err := build(cfg, dimsOf(base), st)
	if err != nil {
		return nil, fmt.Errorf("peft: %w (in %s)", err, dir)
	}
	return ad, nil
}

// FromTensors validates an adapter given as a parsed config and in-memory
// tensors keyed as in adapter_model.safetensors (values row-major, shapes
// as stored). The tensors are not copied.
func FromTensors(cfg Config, base gpt2.Config, tensors map[string]Tensor) (*Adapter, error) {
	ad, err := build(cfg, dimsOf(base), mapSource(tensors))
	if err != nil {
		return nil, fmt.Errorf("peft: %w", err)
	}
	return ad, nil
}

// Tensor is an in-memory float32 tensor for FromTensors.
type Tensor struct {
	// Shape is the tensor's shape.
	Shape []int
	// Data holds the values, row-major.
	Data []float32
}

// mapSource adapts a map of Tensors to tensorSource.
type mapSource map[string]Tensor

func (m mapSource) Names() []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func (m mapSource) Float32(name string) ([]float32, []int, error) {
	t, ok := m[name]
	if !ok {
		return nil, nil, fmt.Errorf("no tensor %q", name)
	}
	return t.Data, t.Shape, nil
}

// dimsOf extracts what the loader needs of a GPT-2 config.
func dimsOf(c gpt2.Config) baseDims {
	return baseDims{NLayer: c.NLayer, NEmbd: c.NEmbd, NInner: c.NInner}
}
