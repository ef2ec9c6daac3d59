package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/zklora/zklora/engine/gpt2"
	"github.com/zklora/zklora/engine/lora"
	"github.com/zklora/zklora/engine/peft"
	"github.com/zklora/zklora/engine/tokenizer"
)

// LoRA sources for the model commands.
const (
	loraFloat     = "float"
	loraQuantized = "quantized"
)

func newCmdModel() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "model",
		Short: "Run the base model with or without a LoRA adapter (loss, generation, injection points)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newCmdModelLoss(), newCmdModelPoints(), newCmdModelGenerate())
	return cmd
}

// modelSource holds the flags shared by loss and generate.
type modelSource struct {
	base    string
	adapter string
	lora    string
}

func (s *modelSource) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&s.base, "base", "", "base model directory: config.json and model.safetensors (required)")
	f.StringVar(&s.adapter, "adapter", "", "PEFT LoRA adapter directory: adapter_config.json and adapter_model.safetensors")
	f.StringVar(&s.lora, "lora", loraFloat, "LoRA source with --adapter: float (reference) or quantized (exact-integer path, in process)")
	_ = cmd.MarkFlagRequired("base")
}

// check validates the flag combination.
func (s *modelSource) check(cmd *cobra.Command) error {
	if s.lora != loraFloat && s.lora != loraQuantized {
		return usageError{fmt.Errorf("--lora %q: want %s or %s", s.lora, loraFloat, loraQuantized)}
	}
	if s.adapter == "" && cmd.Flags().Changed("lora") {
		return usageError{errors.New("--lora needs --adapter")}
	}
	return nil
}

// mode names the LoRA source in use.
func (s *modelSource) mode() string {
	if s.adapter == "" {
		return "none"
	}
	return s.lora
}

// load reads the base model and, with --adapter, installs the LoRA hook.
func (s *modelSource) load() (*gpt2.Model, error) {
	m, err := gpt2.Load(s.base)
	if err != nil {
		return nil, err
	}
	if s.adapter == "" {
		return m, nil
	}
	ad, err := peft.Load(s.adapter, m.Config())
	if err != nil {
		return nil, err
	}
	if s.lora == loraFloat {
		return m.WithHook(lora.FloatHook(ad)), nil
	}
	qm, err := lora.QuantizeAdapter(ad)
	if err != nil {
		return nil, err
	}
	prov, err := lora.NewLocalIntProvider(qm)
	if err != nil {
		return nil, err
	}
	h, err := lora.QuantizedHook(lora.Points(ad), lora.ScalesOf(qm), prov, nil)
	if err != nil {
		return nil, err
	}
	return m.WithHook(h), nil
}

// encodeText tokenizes text and checks the ids fit the model's vocabulary.
func encodeText(text string, cfg gpt2.Config) ([]int, *tokenizer.Tokenizer, error) {
	tok, err := tokenizer.New()
	if err != nil {
		return nil, nil, err
	}
	ids, err := tok.Encode(text)
	if err != nil {
		return nil, nil, usageError{err}
	}
	for _, id := range ids {
		if id >= cfg.VocabSize {
			return nil, nil, fmt.Errorf("token id %d is outside this model's vocabulary of %d (is it a GPT-2 vocabulary?)", id, cfg.VocabSize)
		}
	}
	return ids, tok, nil
}

// writeJSON writes v indented.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

type modelLossOptions struct {
	src    modelSource
	text   string
	asJSON bool
}

func newCmdModelLoss() *cobra.Command {
	o := &modelLossOptions{}
	cmd := &cobra.Command{
		Use:   "loss --base DIR [--adapter DIR] [--lora float|quantized] --text STR",
		Short: "Mean next-token cross-entropy of a text",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return modelLossRun(cmd, o) },
	}
	o.src.flags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.text, "text", "", "text to score, at least 2 tokens (required)")
	f.BoolVar(&o.asJSON, "json", false, "print JSON: loss, tokens, perplexity, lora")
	_ = cmd.MarkFlagRequired("text")
	return cmd
}

func modelLossRun(cmd *cobra.Command, o *modelLossOptions) error {
	if err := o.src.check(cmd); err != nil {
		return err
	}
	m, err := o.src.load()
	if err != nil {
		return err
	}
	ids, _, err := encodeText(o.text, m.Config())
	if err != nil {
		return err
	}
	if len(ids) < 2 {
		return usageError{fmt.Errorf("--text has %d token(s); the loss needs at least 2", len(ids))}
	}
	if len(ids) > m.Config().NPositions {
		return usageError{fmt.Errorf("--text has %d tokens; the model takes at most %d", len(ids), m.Config().NPositions)}
	}
	loss, err := m.Loss(ids)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if o.asJSON {
		return writeJSON(out, map[string]any{"loss": loss, "tokens": len(ids), "perplexity": math.Exp(loss), "lora": o.src.mode()})
	}
	fmt.Fprintf(out, "loss %.6f  perplexity %.4f  tokens %d  lora %s\n", loss, math.Exp(loss), len(ids), o.src.mode())
	return nil
}

type modelPointsOptions struct {
	base    string
	adapter string
	asJSON  bool
}

func newCmdModelPoints() *cobra.Command {
	o := &modelPointsOptions{}
	cmd := &cobra.Command{
		Use:   "points --base DIR --adapter DIR",
		Short: "List the adapter's injection points (module, d, r, o, scaling) and their quantization",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return modelPointsRun(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.base, "base", "", "base model directory, for its config.json (required)")
	f.StringVar(&o.adapter, "adapter", "", "PEFT LoRA adapter directory (required)")
	f.BoolVar(&o.asJSON, "json", false, "print a JSON list")
	_ = cmd.MarkFlagRequired("base")
	_ = cmd.MarkFlagRequired("adapter")
	return cmd
}

// pointInfo is one line of model points.
type pointInfo struct {
	lora.Point
	ShiftA  int     `json:"shift_a"`
	ShiftB  int     `json:"shift_b"`
	MaxErrA float64 `json:"max_err_a"`
	MaxErrB float64 `json:"max_err_b"`
}

func modelPointsRun(cmd *cobra.Command, o *modelPointsOptions) error {
	cfg, err := gpt2.LoadConfig(filepath.Join(o.base, "config.json"))
	if err != nil {
		return err
	}
	ad, err := peft.Load(o.adapter, cfg)
	if err != nil {
		return err
	}
	qm, err := lora.QuantizeAdapter(ad)
	if err != nil {
		return err
	}
	var infos []pointInfo
	for _, p := range lora.Points(ad) {
		q := qm[p.Name]
		infos = append(infos, pointInfo{Point: p, ShiftA: q.ShiftA, ShiftB: q.ShiftB, MaxErrA: q.MaxErrA, MaxErrB: q.MaxErrB})
	}
	out := cmd.OutOrStdout()
	if o.asJSON {
		return writeJSON(out, infos)
	}
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODULE\tD\tR\tO\tSCALING\tSHIFT_A\tSHIFT_B\tMAX_ERR_A\tMAX_ERR_B")
	for _, p := range infos {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%g\t%d\t%d\t%.3g\t%.3g\n", p.Name, p.D, p.R, p.O, p.Scaling, p.ShiftA, p.ShiftB, p.MaxErrA, p.MaxErrB)
	}
	return tw.Flush()
}

type modelGenerateOptions struct {
	src    modelSource
	prompt string
	n      int
	asJSON bool
}

func newCmdModelGenerate() *cobra.Command {
	o := &modelGenerateOptions{}
	cmd := &cobra.Command{
		Use:   "generate --base DIR [--adapter DIR] [--lora float|quantized] --prompt STR -n N",
		Short: "Greedy generation of N tokens after a prompt",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return modelGenerateRun(cmd, o) },
	}
	o.src.flags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.prompt, "prompt", "", "prompt text, at least 1 token (required)")
	f.IntVarP(&o.n, "n", "n", 20, "number of tokens to generate")
	f.BoolVar(&o.asJSON, "json", false, "print JSON: text, completion, tokens, prompt_tokens, lora")
	_ = cmd.MarkFlagRequired("prompt")
	return cmd
}

func modelGenerateRun(cmd *cobra.Command, o *modelGenerateOptions) error {
	if err := o.src.check(cmd); err != nil {
		return err
	}
	if o.n < 0 {
		return usageError{fmt.Errorf("-n %d: want a count ≥ 0", o.n)}
	}
	m, err := o.src.load()
	if err != nil {
		return err
	}
	ids, tok, err := encodeText(o.prompt, m.Config())
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return usageError{errors.New("--prompt encodes to no tokens")}
	}
	if npos := m.Config().NPositions; len(ids) > npos || o.n > npos-len(ids) {
		return usageError{fmt.Errorf("%d prompt tokens plus -n %d exceed the model's %d positions", len(ids), o.n, npos)}
	}
	all, err := m.Generate(ids, o.n)
	if err != nil {
		return err
	}
	text, err := tok.Decode(all)
	if err != nil {
		return err
	}
	completion, err := tok.Decode(all[len(ids):])
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if o.asJSON {
		return writeJSON(out, map[string]any{"text": text, "completion": completion, "tokens": all, "prompt_tokens": len(ids), "lora": o.src.mode()})
	}
	fmt.Fprintln(out, text)
	return nil
}
