package gpu

import (
	"errors"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// wrong is a Backend that is off by one in every result, to show the
// harness catches a device that disagrees with gnark-crypto.
type wrong struct{ CPU }

func (wrong) Name() string { return "wrong" }

func (wrong) MSMG1(p []bn254.G1Affine, s []fr.Element) (bn254.G1Jac, error) {
	r, err := CPUMSMG1(p, s)
	_, _, g1, _ := bn254.Generators()
	r.AddMixed(&g1)
	return r, err
}

func (wrong) MSMG2(p []bn254.G2Affine, s []fr.Element) (bn254.G2Jac, error) {
	r, err := CPUMSMG2(p, s)
	_, _, _, g2 := bn254.Generators()
	r.AddMixed(&g2)
	return r, err
}

func (wrong) NTT(v []fr.Element, inverse bool) error {
	err := CPUNTT(v, inverse)
	v[len(v)-1].SetOne()
	return err
}

func TestParityHarness(t *testing.T) {
	const n = 1 << 10
	p1, err := RandomG1(n)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := RandomG2(64)
	if err != nil {
		t.Fatal(err)
	}
	s, err := RandomScalars(n)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckMSMG1(CPU{}, p1, s); err != nil {
		t.Fatal(err)
	}
	if err := CheckMSMG2(CPU{}, p2, s[:64]); err != nil {
		t.Fatal(err)
	}
	if err := CheckNTT(CPU{}, s); err != nil {
		t.Fatal(err)
	}
	if CheckMSMG1(wrong{}, p1, s) == nil || CheckMSMG2(wrong{}, p2, s[:64]) == nil || CheckNTT(wrong{}, s) == nil {
		t.Fatal("the harness accepted a wrong backend")
	}
	if err := CheckMSMG1(GPU{}, p1, s); !errors.Is(err, ErrGPUNotCompiled) && !ICICLECompiled {
		t.Fatalf("untagged GPU backend: %v", err)
	}
}

// TestCPUNTTNaturalOrder checks CPUNTT against the definition
// v̂_k = Σ_j v_j·ω^(jk) on a small input.
func TestCPUNTTNaturalOrder(t *testing.T) {
	const n = 8
	v, _ := RandomScalars(n)
	got := append([]fr.Element(nil), v...)
	if err := CPUNTT(got, false); err != nil {
		t.Fatal(err)
	}
	w := nttRoot(t, n)
	for k := 0; k < n; k++ {
		var acc, wk, wjk fr.Element
		wk.Exp(w, bigInt(k))
		wjk.SetOne()
		for j := 0; j < n; j++ {
			var term fr.Element
			term.Mul(&v[j], &wjk)
			acc.Add(&acc, &term)
			wjk.Mul(&wjk, &wk)
		}
		if !acc.Equal(&got[k]) {
			t.Fatalf("element %d: got %s, want %s", k, got[k].String(), acc.String())
		}
	}
	if err := CPUNTT(make([]fr.Element, 6), false); err == nil {
		t.Fatal("length 6 accepted")
	}
}
