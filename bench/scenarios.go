package bench

import (
	"fmt"
	"slices"
	"time"

	"github.com/zklora/zklora/circuits"
)

// Module is one LoRA module shape of a real model.
type Module struct {
	Model  string
	Module string
	Shape  circuits.Shape
}

// Params is the number of LoRA weights of the module (d·r + r·o).
func (m Module) Params() int { return m.Shape.D*m.Shape.R + m.Shape.R*m.Shape.O }

// Scenarios is one scenario table: what each suite runs.
type Scenarios struct {
	Name    string
	MSMLogN []int // MSM sizes 2^k
	NTTLogN []int // NTT sizes 2^k
	// GPULogNMax, where above the largest MSM and NTT size, extends both
	// up to 2^GPULogNMax on the gpu backend.
	GPULogNMax int
	Modules    []Module // shapes for matmul and prove
	Tokens     []int    // token counts T for matmul and the statement
	// HeadlineTokens are the token counts of the session prove rows of
	// Modules[0], the headline shape in the quick and full tables (every
	// other module is proven at Tokens[0]): the session circuit does not
	// grow with T, only the statement does.
	HeadlineTokens []int
	NaiveT         int // T of the naive baseline (0: none)
	NaiveShape     *circuits.Shape
	// NaiveDummyKey proves the naive baseline under gnark's DummySetup
	// key (prove time only; the proof does not verify) to save the
	// setup time.
	NaiveDummyKey bool
	// NaivePairs is how many alternating naive/session proof pairs the
	// baseline runs, at most, stopping after NaiveBudget.
	NaivePairs  int
	NaiveBudget time.Duration
	VerifyN     []int // batch sizes for the verify suite
	E2EModules  int
	E2ETokens   int
	// MaxProveParams skips prove rows of modules with more weights.
	MaxProveParams int
}

// Headline is the shape of the headline figures: distilgpt2's attn.c_attn
// at rank 8, the shape of DESIGN §8 and ANCHORS.
func Headline() circuits.Shape { return circuits.Shape{D: 768, R: 8, O: 2304} }

func shape(d, r, o int) circuits.Shape { return circuits.Shape{D: d, R: r, O: o} }

// AllModules lists the module shapes of the issue, smallest model first.
func AllModules() []Module {
	var out []Module
	for _, r := range []int{8, 16} {
		out = append(out,
			Module{"distilgpt2", "attn.c_attn", shape(768, r, 2304)},
			Module{"distilgpt2", "attn.c_proj", shape(768, r, 768)},
			Module{"distilgpt2", "mlp.c_fc", shape(768, r, 3072)},
			Module{"distilgpt2", "mlp.c_proj", shape(3072, r, 768)},
		)
	}
	return append(out,
		Module{"gpt2-medium", "attn.c_attn", shape(1024, 16, 3072)},
		Module{"Llama-3-8B", "q_proj", shape(4096, 16, 4096)},
		Module{"Llama-3.3-70B", "q_proj", shape(8192, 16, 8192)},
	)
}

func span(lo, hi int) []int {
	var out []int
	for k := lo; k <= hi; k++ {
		out = append(out, k)
	}
	return out
}

// Full is the complete table: MSM and NTT from 2^10 to 2^22, every
// module shape, T = 16, 256, 4096.
func Full() Scenarios {
	h := Headline()
	return Scenarios{
		Name: "full", MSMLogN: span(10, 22), NTTLogN: span(10, 22), GPULogNMax: 26,
		Modules: AllModules(), Tokens: []int{16, 256, 4096}, HeadlineTokens: []int{16, 256, 4096},
		NaiveT: 16, NaiveShape: &h, NaivePairs: 5, NaiveBudget: 2 * time.Minute,
		VerifyN:    []int{8, 24},
		E2EModules: 24, E2ETokens: 256,
		MaxProveParams: 1 << 30,
	}
}

// Quick is the --quick table: small kernels, the headline shape only, and
// the naive baseline under a dummy key. It finishes in under two minutes
// on a 2-core machine.
func Quick() Scenarios {
	h := Headline()
	return Scenarios{
		Name: "quick", MSMLogN: span(10, 16), NTTLogN: span(10, 16),
		Modules: []Module{{"distilgpt2", "attn.c_attn", h}}, Tokens: []int{16, 256}, HeadlineTokens: []int{16},
		NaiveT: 16, NaiveShape: &h, NaiveDummyKey: true, NaivePairs: 3, NaiveBudget: 25 * time.Second,
		VerifyN:    []int{4},
		E2EModules: 2, E2ETokens: 16,
		MaxProveParams: 1 << 30,
	}
}

// Smoke is a tiny table for tests: every suite runs, in seconds.
func Smoke() Scenarios {
	s := shape(16, 2, 32)
	return Scenarios{
		Name: "smoke", MSMLogN: []int{8, 10}, NTTLogN: []int{8, 10},
		Modules: []Module{{"tiny", "test", s}, {"tiny", "test2", shape(32, 2, 16)}}, Tokens: []int{4}, HeadlineTokens: []int{4, 8},
		NaiveT: 4, NaiveShape: &s, NaivePairs: 2, NaiveBudget: time.Minute,
		VerifyN:    []int{3},
		E2EModules: 2, E2ETokens: 4,
		MaxProveParams: 1 << 30,
	}
}

// ScenariosByName returns the table called name (smoke, quick, full).
func ScenariosByName(name string) (Scenarios, error) {
	switch name {
	case "smoke":
		return Smoke(), nil
	case "quick":
		return Quick(), nil
	case "full":
		return Full(), nil
	}
	return Scenarios{}, fmt.Errorf("unknown scenario table %q (want smoke, quick or full)", name)
}

// kernelSizes returns the sizes 2^k of a kernel suite on backend: logN,
// extended up to GPULogNMax on the gpu backend.
func (sc Scenarios) kernelSizes(backend string, logN []int) []int {
	out := slices.Clone(logN)
	if backend != GPU || len(out) == 0 {
		return out
	}
	for k := slices.Max(out) + 1; k <= sc.GPULogNMax; k++ {
		out = append(out, k)
	}
	return out
}
