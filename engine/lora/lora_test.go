package lora

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/zklora/zklora/engine/gpt2"
	"github.com/zklora/zklora/engine/peft"
)

// tinyCfg is a 2-layer GPT-2 config for in-memory adapters.
func tinyCfg() gpt2.Config {
	return gpt2.Config{VocabSize: 50, NPositions: 16, NEmbd: 16, NLayer: 2, NHead: 2, NInner: 64, LayerNormEpsilon: 1e-5, Activation: gpt2.ActGELUNew}
}

// randomAdapter builds an adapter on c_attn and mlp.c_fc of cfg with rank r
// and Gaussian factors (lora_B scaled by bScale).
func randomAdapter(t testing.TB, cfg gpt2.Config, r int, bScale float64, seed uint64) *peft.Adapter {
	t.Helper()
	pc, err := peft.ParseConfig([]byte(fmt.Sprintf(`{"peft_type": "LORA", "r": %d, "lora_alpha": %d, "target_modules": ["c_attn", "c_fc"]}`, r, 2*r)))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	tensors := map[string]peft.Tensor{}
	for l := range cfg.NLayer {
		for _, j := range []int{0, 2} {
			d, o := cfg.ModuleShape(j)
			name := "base_model.model." + gpt2.ModuleName(l, j)
			a := make([]float32, r*d)
			for i := range a {
				a[i] = float32(rng.NormFloat64() / math.Sqrt(float64(d)))
			}
			b := make([]float32, o*r)
			for i := range b {
				b[i] = float32(rng.NormFloat64() * bScale)
			}
			tensors[name+".lora_A.weight"] = peft.Tensor{Shape: []int{r, d}, Data: a}
			tensors[name+".lora_B.weight"] = peft.Tensor{Shape: []int{o, r}, Data: b}
		}
	}
	ad, err := peft.FromTensors(pc, cfg, tensors)
	if err != nil {
		t.Fatal(err)
	}
	return ad
}

func randRows(rng *rand.Rand, n int, scale float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64() * scale)
	}
	return v
}

func TestPointsForwardOrder(t *testing.T) {
	ad := randomAdapter(t, tinyCfg(), 4, 0.1, 1)
	var names []string
	for _, p := range Points(ad) {
		names = append(names, p.Name)
		if p.R != 4 || p.Scaling != 2 {
			t.Fatalf("point %+v", p)
		}
	}
	want := []string{"transformer.h.0.attn.c_attn", "transformer.h.0.mlp.c_fc", "transformer.h.1.attn.c_attn", "transformer.h.1.mlp.c_fc"}
	if !slices.Equal(names, want) {
		t.Fatalf("points %v, want %v", names, want)
	}
	qm, err := QuantizeAdapter(ad)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(QuantizedPoints(qm), Points(ad)) {
		t.Fatal("QuantizedPoints differs from Points")
	}
	unsorted := []string{"transformer.h.10.mlp.c_proj", "transformer.h.2.mlp.c_fc", "zzz", "transformer.h.2.attn.c_proj"}
	slices.SortFunc(unsorted, compareForward)
	if !slices.Equal(unsorted, []string{"transformer.h.2.attn.c_proj", "transformer.h.2.mlp.c_fc", "transformer.h.10.mlp.c_proj", "zzz"}) {
		t.Fatalf("compareForward order %v", unsorted)
	}
}

func TestQuantizeAdapterLayout(t *testing.T) {
	ad := randomAdapter(t, tinyCfg(), 4, 0.1, 2)
	qm, err := QuantizeAdapter(ad)
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range ad.Modules {
		q := qm[name]
		for i := range m.D {
			for j := range m.R {
				got := math.Ldexp(float64(q.A[i*m.R+j]), -q.ShiftA)
				if e := math.Abs(got - float64(m.A[j*m.D+i])); e > math.Ldexp(1, -q.ShiftA-1) {
					t.Fatalf("%s A[%d,%d]: %g vs lora_A[%d,%d]=%g", name, i, j, got, j, i, m.A[j*m.D+i])
				}
			}
		}
		for j := range m.R {
			for k := range m.O {
				got := math.Ldexp(float64(q.B[j*m.O+k]), -q.ShiftB)
				if e := math.Abs(got - float64(m.B[k*m.R+j])); e > math.Ldexp(1, -q.ShiftB-1) {
					t.Fatalf("%s B[%d,%d] wrong", name, j, k)
				}
			}
		}
		if q.MaxErrA > math.Ldexp(1, -q.ShiftA-1) || q.MaxErrB > math.Ldexp(1, -q.ShiftB-1) {
			t.Fatalf("%s: errors %g %g above bound", name, q.MaxErrA, q.MaxErrB)
		}
	}
}

// runHook applies h to a fresh copy of y for module name.
func runHook(t *testing.T, h gpt2.LinearHook, name string, x, y []float32, T, d, o int) []float32 {
	t.Helper()
	out := slices.Clone(y)
	if err := h(name, x, out, T, d, o); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestQuantizedCloseToFloat(t *testing.T) {
	cfg := tinyCfg()
	ad := randomAdapter(t, cfg, 4, 0.2, 3)
	qm, err := QuantizeAdapter(ad)
	if err != nil {
		t.Fatal(err)
	}
	prov, err := NewLocalIntProvider(qm)
	if err != nil {
		t.Fatal(err)
	}
	hq, err := QuantizedHook(Points(ad), ScalesOf(qm), prov, nil)
	if err != nil {
		t.Fatal(err)
	}
	hf := FloatHook(ad)
	rng := rand.New(rand.NewPCG(9, 9))
	for _, p := range Points(ad) {
		T := 5
		x := randRows(rng, T*p.D, 1)
		y := randRows(rng, T*p.O, 1)
		fy := runHook(t, hf, p.Name, x, y, T, p.D, p.O)
		qy := runHook(t, hq, p.Name, x, y, T, p.D, p.O)
		var num, den float64
		for i := range y {
			df, dq := float64(fy[i]-y[i]), float64(qy[i]-y[i])
			num += (df - dq) * (df - dq)
			den += df * df
		}
		if den == 0 {
			t.Fatalf("%s: float delta is zero", p.Name)
		}
		rel := math.Sqrt(num / den)
		t.Logf("%s: relative delta error %.3g", p.Name, rel)
		if rel > 1e-3 {
			t.Fatalf("%s: quantized delta differs from float by %g relative", p.Name, rel)
		}
	}
	// Unknown modules pass through untouched.
	y := []float32{1, 2}
	if got := runHook(t, hq, "transformer.h.0.attn.c_proj", []float32{3, 4}, y, 1, 2, 2); !slices.Equal(got, y) {
		t.Fatal("hook modified an untargeted module")
	}
}

// copyProvider round-trips every request and answer through fresh copies,
// as a network transport would.
type copyProvider struct{ inner IntProvider }

func (c copyProvider) Forward(ctx context.Context, module string, call uint32, rows int, X []int16) ([]int64, error) {
	Z, err := c.inner.Forward(ctx, module, call, rows, slices.Clone(X))
	return slices.Clone(Z), err
}

// recorded is one Recorder entry.
type recorded struct {
	module string
	call   uint32
	rows   int
	X      []int16
	Z      []int64
	sX     int
}

func TestProviderRoundTripRecorderAndCounters(t *testing.T) {
	cfg := tinyCfg()
	ad := randomAdapter(t, cfg, 4, 0.2, 4)
	qm, _ := QuantizeAdapter(ad)
	local, err := NewLocalIntProvider(qm)
	if err != nil {
		t.Fatal(err)
	}
	var log []recorded
	rec := RecorderFunc(func(m string, c uint32, rows int, X []int16, Z []int64, sX int) error {
		log = append(log, recorded{m, c, rows, X, Z, sX})
		return nil
	})
	qa, _ := NewQuantized(Points(ad), ScalesOf(qm), local, rec)
	qb, _ := NewQuantized(Points(ad), ScalesOf(qm), copyProvider{local}, nil)
	rng := rand.New(rand.NewPCG(5, 5))
	p := Points(ad)[1]
	for call := range 3 {
		T := 1 + call
		x := randRows(rng, T*p.D, 0.5)
		y := randRows(rng, T*p.O, 1)
		a := runHook(t, qa.Hook(), p.Name, x, y, T, p.D, p.O)
		b := runHook(t, qb.Hook(), p.Name, x, y, T, p.D, p.O)
		if !slices.Equal(a, b) {
			t.Fatalf("call %d: local and round-tripped providers differ", call)
		}
	}
	if got := qa.Calls()[p.Name]; got != 3 {
		t.Fatalf("call counter %d, want 3", got)
	}
	if len(log) != 3 {
		t.Fatalf("%d recorded exchanges, want 3", len(log))
	}
	for i, r := range log {
		if r.module != p.Name || r.call != uint32(i) || r.rows != i+1 || len(r.X) != r.rows*p.D || len(r.Z) != r.rows*p.O {
			t.Fatalf("record %d: %s call %d rows %d |X| %d |Z| %d", i, r.module, r.call, r.rows, len(r.X), len(r.Z))
		}
		Z, _ := local.Forward(context.Background(), p.Name, r.call, r.rows, r.X)
		if !slices.Equal(Z, r.Z) {
			t.Fatalf("record %d: Z is not X·A·B", i)
		}
	}
}

// lyingProvider answers with a wrong length or a tampered output.
type lyingProvider struct {
	*LocalIntProvider
	short, tamper bool
}

func (l lyingProvider) Forward(ctx context.Context, module string, call uint32, rows int, X []int16) ([]int64, error) {
	Z, err := l.LocalIntProvider.Forward(ctx, module, call, rows, X)
	if l.short && err == nil {
		Z = Z[:len(Z)-1]
	}
	return Z, err
}

func (l lyingProvider) ForwardOutput(ctx context.Context, module string, call uint32, rows int, X []int16, sX int, base []float32) ([]float32, []int64, error) {
	out, Z, err := l.LocalIntProvider.ForwardOutput(ctx, module, call, rows, X, sX, base)
	if l.tamper && err == nil {
		out[len(out)/2] = math.Nextafter32(out[len(out)/2], 10)
	}
	return out, Z, err
}

func TestReplaceModeAndLyingProviders(t *testing.T) {
	cfg := tinyCfg()
	ad := randomAdapter(t, cfg, 4, 0.2, 6)
	qm, _ := QuantizeAdapter(ad)
	local, _ := NewLocalIntProvider(qm)
	add, _ := QuantizedHook(Points(ad), ScalesOf(qm), local, nil)
	rep, err := QuantizedHook(Points(ad), ScalesOf(qm), local, nil, WithMode(CombineReplace))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(6, 6))
	p := Points(ad)[0]
	x := randRows(rng, 3*p.D, 1)
	y := randRows(rng, 3*p.O, 1)
	if !slices.Equal(runHook(t, add, p.Name, x, y, 3, p.D, p.O), runHook(t, rep, p.Name, x, y, 3, p.D, p.O)) {
		t.Fatal("replace and add_delta differ")
	}
	if _, err := QuantizedHook(Points(ad), ScalesOf(qm), copyProvider{local}, nil, WithMode(CombineReplace)); err == nil {
		t.Fatal("replace accepted a provider without ForwardOutput")
	}
	for _, c := range []struct {
		prov lyingProvider
		mode CombineMode
		want string
	}{
		{lyingProvider{local, true, false}, CombineAddDelta, "answered"},
		{lyingProvider{local, false, true}, CombineReplace, "exact answer"},
	} {
		h, err := QuantizedHook(Points(ad), ScalesOf(qm), c.prov, nil, WithMode(c.mode))
		if err != nil {
			t.Fatal(err)
		}
		err = h(p.Name, x, slices.Clone(y), 3, p.D, p.O)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("%v: error %v, want %q", c.mode, err, c.want)
		}
	}
}

func TestHookErrors(t *testing.T) {
	cfg := tinyCfg()
	ad := randomAdapter(t, cfg, 4, 0.2, 7)
	qm, _ := QuantizeAdapter(ad)
	local, _ := NewLocalIntProvider(qm)
	p := Points(ad)[0]
	hq, _ := QuantizedHook(Points(ad), ScalesOf(qm), local, nil)
	for _, h := range []gpt2.LinearHook{hq, FloatHook(ad)} {
		if err := h(p.Name, make([]float32, p.D), make([]float32, p.O), 1, p.D+1, p.O); err == nil {
			t.Fatal("wrong d accepted")
		}
		if err := h(p.Name, make([]float32, p.D), make([]float32, p.O-1), 1, p.D, p.O); err == nil {
			t.Fatal("short y accepted")
		}
	}
	x := make([]float32, p.D)
	x[0] = float32(math.Inf(1))
	if err := hq(p.Name, x, make([]float32, p.O), 1, p.D, p.O); err == nil {
		t.Fatal("infinite input accepted")
	}
	if _, err := QuantizedHook(Points(ad), map[string]Scales{}, local, nil); err == nil {
		t.Fatal("missing scales accepted")
	}
	if _, err := QuantizedHook(Points(ad), ScalesOf(qm), nil, nil); err == nil {
		t.Fatal("nil provider accepted")
	}
	if _, err := local.Forward(context.Background(), "nope", 0, 1, make([]int16, p.D)); err == nil {
		t.Fatal("unknown module accepted")
	}
	if _, err := local.Forward(context.Background(), p.Name, 0, 2, make([]int16, p.D)); err == nil {
		t.Fatal("wrong row count accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	hc, _ := QuantizedHook(Points(ad), ScalesOf(qm), local, nil, WithContext(ctx))
	if err := hc(p.Name, make([]float32, p.D), make([]float32, p.O), 1, p.D, p.O); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %v", err)
	}
	bad := map[string]*QuantizedModule{p.Name: {Point: p, A: make([]int16, 3)}}
	if _, err := NewLocalIntProvider(bad); err == nil {
		t.Fatal("short A accepted")
	}
}

func TestFloatHookMatchesDefinition(t *testing.T) {
	// One module by hand: y += s·(x·lora_Aᵀ)·lora_Bᵀ.
	cfg := tinyCfg()
	ad := randomAdapter(t, cfg, 2, 0.3, 8)
	p := Points(ad)[0]
	m := ad.Modules[p.Name]
	rng := rand.New(rand.NewPCG(8, 8))
	x := randRows(rng, 2*p.D, 1)
	y := randRows(rng, 2*p.O, 1)
	got := runHook(t, FloatHook(ad), p.Name, x, y, 2, p.D, p.O)
	for tt := range 2 {
		for k := range p.O {
			want := float64(y[tt*p.O+k])
			for j := range p.R {
				xa := 0.0
				for i := range p.D {
					xa += float64(x[tt*p.D+i]) * float64(m.A[j*p.D+i])
				}
				want += m.Scaling * xa * float64(m.B[k*p.R+j])
			}
			if math.Abs(float64(got[tt*p.O+k])-want) > 1e-5*(1+math.Abs(want)) {
				t.Fatalf("row %d col %d: %g, want %g", tt, k, got[tt*p.O+k], want)
			}
		}
	}
}
