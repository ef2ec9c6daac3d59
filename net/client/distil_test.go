package client_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zklora/zklora/engine/gpt2"
	"github.com/zklora/zklora/engine/lora"
	"github.com/zklora/zklora/engine/peft"
	"github.com/zklora/zklora/engine/prover"
	"github.com/zklora/zklora/engine/session"
	"github.com/zklora/zklora/net/client"
	"github.com/zklora/zklora/net/contributor"
	"github.com/zklora/zklora/net/server"
	"github.com/zklora/zklora/net/wire"
)

// TestDistilgpt2Session times a whole session at distilgpt2's shapes
// (random weights, r=8 on all four Conv1D modules of the 6 layers: 24
// modules) over loopback. It is a measurement, not a unit test: it runs
// only with ZKLORA_DISTIL=1 (keys are cached in $ZKLORA_DISTIL_KEYS if set).
func TestDistilgpt2Session(t *testing.T) {
	if os.Getenv("ZKLORA_DISTIL") != "1" {
		t.Skip("set ZKLORA_DISTIL=1 to run")
	}
	cfg := gpt2.Config{VocabSize: 50257, NPositions: 1024, NEmbd: 768, NLayer: 6, NHead: 12, NInner: 3072, LayerNormEpsilon: 1e-5, Activation: gpt2.ActGELUNew}
	rng := rand.New(rand.NewPCG(1, 1))
	gauss := func(scale float64, shape ...int) []float32 {
		n := 1
		for _, s := range shape {
			n *= s
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * scale)
		}
		return v
	}
	fill := func(x float32, n int) gpt2.Tensor {
		v := make([]float32, n)
		for i := range v {
			v[i] = x
		}
		return gpt2.Tensor{Shape: []int{n}, Data: v}
	}
	n, in := cfg.NEmbd, cfg.NInner
	ts := map[string]gpt2.Tensor{
		"transformer.wte.weight":  {Shape: []int{cfg.VocabSize, n}, Data: gauss(0.02, cfg.VocabSize, n)},
		"transformer.wpe.weight":  {Shape: []int{cfg.NPositions, n}, Data: gauss(0.01, cfg.NPositions, n)},
		"transformer.ln_f.weight": fill(1, n), "transformer.ln_f.bias": fill(0, n),
	}
	pts := map[string]peft.Tensor{}
	for l := range cfg.NLayer {
		p := "transformer.h." + strconv.Itoa(l) + "."
		ts[p+"ln_1.weight"], ts[p+"ln_1.bias"] = fill(1, n), fill(0, n)
		ts[p+"ln_2.weight"], ts[p+"ln_2.bias"] = fill(1, n), fill(0, n)
		for j, m := range []string{"attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"} {
			d, o := cfg.ModuleShape(j)
			ts[p+m+".weight"] = gpt2.Tensor{Shape: []int{d, o}, Data: gauss(0.02, d, o)}
			ts[p+m+".bias"] = gpt2.Tensor{Shape: []int{o}, Data: gauss(0.01, o)}
			k := "base_model.model." + p + m
			pts[k+".lora_A.weight"] = peft.Tensor{Shape: []int{8, d}, Data: gauss(0.02, 8, d)}
			pts[k+".lora_B.weight"] = peft.Tensor{Shape: []int{o, 8}, Data: gauss(0.02, o, 8)}
		}
	}
	_ = in
	model, err := gpt2.New(cfg, ts)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := peft.ParseConfig([]byte(`{"peft_type":"LORA","r":8,"lora_alpha":16,"target_modules":["c_attn","attn.c_proj","c_fc","mlp.c_proj"]}`))
	if err != nil {
		t.Fatal(err)
	}
	ad, err := peft.FromTensors(pc, cfg, pts)
	if err != nil {
		t.Fatal(err)
	}
	qm, err := lora.QuantizeAdapter(ad)
	if err != nil {
		t.Fatal(err)
	}
	keyDir := os.Getenv("ZKLORA_DISTIL_KEYS")
	if keyDir == "" {
		keyDir = t.TempDir()
	}
	st, err := prover.OpenStore(keyDir)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	adapter, err := contributor.FromQuantized(qm, contributor.DevKeys(st), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("keys and commitments for %d modules: %.1fs", len(adapter.Modules), time.Since(t0).Seconds())
	srv, err := server.New(server.Config{Modules: adapter.Modules, OutDir: t.TempDir(), Prove: adapter.ProveFunc(session.ProveOptions{})})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())

	text := strings.Repeat("Verifiable multi-party inference with LoRA adapters. ", 12)
	ids := encode(t, text)[:128]
	// Local quantized path, for comparison.
	prov, _ := lora.NewLocalIntProvider(qm)
	h, err := lora.QuantizedHook(lora.QuantizedPoints(qm), lora.ScalesOf(qm), prov, nil)
	if err != nil {
		t.Fatal(err)
	}
	t1 := time.Now()
	localLoss, err := model.WithHook(h).Loss(ids)
	if err != nil {
		t.Fatal(err)
	}
	localS := time.Since(t1).Seconds()
	t2 := time.Now()
	baseLoss, _ := model.Loss(ids)
	baseS := time.Since(t2).Seconds()

	c, err := client.Dial(context.Background(), srv.Addr().String(), client.Options{Pin: srv.Fingerprint()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b := client.NewBaseModelClient(c, model, nil)
	ctx := context.Background()
	if err := b.InitAndPatch(ctx, wire.CombineAddDelta); err != nil {
		t.Fatal(err)
	}
	t3 := time.Now()
	loss, err := b.LossTokens(ids)
	if err != nil {
		t.Fatal(err)
	}
	inferS := time.Since(t3).Seconds()
	calls, callDur := b.CallStats()
	if loss != localLoss {
		t.Fatalf("remote loss %v != local %v", loss, localLoss)
	}
	t4 := time.Now()
	if _, err := b.EndInference(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitProof(ctx, 50*time.Millisecond, nil); err != nil {
		t.Fatal(err)
	}
	proveS := time.Since(t4).Seconds()
	dir := filepath.Join(t.TempDir(), "art")
	t5 := time.Now()
	if err := b.FetchArtifacts(ctx, dir); err != nil {
		t.Fatal(err)
	}
	fetchS := time.Since(t5).Seconds()
	t6 := time.Now()
	rep, err := b.Verify(dir, session.VerifyOptions{AllowDevKeys: true})
	if err != nil {
		t.Fatal(err)
	}
	verifyS := time.Since(t6).Seconds()
	if !rep.OK || rep.Verified != 24 {
		t.Fatalf("report: %v", rep.Err())
	}
	t.Logf("distilgpt2 shapes, 128 tokens, 24 modules: base forward %.3fs, local quantized LoRA forward %.3fs, remote forward %.3fs (%d calls, %.2f ms each incl. network), prove %.1fs, fetch %.3fs, verify %.3fs; loss base %.5f lora %.5f",
		baseS, localS, inferS, calls, callDur.Seconds()*1000/float64(calls), proveS, fetchS, verifyS, baseLoss, loss)
}
