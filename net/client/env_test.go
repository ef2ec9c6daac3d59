package client_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/zklora/zklora/engine/gpt2"
	"github.com/zklora/zklora/engine/gpt2/gpt2test"
	"github.com/zklora/zklora/engine/lora"
	"github.com/zklora/zklora/engine/peft"
	"github.com/zklora/zklora/engine/prover"
	"github.com/zklora/zklora/engine/session"
	"github.com/zklora/zklora/net/client"
	"github.com/zklora/zklora/net/contributor"
	"github.com/zklora/zklora/net/identity"
	"github.com/zklora/zklora/net/server"
)

// The tiny fixture, in memory: GPT-2's full vocabulary, n_embd 32, 2
// layers, 4 heads, n_inner 37, and an r=4 adapter on attn.c_attn and
// attn.c_proj with nonzero B.
func tinyConfig() gpt2.Config {
	return gpt2.Config{VocabSize: 50257, NPositions: 64, NEmbd: 32, NLayer: 2, NHead: 4, NInner: 37, LayerNormEpsilon: 1e-5, Activation: gpt2.ActGELUNew}
}

func tinyModel(t testing.TB, seed uint64) *gpt2.Model {
	t.Helper()
	return gpt2test.RandomModel(t, tinyConfig(), seed)
}

func tinyAdapter(t testing.TB, seed uint64) *peft.Adapter {
	t.Helper()
	pc, err := peft.ParseConfig([]byte(`{"peft_type": "LORA", "r": 4, "lora_alpha": 8, "target_modules": ["c_attn", "attn.c_proj"]}`))
	if err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig()
	rng := rand.New(rand.NewPCG(seed, 12))
	rnd := func(n int, scale float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * scale)
		}
		return v
	}
	ts := map[string]peft.Tensor{}
	for l := range cfg.NLayer {
		for j, mod := range []string{"attn.c_attn", "attn.c_proj"} {
			d, o := cfg.ModuleShape(j)
			p := "base_model.model.transformer.h." + strconv.Itoa(l) + "." + mod
			ts[p+".lora_A.weight"] = peft.Tensor{Shape: []int{4, d}, Data: rnd(4*d, 0.2)}
			ts[p+".lora_B.weight"] = peft.Tensor{Shape: []int{o, 4}, Data: rnd(o*4, 0.2)}
		}
	}
	ad, err := peft.FromTensors(pc, cfg, ts)
	if err != nil {
		t.Fatal(err)
	}
	return ad
}

// sharedKeys is one dev key store for the package's tests (keys of the
// tiny shapes are made once).
var sharedKeys struct {
	once sync.Once
	dir  string
	ks   session.KeySource
	err  error
}

func devKeys(t testing.TB) session.KeySource {
	t.Helper()
	sharedKeys.once.Do(func() {
		sharedKeys.dir, sharedKeys.err = os.MkdirTemp("", "zklora-client-keys-")
		if sharedKeys.err != nil {
			return
		}
		var st *prover.Store
		if st, sharedKeys.err = prover.OpenStore(sharedKeys.dir); sharedKeys.err == nil {
			sharedKeys.ks = contributor.DevKeys(st)
		}
	})
	if sharedKeys.err != nil {
		t.Fatal(sharedKeys.err)
	}
	return sharedKeys.ks
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedKeys.dir != "" {
		os.RemoveAll(sharedKeys.dir)
	}
	os.Exit(code)
}

// env is party A serving the tiny adapter on loopback.
type env struct {
	t       testing.TB
	model   *gpt2.Model
	ad      *peft.Adapter
	qm      map[string]*lora.QuantizedModule
	adapter *contributor.Adapter
	cfg     server.Config
	srv     *server.LoRAServer
}

func newEnv(t testing.TB, mutate func(e *env)) *env {
	t.Helper()
	e := &env{t: t, model: tinyModel(t, 1), ad: tinyAdapter(t, 2)}
	var err error
	if e.qm, err = lora.QuantizeAdapter(e.ad); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if e.adapter, err = contributor.FromQuantized(e.qm, devKeys(t), out); err != nil {
		t.Fatal(err)
	}
	id, err := identity.New()
	if err != nil {
		t.Fatal(err)
	}
	e.cfg = server.Config{Identity: id, Modules: e.adapter.Modules, OutDir: out,
		Prove: e.adapter.ProveFunc(session.ProveOptions{Workers: 1})}
	if mutate != nil {
		mutate(e)
	}
	e.start()
	return e
}

func (e *env) start() {
	e.t.Helper()
	srv, err := server.New(e.cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		e.t.Fatal(err)
	}
	e.srv = srv
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
}

// newB connects a base-model client pinned to A.
func (e *env) newB(t testing.TB, combine string) *client.BaseModelClient {
	t.Helper()
	c, err := client.Dial(context.Background(), e.srv.Addr().String(), client.Options{Pin: e.srv.Fingerprint(), CallTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	b := client.NewBaseModelClient(c, e.model, nil)
	if err := b.InitAndPatch(context.Background(), combine); err != nil {
		t.Fatal(err)
	}
	return b
}

// localLoss is the loss with the quantized adapter computed in process.
func (e *env) localLoss(t testing.TB, text string, mode lora.CombineMode) float64 {
	t.Helper()
	prov, err := lora.NewLocalIntProvider(e.qm)
	if err != nil {
		t.Fatal(err)
	}
	h, err := lora.QuantizedHook(lora.QuantizedPoints(e.qm), lora.ScalesOf(e.qm), prov, nil, lora.WithMode(mode))
	if err != nil {
		t.Fatal(err)
	}
	ids := encode(t, text)
	loss, err := e.model.WithHook(h).Loss(ids)
	if err != nil {
		t.Fatal(err)
	}
	return loss
}

// finish ends B's session, waits for the proof, fetches and verifies.
func finish(t testing.TB, b *client.BaseModelClient) (*session.Report, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := b.EndInference(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitProof(ctx, 20*time.Millisecond, nil); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "artifacts")
	if err := b.FetchArtifacts(ctx, dir); err != nil {
		t.Fatal(err)
	}
	rep, err := b.Verify(dir, session.VerifyOptions{AllowDevKeys: true})
	if err != nil {
		t.Fatal(err)
	}
	return rep, dir
}
