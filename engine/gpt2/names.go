package gpt2

import "fmt"

// The four Conv1D projections of a block, in forward order.
var blockModules = [4]string{"attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"}

// ModuleName is the full name of Conv1D module j (0 attn.c_attn, 1
// attn.c_proj, 2 mlp.c_fc, 3 mlp.c_proj) of block i, as in Hugging Face's
// state dict without the ".weight" suffix: "transformer.h.3.attn.c_attn".
func ModuleName(i, j int) string {
	return fmt.Sprintf("transformer.h.%d.%s", i, blockModules[j])
}

// ModuleNames returns the names of all Conv1D modules in forward order: for
// each block attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj. These are the
// names a LinearHook receives and the targets a LoRA adapter may name.
func ModuleNames(cfg Config) []string {
	if cfg.NLayer <= 0 || cfg.NLayer > MaxLayers {
		return nil
	}
	names := make([]string, 0, 4*cfg.NLayer)
	for i := 0; i < cfg.NLayer; i++ {
		for j := range blockModules {
			names = append(names, ModuleName(i, j))
		}
	}
	return names
}

// ModuleShape returns the input and output widths (d, o) of Conv1D module j
// of a block (see ModuleName).
func (c Config) ModuleShape(j int) (d, o int) {
	switch j {
	case 0:
		return c.NEmbd, 3 * c.NEmbd
	case 1:
		return c.NEmbd, c.NEmbd
	case 2:
		return c.NEmbd, c.NInner
	case 3:
		return c.NInner, c.NEmbd
	}
	return 0, 0
}
