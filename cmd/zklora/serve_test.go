package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/zklora/zklora/engine/safetensors"
)

// writeTinyFixture writes a tiny GPT-2 (full vocabulary, n_embd 32, 2
// layers) and an r=4 adapter on attn.c_attn and attn.c_proj under dir.
func writeTinyFixture(t *testing.T, dir string) (base, adapter string) {
	t.Helper()
	base, adapter = filepath.Join(dir, "base"), filepath.Join(dir, "adapter")
	for _, d := range []string{base, adapter} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	const vocab, pos, n, layers, inner = 50257, 64, 32, 2, 37
	cfg := fmt.Sprintf(`{"model_type":"gpt2","vocab_size":%d,"n_positions":%d,"n_embd":%d,"n_layer":%d,"n_head":4,"n_inner":%d,"layer_norm_epsilon":1e-5,"activation_function":"gelu_new"}`, vocab, pos, n, layers, inner)
	if err := os.WriteFile(filepath.Join(base, "config.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	gauss := func(scale float64, shape ...int) []float32 {
		k := 1
		for _, s := range shape {
			k *= s
		}
		v := make([]float32, k)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * scale)
		}
		return v
	}
	ones := func(k int, x float32) []float32 {
		v := make([]float32, k)
		for i := range v {
			v[i] = x
		}
		return v
	}
	ts := []safetensors.Tensor{
		safetensors.F32("transformer.wte.weight", []int{vocab, n}, gauss(0.1, vocab, n)),
		safetensors.F32("transformer.wpe.weight", []int{pos, n}, gauss(0.1, pos, n)),
		safetensors.F32("transformer.ln_f.weight", []int{n}, ones(n, 1)),
		safetensors.F32("transformer.ln_f.bias", []int{n}, ones(n, 0)),
	}
	var ats []safetensors.Tensor
	for l := 0; l < layers; l++ {
		p := "transformer.h." + strconv.Itoa(l) + "."
		for _, ln := range []string{"ln_1", "ln_2"} {
			ts = append(ts, safetensors.F32(p+ln+".weight", []int{n}, ones(n, 1)), safetensors.F32(p+ln+".bias", []int{n}, ones(n, 0)))
		}
		for _, m := range []struct {
			name string
			d, o int
		}{{"attn.c_attn", n, 3 * n}, {"attn.c_proj", n, n}, {"mlp.c_fc", n, inner}, {"mlp.c_proj", inner, n}} {
			ts = append(ts, safetensors.F32(p+m.name+".weight", []int{m.d, m.o}, gauss(0.1, m.d, m.o)), safetensors.F32(p+m.name+".bias", []int{m.o}, gauss(0.1, m.o)))
			if m.name == "attn.c_attn" || m.name == "attn.c_proj" {
				k := "base_model.model." + p + m.name
				ats = append(ats, safetensors.F32(k+".lora_A.weight", []int{4, m.d}, gauss(0.2, 4, m.d)), safetensors.F32(k+".lora_B.weight", []int{m.o, 4}, gauss(0.2, m.o, 4)))
			}
		}
	}
	if err := safetensors.WriteFile(filepath.Join(base, "model.safetensors"), ts, safetensors.DefaultMetadata()); err != nil {
		t.Fatal(err)
	}
	if err := safetensors.WriteFile(filepath.Join(adapter, "adapter_model.safetensors"), ats, safetensors.DefaultMetadata()); err != nil {
		t.Fatal(err)
	}
	acfg := `{"peft_type":"LORA","r":4,"lora_alpha":8,"target_modules":["c_attn","attn.c_proj"],"bias":"none","fan_in_fan_out":true}`
	if err := os.WriteFile(filepath.Join(adapter, "adapter_config.json"), []byte(acfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return base, adapter
}

// startServe runs 'zklora serve' in process until the test ends and
// returns what it printed.
func startServe(t *testing.T, args ...string) serveInfo {
	t.Helper()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	root := newRootCmd(pw, io.Discard)
	root.SetArgs(append([]string{"serve", "--port", "0", "--json"}, args...))
	go func() {
		done <- root.ExecuteContext(ctx)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed nothing: %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	var info serveInfo
	if err := json.Unmarshal([]byte(line), &info); err != nil {
		t.Fatalf("serve output %q: %v", line, err)
	}
	return info
}

func TestServeInfer(t *testing.T) {
	dir := t.TempDir()
	base, adapter := writeTinyFixture(t, dir)
	keys := filepath.Join(dir, "keys")
	info := startServe(t, "--base", base, "--adapter", adapter, "--out", filepath.Join(dir, "a"), "--keys", keys)
	if len(info.Modules) != 4 || info.KeyMode != "dev" {
		t.Fatalf("serve info %+v", info)
	}
	_, port, err := net.SplitHostPort(info.Addr)
	if err != nil {
		t.Fatal(err)
	}
	for _, combine := range []string{"add_delta", "replace"} {
		out := filepath.Join(dir, "b-"+combine)
		code, stdout, stderr := runCLI(t, "infer", "--host-a", "127.0.0.1", "--port-a", port, "--base", base,
			"--text", "Hello, verifiable world.", "--combine", combine, "--pin", info.Fingerprint, "--out", out, "--allow-dev-keys", "--json", "--quiet")
		if code != 0 {
			t.Fatalf("infer %s: exit %d: %s", combine, code, stderr)
		}
		var res inferResult
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatal(err)
		}
		if res.Verified != 4 || res.Failed != 0 || res.Loss <= 0 || !res.Pinned {
			t.Fatalf("infer %s: %+v", combine, res)
		}
		// B's saved transcript and the fetched artifacts verify on their own.
		code, _, stderr = runCLI(t, "verify", "--proof-dir", filepath.Join(out, "artifacts"), "--transcript", filepath.Join(out, "transcript.zklt"), "--allow-dev-keys")
		if code != 0 {
			t.Fatalf("verify: exit %d: %s", code, stderr)
		}
	}
	// Without --allow-dev-keys the dev-key proofs are rejected: exit 3.
	code, _, _ := runCLI(t, "infer", "--host-a", "127.0.0.1", "--port-a", port, "--base", base,
		"--text", "Hello again.", "--pin", info.Fingerprint, "--out", filepath.Join(dir, "b-strict"), "--quiet")
	if code != exitVerify {
		t.Fatalf("dev keys without the flag: exit %d, want %d", code, exitVerify)
	}
	// A wrong pin is refused before anything is sent.
	wrong := "00" + info.Fingerprint[2:]
	code, _, stderr := runCLI(t, "infer", "--host-a", "127.0.0.1", "--port-a", port, "--base", base,
		"--text", "x y", "--pin", wrong, "--out", filepath.Join(dir, "b-wrong"), "--quiet")
	if code == 0 {
		t.Fatalf("wrong pin accepted: %s", stderr)
	}
}

func TestKeysNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "id.pem")
	code, out, errs := runCLI(t, "keys", "new", "--out", path, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(out), &m); err != nil || len(m["fingerprint"]) != 64 {
		t.Fatalf("%q %v", out, err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("identity file: %v %v", st, err)
	}
	if code, _, _ := runCLI(t, "keys", "new", "--out", path); code != exitUsage {
		t.Fatalf("overwrite without --force: exit %d", code)
	}
}
