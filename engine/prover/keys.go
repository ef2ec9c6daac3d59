package prover

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/consensys/gnark"
	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/constraint"
	csbn254 "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/zklora/zklora/circuits"
)

// KeyMode says who made a key pair, and so how far it can be trusted
// (DESIGN §3).
type KeyMode string

const (
	// KeyModeDev marks keys from an in-process groth16.Setup: whoever ran
	// it knows the toxic waste and can forge proofs. Tests and demos only.
	KeyModeDev KeyMode = "dev"
	// KeyModeCeremony marks keys from a multi-party ceremony (gnark's
	// mpcsetup) that the verifier took part in.
	KeyModeCeremony KeyMode = "ceremony"
)

// Valid reports whether m is one of the known modes.
func (m KeyMode) Valid() bool { return m == KeyModeDev || m == KeyModeCeremony }

// PinnedGnarkVersion is the gnark version this package was written and
// tested against. The salted commitment (see Salt) relies on a gnark
// internal, so the version enters every circuit id.
const PinnedGnarkVersion = "v0.16.3"

// gnarkModule is the module path whose version CircuitID reads.
const gnarkModule = "github.com/consensys/gnark"

// Keys is everything needed to prove (and verify) one circuit shape: the
// compiled constraint system, the Groth16 proving key and the verifying key.
// Build it with DevSetup, NewKeys or a Store; the constructors check that
// the three parts fit together and fit the shape.
type Keys struct {
	Shape     circuits.Shape
	CircuitID string
	Mode      KeyMode
	// Ceremony identifies the ceremony transcript for ceremony keys (for
	// example its hash); empty for dev keys.
	Ceremony string
	CS       constraint.ConstraintSystem
	PK       groth16.ProvingKey
	VK       *VerifyingKey

	layout layout
}

// layout is what the prover needs to know about a checked circuit.
type layout struct {
	nbPublic int // including the constant-one wire
	nbSecret int // d·r + r·o
	nbWires  int
}

// GnarkVersion returns the version of gnark linked into this binary, read
// from the build information, or PinnedGnarkVersion where that is not
// available.
func GnarkVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == gnarkModule {
				if m.Replace != nil && m.Replace.Version != "" {
					return m.Replace.Version
				}
				if m.Version != "" && m.Version != "(devel)" {
					return m.Version
				}
			}
		}
	}
	if v := gnark.Version.String(); v != "" && v != "0.0.0" {
		return "v" + v
	}
	return PinnedGnarkVersion
}

// CircuitID names the circuit of a shape: "s<statement version>-<shape>-"
// followed by 16 hex digits of SHA-256 over the shape, the statement
// version and the gnark version. Keys, proofs and artifacts made under a
// different statement version or gnark version therefore never match.
func CircuitID(s circuits.Shape) string {
	h := sha256.New()
	fmt.Fprintf(h, "zklora/circuit-id/v1\x00curve=bn254\x00backend=groth16\x00shape=%s\x00statement=%d\x00gnark=%s",
		s, circuits.StatementVersion, GnarkVersion())
	return fmt.Sprintf("s%d-%s-%s", circuits.StatementVersion, s, hex.EncodeToString(h.Sum(nil))[:16])
}

// Compile compiles the SessionCircuit of shape s to a BN254 R1CS.
func Compile(s circuits.Shape) (constraint.ConstraintSystem, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, circuits.NewSessionCircuit(s))
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", s, err)
	}
	return cs, nil
}

// DevSetup compiles the circuit of shape s and runs groth16.Setup in
// process. The result is marked KeyModeDev: its maker could forge proofs.
func DevSetup(s circuits.Shape) (*Keys, error) {
	cs, err := Compile(s)
	if err != nil {
		return nil, err
	}
	pk, vk, err := groth16.Setup(cs)
	if err != nil {
		return nil, fmt.Errorf("dev setup %s: %w", s, err)
	}
	return NewKeys(s, KeyModeDev, "", cs, pk, vk)
}

// NewKeys assembles Keys from parts made elsewhere (a ceremony, a store)
// and checks them: BN254 types, the circuit's layout for shape s (public
// inputs, one commitment to exactly the weights and the mask, in wire
// order), key sizes, and that the proving and verifying keys belong
// together.
func NewKeys(s circuits.Shape, mode KeyMode, ceremony string, cs constraint.ConstraintSystem, pk groth16.ProvingKey, vk groth16.VerifyingKey) (*Keys, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if !mode.Valid() {
		return nil, fmt.Errorf("keys: unknown key mode %q", mode)
	}
	r1, ok := cs.(*csbn254.R1CS)
	if !ok {
		return nil, fmt.Errorf("keys: constraint system is %T, want a BN254 R1CS", cs)
	}
	bpk, ok := pk.(*groth16bn254.ProvingKey)
	if !ok {
		return nil, fmt.Errorf("keys: proving key is %T, want a BN254 Groth16 key", pk)
	}
	bvk, ok := vk.(*groth16bn254.VerifyingKey)
	if !ok {
		return nil, fmt.Errorf("keys: verifying key is %T, want a BN254 Groth16 key", vk)
	}
	lay, err := checkLayout(s, r1)
	if err != nil {
		return nil, err
	}
	wvk, err := newVerifyingKey(s, bvk)
	if err != nil {
		return nil, err
	}
	if err := checkProvingKey(s, lay, r1, bpk, bvk); err != nil {
		return nil, err
	}
	return &Keys{
		Shape:     s,
		CircuitID: CircuitID(s),
		Mode:      mode,
		Ceremony:  ceremony,
		CS:        cs,
		PK:        pk,
		VK:        wvk,
		layout:    lay,
	}, nil
}

// checkLayout checks that cs is the SessionCircuit of shape s as this
// package expects it: d+2 public inputs, d·r+r·o secret inputs, and one
// BSB22 commitment over exactly the secret inputs, in wire order, followed
// by one internal wire (gnark's mask, which the salt replaces). Commitment
// relies on this order.
func checkLayout(s circuits.Shape, cs *csbn254.R1CS) (layout, error) {
	lay := layout{
		nbPublic: s.D + 3,
		nbSecret: s.D*s.R + s.R*s.O,
	}
	if got := cs.GetNbPublicVariables(); got != lay.nbPublic {
		return layout{}, fmt.Errorf("keys: constraint system has %d public variables, shape %s wants %d", got, s, lay.nbPublic)
	}
	if got := cs.GetNbSecretVariables(); got != lay.nbSecret {
		return layout{}, fmt.Errorf("keys: constraint system has %d secret variables, shape %s wants %d", got, s, lay.nbSecret)
	}
	lay.nbWires = lay.nbPublic + lay.nbSecret + cs.GetNbInternalVariables()
	cm, ok := cs.CommitmentInfo.(constraint.Groth16Commitments)
	if !ok || len(cm) != 1 {
		return layout{}, errors.New("keys: constraint system does not have exactly one Groth16 commitment")
	}
	c := cm[0]
	if len(c.PublicAndCommitmentCommitted) != 0 {
		return layout{}, errors.New("keys: the commitment covers public inputs; the session circuit commits the weights only")
	}
	if len(c.PrivateCommitted) != lay.nbSecret+1 {
		return layout{}, fmt.Errorf("keys: the commitment covers %d wires, want the %d weights and one mask", len(c.PrivateCommitted), lay.nbSecret)
	}
	for i := 0; i < lay.nbSecret; i++ {
		if c.PrivateCommitted[i] != lay.nbPublic+i {
			return layout{}, fmt.Errorf("keys: committed wire %d is %d, want secret input %d", i, c.PrivateCommitted[i], lay.nbPublic+i)
		}
	}
	if mask := c.PrivateCommitted[lay.nbSecret]; mask < lay.nbPublic+lay.nbSecret || mask >= lay.nbWires {
		return layout{}, fmt.Errorf("keys: the commitment's last wire %d is not an internal wire", mask)
	}
	if c.CommitmentIndex < lay.nbPublic+lay.nbSecret || c.CommitmentIndex >= lay.nbWires {
		return layout{}, fmt.Errorf("keys: commitment wire %d is not an internal wire", c.CommitmentIndex)
	}
	return lay, nil
}

// checkProvingKey checks the proving key's sizes against the circuit and
// that it shares α, β, δ and the commitment key with the verifying key.
func checkProvingKey(s circuits.Shape, lay layout, cs *csbn254.R1CS, pk *groth16bn254.ProvingKey, vk *groth16bn254.VerifyingKey) error {
	if len(pk.InfinityA) != lay.nbWires || len(pk.InfinityB) != lay.nbWires {
		return fmt.Errorf("keys: proving key is for %d wires, the circuit has %d", len(pk.InfinityA), lay.nbWires)
	}
	if int(pk.NbInfinityA) > lay.nbWires || int(pk.NbInfinityB) > lay.nbWires ||
		len(pk.G1.A) != lay.nbWires-int(pk.NbInfinityA) || len(pk.G1.B) != lay.nbWires-int(pk.NbInfinityB) ||
		len(pk.G2.B) != len(pk.G1.B) {
		return errors.New("keys: proving key's A/B tables do not match its infinity counts")
	}
	if pk.Domain.Cardinality < uint64(cs.GetNbConstraints()) || pk.Domain.Cardinality == 0 ||
		uint64(len(pk.G1.Z)) != pk.Domain.Cardinality-1 {
		return fmt.Errorf("keys: proving key's domain (%d) does not fit %d constraints", pk.Domain.Cardinality, cs.GetNbConstraints())
	}
	// K covers the private wires minus the committed ones and the commitment wire.
	if want := lay.nbWires - lay.nbPublic - (lay.nbSecret + 1) - 1; len(pk.G1.K) != want {
		return fmt.Errorf("keys: proving key has %d K points, the circuit wants %d", len(pk.G1.K), want)
	}
	if len(pk.CommitmentKeys) != 1 || len(pk.CommitmentKeys[0].Basis) != lay.nbSecret+1 ||
		len(pk.CommitmentKeys[0].BasisExpSigma) != lay.nbSecret+1 {
		return fmt.Errorf("keys: proving key's commitment key does not cover the %d weights and the mask", lay.nbSecret)
	}
	if !pk.G1.Alpha.Equal(&vk.G1.Alpha) || !pk.G1.Beta.Equal(&vk.G1.Beta) || !pk.G1.Delta.Equal(&vk.G1.Delta) ||
		!pk.G2.Beta.Equal(&vk.G2.Beta) || !pk.G2.Delta.Equal(&vk.G2.Delta) {
		return errors.New("keys: proving and verifying keys are not from the same setup")
	}
	// The Pedersen keys belong together: e(basis₀, −σG)·e(σ·basis₀, G) = 1.
	ck := &pk.CommitmentKeys[0]
	ok, err := bn254.PairingCheck(
		[]bn254.G1Affine{ck.Basis[0], ck.BasisExpSigma[0]},
		[]bn254.G2Affine{vk.CommitmentKeys[0].GSigmaNeg, vk.CommitmentKeys[0].G})
	if err != nil || !ok {
		return errors.New("keys: proving key's commitment key does not match the verifying key")
	}
	return nil
}
