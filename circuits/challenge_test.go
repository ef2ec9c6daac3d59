package circuits

import (
	"crypto/sha256"
	"encoding/binary"
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

func baseChallengeInput() ChallengeInput {
	in := ChallengeInput{SessionID: "sess", Module: "h.0.attn.c_attn", Commitment: []byte{1, 2, 3}, Nonce: []byte("nonce")}
	in.TranscriptRoot[0] = 9
	return in
}

func TestDeriveChallengesDeterministic(t *testing.T) {
	b1, g1 := DeriveChallenges(baseChallengeInput())
	b2, g2 := DeriveChallenges(baseChallengeInput())
	if !b1.Equal(&b2) || !g1.Equal(&g2) {
		t.Fatal("not deterministic")
	}
	if b1.Equal(&g1) {
		t.Fatal("β = γ")
	}
	if b1.IsZero() || g1.IsZero() {
		t.Fatal("zero challenge")
	}
}

func TestDeriveChallengesSensitive(t *testing.T) {
	b0, g0 := DeriveChallenges(baseChallengeInput())
	muts := map[string]func(*ChallengeInput){
		"session id":     func(in *ChallengeInput) { in.SessionID += "x" },
		"module":         func(in *ChallengeInput) { in.Module = "h.0.attn.c_proj" },
		"commitment":     func(in *ChallengeInput) { in.Commitment = []byte{1, 2, 4} },
		"commitment len": func(in *ChallengeInput) { in.Commitment = append(in.Commitment, 0) },
		"root":           func(in *ChallengeInput) { in.TranscriptRoot[31] ^= 1 },
		"nonce":          func(in *ChallengeInput) { in.Nonce = []byte("noncf") },
		"nonce empty":    func(in *ChallengeInput) { in.Nonce = nil },
	}
	for name, m := range muts {
		in := baseChallengeInput()
		m(&in)
		b, g := DeriveChallenges(in)
		if b.Equal(&b0) || g.Equal(&g0) {
			t.Errorf("changing the %s left a challenge unchanged", name)
		}
	}
	// Field boundaries: moving bytes between adjacent fields changes the seed.
	pairs := [][2]ChallengeInput{
		{{SessionID: "ab", Module: "c"}, {SessionID: "a", Module: "bc"}},
		{{Module: "ab", Commitment: []byte("c")}, {Module: "a", Commitment: []byte("bc")}},
		{{Commitment: []byte("ab"), Nonce: []byte("c")}, {Commitment: []byte("a"), Nonce: []byte("bc")}},
		{{SessionID: "", Module: "x"}, {SessionID: "x", Module: ""}},
	}
	for i, p := range pairs {
		b1, g1 := DeriveChallenges(p[0])
		b2, g2 := DeriveChallenges(p[1])
		if b1.Equal(&b2) || g1.Equal(&g2) {
			t.Errorf("pair %d collides", i)
		}
	}
}

// TestDeriveChallengesLayout recomputes the documented byte layout
// independently, so that any change to the derivation fails here.
func TestDeriveChallengesLayout(t *testing.T) {
	in := baseChallengeInput()
	lp := func(b []byte) []byte {
		return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)
	}
	var pre []byte
	pre = append(pre, "zklora/v1/challenge"...)
	pre = append(pre, lp([]byte(in.SessionID))...)
	pre = append(pre, lp([]byte(in.Module))...)
	pre = append(pre, lp(in.Commitment)...)
	pre = append(pre, lp(in.TranscriptRoot[:])...)
	pre = append(pre, lp(in.Nonce)...)
	seed := sha256.Sum256(pre)
	wide := func(label string) fr.Element {
		var out []byte
		for ctr := uint32(0); ctr < 2; ctr++ {
			msg := append(append(seed[:0:0], seed[:]...), lp([]byte(label))...)
			msg = binary.BigEndian.AppendUint32(msg, ctr)
			h := sha256.Sum256(msg)
			out = append(out, h[:]...)
		}
		v := new(big.Int).SetBytes(out)
		var e fr.Element
		e.SetBigInt(v.Mod(v, fr.Modulus()))
		return e
	}
	wb, wg := wide("beta"), wide("gamma")
	b, g := DeriveChallenges(in)
	if !b.Equal(&wb) || !g.Equal(&wg) {
		t.Fatal("DeriveChallenges does not follow its documented layout")
	}
}
