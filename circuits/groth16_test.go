package circuits

import (
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
)

// TestSessionGroth16ProveVerify runs the real Groth16 prover and verifier
// on a small shape, with the public witness built by PublicAssignment, and
// checks that the proof does not verify against a different statement.
func TestSessionGroth16ProveVerify(t *testing.T) {
	s := Shape{D: 6, R: 2, O: 5}
	f := newFixture(t, s, 4, 7)
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, NewSessionCircuit(s))
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	full, err := frontend.NewWitness(mustAssign(t, f.st, f.A, f.B), ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	proof, err := groth16.Prove(ccs, pk, full)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := frontend.NewWitness(f.st.PublicAssignment(), ecc.BN254.ScalarField(), frontend.PublicOnly())
	if err != nil {
		t.Fatal(err)
	}
	if err := groth16.Verify(proof, vk, pub); err != nil {
		t.Fatalf("honest proof rejected: %v", err)
	}
	other := f.st
	var one fr.Element
	one.SetOne()
	other.Zbar.Add(&other.Zbar, &one)
	pub2, err := frontend.NewWitness(other.PublicAssignment(), ecc.BN254.ScalarField(), frontend.PublicOnly())
	if err != nil {
		t.Fatal(err)
	}
	if err := groth16.Verify(proof, vk, pub2); err == nil {
		t.Fatal("proof verified against a different z̄")
	}
}
