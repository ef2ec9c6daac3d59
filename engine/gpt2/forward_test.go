package gpt2

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func tinyModel(t *testing.T, cfg Config, seed uint64) (*Model, map[string]Tensor) {
	t.Helper()
	ts := randomTensors(cfg, seed)
	m, err := New(cfg, ts)
	if err != nil {
		t.Fatal(err)
	}
	return m, ts
}

func TestLogitsAndLossMatchReference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		T    int
	}{
		{"gelu_new", func(*Config) {}, 13},
		{"full context", func(*Config) {}, 24},
		{"two tokens", func(*Config) {}, 2},
		{"exact gelu", func(c *Config) { c.Activation = ActGELU }, 9},
		{"inverse layer scaling", func(c *Config) { c.ScaleAttnByInverseLayerIdx = true; c.NLayer = 3 }, 11},
		{"one head, eps 1e-3", func(c *Config) { c.NHead = 1; c.LayerNormEpsilon = 1e-3 }, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinyConfig()
			tc.mod(&cfg)
			m, ts := tinyModel(t, cfg, 11)
			ref := newRef(cfg, ts)
			toks := randomTokens(r, tc.T, cfg.VocabSize)
			lg, err := m.Logits(toks)
			if err != nil {
				t.Fatal(err)
			}
			if len(lg) != tc.T*cfg.VocabSize {
				t.Fatalf("len(logits) = %d, want %d", len(lg), tc.T*cfg.VocabSize)
			}
			if d := maxRelDiff(lg, ref.logits(toks, nil)); d > 1e-5 {
				t.Errorf("logits differ from the reference: max rel diff %g", d)
			}
			got, err := m.Loss(toks)
			if err != nil {
				t.Fatal(err)
			}
			want := ref.loss(toks)
			if math.Abs(got-want) > 1e-5 || math.IsNaN(got) {
				t.Errorf("Loss = %.9f, reference %.9f", got, want)
			}
		})
	}
}

func TestHookOrderShapesAndEffect(t *testing.T) {
	cfg := tinyConfig()
	m, ts := tinyModel(t, cfg, 3)
	toks := []int{1, 5, 9, 2, 52, 0}
	T := len(toks)
	base, err := m.Logits(toks)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	h := func(name string, x, y []float32, tt, d, o int) error {
		seen = append(seen, name)
		var j int
		for j = range blockModules {
			if strings.HasSuffix(name, blockModules[j]) {
				break
			}
		}
		wd, wo := cfg.ModuleShape(j)
		if tt != T || d != wd || o != wo || len(x) != T*d || len(y) != T*o || cap(x) != len(x) || cap(y) != len(y) {
			t.Errorf("%s: T=%d d=%d o=%d len(x)=%d len(y)=%d, want T=%d d=%d o=%d", name, tt, d, o, len(x), len(y), T, wd, wo)
		}
		return nil
	}
	hooked := m.WithHook(h)
	lg, err := hooked.Logits(toks)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seen, ModuleNames(cfg)) {
		t.Errorf("hook saw %v, want %v", seen, ModuleNames(cfg))
	}
	if !slices.Equal(lg, base) {
		t.Error("an observing hook changed the logits")
	}
	if m.hook != nil {
		t.Error("WithHook modified the original model")
	}

	// A hook adding a delta to one module (x·D for a fixed D, like a LoRA)
	// must change the logits exactly as the reference says.
	const target = "transformer.h.1.mlp.c_fc"
	d, o := cfg.ModuleShape(2)
	r := rand.New(rand.NewPCG(9, 9))
	delta := make([]float64, d*o)
	for i := range delta {
		delta[i] = 0.1 * r.NormFloat64()
	}
	m.SetHook(func(name string, x, y []float32, tt, d, o int) error {
		if name != target {
			return nil
		}
		for t := 0; t < tt; t++ {
			for j := 0; j < o; j++ {
				var s float64
				for i := 0; i < d; i++ {
					s += float64(x[t*d+i]) * delta[i*o+j]
				}
				y[t*o+j] += float32(s)
			}
		}
		return nil
	})
	lg, err = m.Logits(toks)
	if err != nil {
		t.Fatal(err)
	}
	want := newRef(cfg, ts).logits(toks, func(name string, x, y [][]float64) {
		if name != target {
			return
		}
		for t := range y {
			for j := range y[t] {
				for i := range x[t] {
					y[t][j] += x[t][i] * delta[i*o+j]
				}
			}
		}
	})
	if dd := maxRelDiff(lg, want); dd > 1e-5 {
		t.Errorf("hooked logits differ from the hooked reference by %g", dd)
	}
	if maxRelDiff(base, want) < 1e-3 {
		t.Error("the delta hook did not change the logits")
	}

	sentinel := errors.New("refused")
	m.SetHook(func(name string, _, _ []float32, _, _, _ int) error {
		if name == "transformer.h.0.attn.c_proj" {
			return sentinel
		}
		return nil
	})
	if _, err := m.Logits(toks); !errors.Is(err, sentinel) || !strings.Contains(err.Error(), "transformer.h.0.attn.c_proj") {
		t.Errorf("hook error: got %v", err)
	}
	m.SetHook(nil)
	if lg, _ := m.Logits(toks); !slices.Equal(lg, base) {
		t.Error("SetHook(nil) did not restore the base model")
	}
}

func TestGenerateMatchesFullForward(t *testing.T) {
	cfg := tinyConfig()
	m, _ := tinyModel(t, cfg, 5)
	prompt := []int{3, 14, 15, 9}
	const n = 10
	var calls []int
	hooked := m.WithHook(func(name string, _, _ []float32, T, _, _ int) error {
		if name == "transformer.h.0.attn.c_attn" {
			calls = append(calls, T)
		}
		return nil
	})
	got, err := hooked.Generate(prompt, n)
	if err != nil {
		t.Fatal(err)
	}
	// Without a cache: re-run the whole sequence for every new token.
	want := slices.Clone(prompt)
	for i := 0; i < n; i++ {
		lg, err := m.Logits(want)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, argmax(lg[(len(want)-1)*cfg.VocabSize:]))
	}
	if !slices.Equal(got, want) {
		t.Errorf("Generate = %v, want %v", got, want)
	}
	wantCalls := []int{len(prompt)}
	for i := 1; i < n; i++ {
		wantCalls = append(wantCalls, 1)
	}
	if !slices.Equal(calls, wantCalls) {
		t.Errorf("hook row counts %v, want %v", calls, wantCalls)
	}
	if g, err := m.Generate(prompt, 0); err != nil || !slices.Equal(g, prompt) {
		t.Errorf("Generate(n=0) = %v, %v", g, err)
	}
	if _, err := m.Generate(prompt, cfg.NPositions-len(prompt)+1); err == nil {
		t.Error("Generate past n_positions: no error")
	}
	if _, err := m.Generate(prompt, -1); err == nil {
		t.Error("Generate(n=-1): no error")
	}
	if g, err := m.Generate(prompt, cfg.NPositions-len(prompt)); err != nil || len(g) != cfg.NPositions {
		t.Errorf("Generate to n_positions: len %d, %v", len(g), err)
	}
}

func TestBadTokens(t *testing.T) {
	cfg := tinyConfig()
	m, _ := tinyModel(t, cfg, 1)
	long := make([]int, cfg.NPositions+1)
	for _, toks := range [][]int{nil, {}, {-1}, {0, cfg.VocabSize}, long} {
		if _, err := m.Logits(toks); err == nil {
			t.Errorf("Logits(%v): no error", toks)
		}
		if _, err := m.Loss(toks); err == nil {
			t.Errorf("Loss(%v): no error", toks)
		}
		if _, err := m.Generate(toks, 1); err == nil {
			t.Errorf("Generate(%v): no error", toks)
		}
	}
	if _, err := m.Loss([]int{1}); err == nil {
		t.Error("Loss of one token: no error")
	}
	if _, err := m.Logits(long[:cfg.NPositions]); err != nil {
		t.Errorf("Logits at n_positions: %v", err)
	}
}

func TestConcurrentForwards(t *testing.T) {
	cfg := tinyConfig()
	m, _ := tinyModel(t, cfg, 2)
	toks := []int{4, 8, 15, 16, 23, 42}
	want, err := m.Logits(toks)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 8)
	for range 8 {
		go func() {
			got, err := m.Logits(toks)
			if err == nil && !slices.Equal(got, want) {
				err = errors.New("concurrent logits differ")
			}
			errc <- err
		}()
	}
	for range 8 {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
}

func TestModuleNames(t *testing.T) {
	names := ModuleNames(Config{NLayer: 2})
	want := []string{
		"transformer.h.0.attn.c_attn", "transformer.h.0.attn.c_proj", "transformer.h.0.mlp.c_fc", "transformer.h.0.mlp.c_proj",
		"transformer.h.1.attn.c_attn", "transformer.h.1.attn.c_proj", "transformer.h.1.mlp.c_fc", "transformer.h.1.mlp.c_proj",
	}
	if !slices.Equal(names, want) {
		t.Errorf("ModuleNames = %v", names)
	}
	if ModuleNames(Config{}) != nil {
		t.Error("ModuleNames of an empty config should be nil")
	}
}
