package ceremony

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/prover"
)

// small is the shape the default tests run at.
var small = circuits.Shape{D: 16, R: 2, O: 24}

// finished is one full two-party ceremony at the small shape, made once
// through the step-by-step API (Init, Contribute, StartPhase2, Finalize).
var finished struct {
	once sync.Once
	t    *Transcript
	keys *prover.Keys
	enc  []byte
	err  error
}

func finishedCeremony(tb testing.TB) (*Transcript, *prover.Keys) {
	tb.Helper()
	finished.once.Do(func() {
		t, err := Init(small)
		if err != nil {
			finished.err = err
			return
		}
		for range 2 {
			if _, err := t.Contribute(); err != nil {
				finished.err = err
				return
			}
		}
		if err := t.StartPhase2([]byte("beacon one")); err != nil {
			finished.err = err
			return
		}
		for range 2 {
			if _, err := t.Contribute(); err != nil {
				finished.err = err
				return
			}
		}
		keys, err := t.Finalize([]byte("beacon two"))
		if err != nil {
			finished.err = err
			return
		}
		finished.t, finished.keys = t, keys
		finished.enc, finished.err = t.Encode()
	})
	if finished.err != nil {
		tb.Fatal(finished.err)
	}
	// Each caller gets its own copy of the transcript.
	t, err := Decode(finished.enc)
	if err != nil {
		tb.Fatal(err)
	}
	return t, finished.keys
}

func randInt16s(rng *rand.Rand, n int) []int16 {
	v := make([]int16, n)
	for i := range v {
		v[i] = int16(rng.IntN(1 << 16))
	}
	return v
}

func randFr(rng *rand.Rand) fr.Element {
	var e fr.Element
	e.SetUint64(rng.Uint64())
	var f fr.Element
	f.SetUint64(rng.Uint64())
	e.Mul(&e, &f).Add(&e, &f)
	return e
}

// session is a random module session of shape s: weights, a statement over
// T rows, and a salt.
type session struct {
	A, B []int16
	st   circuits.Statement
	salt prover.Salt
}

func newSession(tb testing.TB, s circuits.Shape, seed uint64) session {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, 11))
	A, B, X := randInt16s(rng, s.D*s.R), randInt16s(rng, s.R*s.O), randInt16s(rng, 3*s.D)
	Z, err := circuits.MatMulExact(s, X, A, B)
	if err != nil {
		tb.Fatal(err)
	}
	st, err := circuits.ComputeStatement(s, X, Z, randFr(rng), randFr(rng))
	if err != nil {
		tb.Fatal(err)
	}
	salt, err := prover.NewSalt()
	if err != nil {
		tb.Fatal(err)
	}
	return session{A: A, B: B, st: st, salt: salt}
}

// proveAndVerify proves the session with pkKeys and verifies under vkKeys.
func proveAndVerify(tb testing.TB, pkKeys, vkKeys *prover.Keys, ses session) error {
	tb.Helper()
	pinned, err := prover.Commitment(pkKeys, ses.A, ses.B, ses.salt)
	if err != nil {
		tb.Fatal(err)
	}
	proof, err := prover.Prove(pkKeys, ses.st, ses.A, ses.B, ses.salt)
	if err != nil {
		tb.Fatal(err)
	}
	return prover.Verify(vkKeys.VK, ses.st, pinned, proof)
}
