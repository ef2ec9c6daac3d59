package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zklora/zklora/engine/fixture"
	"github.com/zklora/zklora/engine/safetensors"
)

type fixtureOptions struct {
	preset    string
	seed      uint64
	out       string
	dtype     string
	zeroLoRAB bool
	asJSON    bool
}

func newCmdFixture() *cobra.Command {
	o := &fixtureOptions{}
	cmd := &cobra.Command{
		Use:   "fixture --preset tiny|distilgpt2 --out DIR",
		Short: "Generate a seeded GPT-2 base model and PEFT LoRA adapter in Hugging Face formats",
		Long: "Writes DIR/base/{config.json,model.safetensors} and " +
			"DIR/adapter/{adapter_config.json,adapter_model.safetensors} with seeded random weights. " +
			"The same preset, seed and options always give byte-identical files.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return fixtureRun(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.preset, "preset", fixture.PresetTiny, "model preset: "+strings.Join(fixture.Presets(), "|"))
	f.Uint64Var(&o.seed, "seed", 1, "random seed")
	f.StringVar(&o.out, "out", "", "output directory (required)")
	f.StringVar(&o.dtype, "dtype", "F32", "base weight dtype: F32, F16 or BF16")
	f.BoolVar(&o.zeroLoRAB, "zero-lora-b", false, "write lora_B as zeros (the adapter then changes nothing)")
	f.BoolVar(&o.asJSON, "json", false, "print the paths written as JSON")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func fixtureRun(cmd *cobra.Command, o *fixtureOptions) error {
	if !slices.Contains(fixture.Presets(), o.preset) {
		return usageError{fmt.Errorf("--preset %q: want one of %s", o.preset, strings.Join(fixture.Presets(), ", "))}
	}
	dt := safetensors.DType(strings.ToUpper(o.dtype))
	if !dt.IsFloat() {
		return usageError{fmt.Errorf("--dtype %q: want F32, F16 or BF16", o.dtype)}
	}
	if o.out == "" {
		return usageError{fmt.Errorf("--out must not be empty")}
	}
	p, err := fixture.WriteOptions(o.out, o.preset, fixture.Options{Seed: o.seed, BaseDType: dt, ZeroLoRAB: o.zeroLoRAB})
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if o.asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(p)
	}
	fmt.Fprintf(out, "config          %s\nmodel           %s\nadapter_config  %s\nadapter         %s\n", p.Config, p.Model, p.AdapterConfig, p.Adapter)
	return nil
}
