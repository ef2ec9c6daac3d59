package gpt2_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/zklora/zklora/engine/fixture"
	"github.com/zklora/zklora/engine/gpt2"
)

// golden is the part of testdata/golden/*.json (format zklora-golden-v1,
// scripts/golden/README.md) this test uses.
type golden struct {
	Format  string `json:"format"`
	Fixture struct {
		Preset      string `json:"preset"`
		Seed        uint64 `json:"seed"`
		ModelSHA256 string `json:"model_sha256"`
	} `json:"fixture"`
	VocabSize  int    `json:"vocab_size"`
	LogitsFile string `json:"logits_file"`
	Cases      []struct {
		Text   string  `json:"text"`
		IDs    []int   `json:"ids"`
		Loss   float64 `json:"loss"`
		Logits struct {
			Offset int   `json:"offset"`
			Shape  []int `json:"shape"`
		} `json:"logits"`
	} `json:"cases"`
}

// TestGoldenTinyFixture regenerates the tiny fixture named by the golden
// file, loads it and compares the Go forward with the independent NumPy
// reference (float64, stored as float32). Tolerances: for each case,
// max|got−want| ≤ 1e-4·max|want| over all T×V logits (the random tiny
// model's logits are all small, so a per-element relative test would be
// dominated by values near zero); the loss within 1e-4 relative.
func TestGoldenTinyFixture(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "golden")
	raw, err := os.ReadFile(filepath.Join(dir, "tiny_seed1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	if g.Format != "zklora-golden-v1" {
		t.Fatalf("golden format %q", g.Format)
	}
	blob, err := os.ReadFile(filepath.Join(dir, g.LogitsFile))
	if err != nil {
		t.Fatal(err)
	}
	paths, err := fixture.Write(t.TempDir(), g.Fixture.Preset, g.Fixture.Seed)
	if err != nil {
		t.Fatal(err)
	}
	weights, err := os.ReadFile(filepath.Join(paths.BaseDir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(weights); hex.EncodeToString(sum[:]) != g.Fixture.ModelSHA256 {
		t.Fatalf("fixture %s seed %d no longer matches the goldens (sha256 %x, golden %s): regenerate them with make goldens",
			g.Fixture.Preset, g.Fixture.Seed, sum, g.Fixture.ModelSHA256)
	}
	m, err := gpt2.Load(paths.BaseDir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Config().VocabSize != g.VocabSize {
		t.Fatalf("vocab %d, golden %d", m.Config().VocabSize, g.VocabSize)
	}
	if len(g.Cases) == 0 {
		t.Fatal("no golden cases")
	}
	for _, c := range g.Cases {
		got, err := m.Logits(c.IDs)
		if err != nil {
			t.Fatal(err)
		}
		n := len(c.IDs) * g.VocabSize
		if len(c.Logits.Shape) != 2 || c.Logits.Shape[0]*c.Logits.Shape[1] != n || c.Logits.Offset+4*n > len(blob) {
			t.Fatalf("%q: bad golden logits entry %+v", c.Text, c.Logits)
		}
		var maxDiff, maxAbs float64
		for i := 0; i < n; i++ {
			want := float64(math.Float32frombits(binary.LittleEndian.Uint32(blob[c.Logits.Offset+4*i:])))
			maxDiff = math.Max(maxDiff, math.Abs(float64(got[i])-want))
			maxAbs = math.Max(maxAbs, math.Abs(want))
		}
		if maxDiff > 1e-4*maxAbs || maxAbs == 0 {
			t.Errorf("%q: max |logit diff| %g exceeds 1e-4 × %g", c.Text, maxDiff, maxAbs)
		}
		loss, err := m.Loss(c.IDs)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(loss-c.Loss) > 1e-4*math.Abs(c.Loss) {
			t.Errorf("%q: loss %.9f, golden %.9f", c.Text, loss, c.Loss)
		}
		t.Logf("%q: max |logit diff| %.3g (max |logit| %.3g), loss %.9f vs %.9f", c.Text, maxDiff, maxAbs, loss, c.Loss)
	}
}
