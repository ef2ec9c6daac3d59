package ceremony

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	"github.com/zklora/zklora/circuits"
)

// contributedPhase1 returns a phase-1 state with two contributions for
// shape s, and a function that returns fresh copies of it.
func contributedPhase1(tb testing.TB, s circuits.Shape) (n uint64, clone func() *phase1) {
	tb.Helper()
	cs, err := compile(s)
	if err != nil {
		tb.Fatal(err)
	}
	n = DomainSize(cs)
	p := newPhase1(n)
	p.Contribute()
	p.Contribute()
	b, err := encodeState(p)
	if err != nil {
		tb.Fatal(err)
	}
	return n, func() *phase1 {
		q, err := decodePhase1(b, n)
		if err != nil {
			tb.Fatal(err)
		}
		return q
	}
}

// TestPhase2StartMatchesGnark checks that the initial phase-2 state, the
// evaluations and the keys derived from computePhase2Start (parallel
// Jacobian FFTs, beacon folded in) are byte for byte those of mpcsetup's
// Phase1.Seal + Phase2.Initialize + Phase2.Seal, at two shapes (two
// domain sizes), and that checkPhase2Start accepts what was computed.
func TestPhase2StartMatchesGnark(t *testing.T) {
	for _, s := range []circuits.Shape{small, {D: 8, R: 2, O: 6}} {
		cs, err := compile(s)
		if err != nil {
			t.Fatal(err)
		}
		n, clone := contributedPhase1(t, s)
		beacon := []byte("phase-1 beacon")

		commons := clone().Seal(beacon) // gnark's path
		want := new(mpcsetup.Phase2)
		wantEvals := want.Initialize(cs, &commons)
		wantBytes, err := encodeState(want)
		if err != nil {
			t.Fatal(err)
		}

		st, err := computePhase2Start(clone(), beacon)
		if err != nil {
			t.Fatal(err)
		}
		got, gotEvals := initialize(cs, st)
		gotBytes, err := encodeState(got)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(gotBytes, wantBytes) {
			t.Fatalf("%s (domain %d): initial phase-2 state differs from gnark's", s, n)
		}
		if !reflect.DeepEqual(gotEvals, wantEvals) {
			t.Fatalf("%s: phase-2 evaluations differ from gnark's", s)
		}

		// The keys sealed from either are the same: gnark's Seal with the
		// whole sealed SRS, sealPhase2 with the part of it that it reads.
		lite := st.commons()
		pkW, vkW := want.Seal(&commons, &wantEvals, []byte("b2"))
		pkG, vkG, err := sealPhase2(got, &lite, &gotEvals, []byte("b2"))
		if err != nil {
			t.Fatal(err)
		}
		if a, b := mustEncode(t, pkW), mustEncode(t, pkG); !bytes.Equal(a, b) {
			t.Fatalf("%s: proving keys differ", s)
		}
		if a, b := mustEncode(t, vkW), mustEncode(t, vkG); !bytes.Equal(a, b) {
			t.Fatalf("%s: verifying keys differ", s)
		}

		// Another party checks the bases and Z without FFTs.
		lag, err := decodeLagrange(st.lag.encode(), n)
		if err != nil {
			t.Fatal(err)
		}
		z, err := phase2Z(wantBytes, n)
		if err != nil {
			t.Fatal(err)
		}
		chk, err := checkPhase2Start(clone(), beacon, lag, z)
		if err != nil {
			t.Fatalf("%s: honest Lagrange bases rejected: %v", s, err)
		}
		again, _ := initialize(cs, chk)
		if b, _ := encodeState(again); !bytes.Equal(b, wantBytes) {
			t.Fatalf("%s: state from the checked bases differs", s)
		}
	}
}

// TestCheckPhase2StartRejects flips one point of each recorded vector, and
// changes the beacon: each must fail the random linear combination.
func TestCheckPhase2StartRejects(t *testing.T) {
	n, clone := contributedPhase1(t, small)
	beacon := []byte("b")
	st, err := computePhase2Start(clone(), beacon)
	if err != nil {
		t.Fatal(err)
	}
	enc := st.lag.encode()
	fresh := func() (*lagrange, []curveG1) {
		l, err := decodeLagrange(enc, n)
		if err != nil {
			t.Fatal(err)
		}
		return l, append([]curveG1(nil), st.z...)
	}
	cases := map[string]func(l *lagrange, z []curveG1){
		"tau1":   func(l *lagrange, z []curveG1) { l.tau1[3] = l.tau1[4] },
		"alpha1": func(l *lagrange, z []curveG1) { l.alpha1[0].Neg(&l.alpha1[0]) },
		"beta1":  func(l *lagrange, z []curveG1) { l.beta1[n-1] = l.tau1[n-1] },
		"tau2":   func(l *lagrange, z []curveG1) { l.tau2[1].Double(&l.tau2[1]) },
		"z":      func(l *lagrange, z []curveG1) { z[5].Add(&z[5], &l.tau1[0]) },
		"swap":   func(l *lagrange, z []curveG1) { l.tau1[1], l.tau1[2] = l.tau1[2], l.tau1[1] },
	}
	for name, tamper := range cases {
		l, z := fresh()
		tamper(l, z)
		if _, err := checkPhase2Start(clone(), beacon, l, z); !errors.Is(err, errLagrange) {
			t.Errorf("%s tampered: got %v, want errLagrange", name, err)
		}
	}
	l, z := fresh()
	if _, err := checkPhase2Start(clone(), []byte("another beacon"), l, z); !errors.Is(err, errLagrange) {
		t.Errorf("other beacon: got %v, want errLagrange", err)
	}
	l, z = fresh()
	if _, err := checkPhase2Start(clone(), beacon, l, z[:len(z)-1]); err == nil {
		t.Error("short Z accepted")
	}
	// α shortened by one point and β lengthened by it line up again once
	// concatenated: the sizes must be checked one by one.
	l, z = fresh()
	l.beta1 = append([]curveG1{l.alpha1[n-1]}, l.beta1...)
	l.alpha1 = l.alpha1[:n-1]
	if _, err := checkPhase2Start(clone(), beacon, l, z); err == nil {
		t.Error("shifted α/β bases accepted")
	}
}

type curveG1 = curve.G1Affine

func mustEncode(tb testing.TB, v io.WriterTo) []byte {
	tb.Helper()
	b, err := encodeState(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
