package artifact

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zklora/zklora/circuits"
)

func sample() *Contents {
	m := Manifest{
		FormatVersion: FormatVersion, Curve: "bn254", Backend: "groth16",
		SessionID: "s1", TranscriptRoot: strings.Repeat("ab", 32), Nonce: "0011",
	}
	for _, name := range []string{"h.0.attn.c_attn", "h.1.attn.c_attn"} {
		m.Modules = append(m.Modules, ModuleEntry{
			Name: name, Shape: circuits.Shape{D: 4, R: 2, O: 3}, Rows: 5,
			CircuitID: "s1-4x2x3-abcd", VKFingerprint: "ff", KeyMode: "dev",
			Commitment: strings.Repeat("01", 32), Beta: "1", Gamma: "2",
			Proof: ProofPath(name), Statement: StatementPath(name), VK: VKPath("s1-4x2x3-abcd"),
		})
	}
	return &Contents{
		Manifest:   m,
		VKs:        map[string][]byte{"s1-4x2x3-abcd": []byte("vk")},
		Proofs:     map[string][]byte{"h.0.attn.c_attn": []byte("p0"), "h.1.attn.c_attn": []byte("p1")},
		Statements: map[string][]byte{"h.0.attn.c_attn": []byte("{}"), "h.1.attn.c_attn": []byte("{ }")},
	}
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	c := sample()
	if err := Write(dir, c); err != nil {
		t.Fatal(err)
	}
	got, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Proofs["h.1.attn.c_attn"], []byte("p1")) || string(got.VKs["s1-4x2x3-abcd"]) != "vk" {
		t.Fatalf("contents differ: %+v", got)
	}
	if extra, err := Extra(dir, &got.Manifest); err != nil || len(extra) != 0 {
		t.Fatalf("extra %v %v", extra, err)
	}
	if err := os.WriteFile(filepath.Join(dir, ProofsDir, "sneaky.proof"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if extra, _ := Extra(dir, &got.Manifest); len(extra) != 1 || extra[0] != "sneaky.proof" {
		t.Fatalf("extra proof not reported: %v", extra)
	}
}

func TestRejects(t *testing.T) {
	cases := map[string]func(m *Manifest){
		"unknown version":  func(m *Manifest) { m.FormatVersion = 2 },
		"curve":            func(m *Manifest) { m.Curve = "bls12-381" },
		"traversal name":   func(m *Manifest) { m.Modules[0].Name = "../x"; m.Modules[0].Proof = ProofPath("../x") },
		"path not canon":   func(m *Manifest) { m.Modules[0].Proof = "proofs/../../etc/passwd" },
		"duplicate module": func(m *Manifest) { m.Modules[1] = m.Modules[0] },
		"bad commitment":   func(m *Manifest) { m.Modules[0].Commitment = "zz" },
		"short root":       func(m *Manifest) { m.TranscriptRoot = "ab" },
		"bad shape":        func(m *Manifest) { m.Modules[0].Shape.R = 0 },
		"zero rows":        func(m *Manifest) { m.Modules[0].Rows = 0 },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			c := sample()
			mutate(&c.Manifest)
			if err := c.Manifest.Validate(); err == nil {
				t.Fatal("accepted")
			}
			data, _ := json.Marshal(&c.Manifest)
			if _, err := DecodeManifest(data); err == nil {
				t.Fatal("decoder accepted")
			}
		})
	}
}

func TestDecodeStrict(t *testing.T) {
	c := sample()
	data, _ := json.Marshal(&c.Manifest)
	if _, err := DecodeManifest(data); err != nil {
		t.Fatal(err)
	}
	extraField := bytes.Replace(data, []byte(`"curve"`), []byte(`"surprise":1,"curve"`), 1)
	if _, err := DecodeManifest(extraField); err == nil {
		t.Fatal("unknown field accepted")
	}
	if _, err := DecodeManifest(append(data, []byte(`{}`)...)); err == nil {
		t.Fatal("trailing data accepted")
	}
	if _, err := DecodeManifest(data[:len(data)/2]); err == nil {
		t.Fatal("truncated manifest accepted")
	}
}

func TestReadMissingAndOversized(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, sample()); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, filepath.FromSlash(ProofPath("h.0.attn.c_attn")))); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(dir); err == nil {
		t.Fatal("missing proof accepted")
	}
	dir2 := t.TempDir()
	c := sample()
	c.Proofs["h.0.attn.c_attn"] = make([]byte, MaxProofBytes+1)
	if err := Write(dir2, c); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(dir2); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("oversized proof: %v", err)
	}
	if _, err := Read(t.TempDir()); err == nil {
		t.Fatal("empty dir accepted")
	}
}

func FuzzDecodeManifest(f *testing.F) {
	data, _ := json.Marshal(&sample().Manifest)
	f.Add(data)
	f.Add([]byte(`{"format_version":1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeManifest(b)
		if err == nil && m.Validate() != nil {
			t.Fatal("decoded an invalid manifest")
		}
	})
}
