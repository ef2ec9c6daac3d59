package session

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/prover"
	"github.com/zklora/zklora/engine/transcript"
)

// SyntheticOptions describes a synthetic session: M modules of one shape,
// each called with T rows in total, random int16 weights and inputs.
type SyntheticOptions struct {
	Shape    circuits.Shape
	Tokens   int    // rows per module (T)
	Modules  int    // number of modules (M)
	Seed     uint64 // everything random derives from it, salts included
	CallRows int    // rows per call; 0 means 16
}

// Synthetic is a session in which one process played both parties. A and B
// hold identical transcripts, as honest parties would.
type Synthetic struct {
	Transcript *transcript.Transcript
	Secrets    map[string]ModuleSecret
}

// NewSynthetic builds a synthetic session: it draws weights, commits to them
// with keys from ks, answers every call exactly, and ends the session with a
// nonce. It is deterministic for a seed.
func NewSynthetic(opts SyntheticOptions, ks KeySource) (*Synthetic, error) {
	if err := opts.Shape.Validate(); err != nil {
		return nil, err
	}
	if opts.Tokens < 1 || opts.Modules < 1 || opts.Modules > 4096 {
		return nil, fmt.Errorf("synthetic session: need tokens ≥ 1 and 1 ≤ modules ≤ 4096")
	}
	callRows := opts.CallRows
	if callRows <= 0 {
		callRows = 16
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x7a6b6c6f7261))
	keys, err := ks.Keys(opts.Shape)
	if err != nil {
		return nil, err
	}
	s := opts.Shape
	secrets := make(map[string]ModuleSecret, opts.Modules)
	mods := make([]transcript.Module, 0, opts.Modules)
	for i := 0; i < opts.Modules; i++ {
		name := fmt.Sprintf("synthetic.m%03d", i)
		var salt prover.Salt
		for j := 0; j < len(salt); j += 8 {
			binary.LittleEndian.PutUint64(salt[j:], rng.Uint64())
		}
		salt[0] &= 0x1f // keep it below the field modulus (big-endian canonical form)
		sec := ModuleSecret{A: randInt16(rng, s.D*s.R), B: randInt16(rng, s.R*s.O), Salt: salt}
		cm, err := prover.Commitment(keys, sec.A, sec.B, sec.Salt)
		if err != nil {
			return nil, fmt.Errorf("synthetic session: commit %s: %w", name, err)
		}
		secrets[name] = sec
		mods = append(mods, transcript.Module{Name: name, Shape: s, Commitment: cm, VKFingerprint: prover.VKFingerprint(keys.VK), KeyMode: string(keys.Mode)})
	}
	sid := fmt.Sprintf("synthetic-%016x", rng.Uint64())
	tr, err := transcript.New(sid, mods)
	if err != nil {
		return nil, err
	}
	for _, m := range mods {
		sec := secrets[m.Name]
		for call, done := uint32(0), 0; done < opts.Tokens; call++ {
			rows := min(callRows, opts.Tokens-done)
			X := randInt16(rng, rows*s.D)
			Z, err := circuits.MatMulExact(s, X, sec.A, sec.B)
			if err != nil {
				return nil, err
			}
			if err := tr.Append(transcript.Call{Module: m.Name, Index: call, Rows: rows, X: X, Z: Z}); err != nil {
				return nil, err
			}
			done += rows
		}
	}
	nonce := make([]byte, 32)
	for j := 0; j < 32; j += 8 {
		binary.LittleEndian.PutUint64(nonce[j:], rng.Uint64())
	}
	if err := tr.SetNonce(nonce); err != nil {
		return nil, err
	}
	return &Synthetic{Transcript: tr, Secrets: secrets}, nil
}

func randInt16(rng *rand.Rand, n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(rng.Uint32())
	}
	return out
}
