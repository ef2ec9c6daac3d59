package ceremony

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	"github.com/consensys/gnark/constraint"
	csbn254 "github.com/consensys/gnark/constraint/bn254"
	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/prover"
)

// ErrInvalid is wrapped by every error that Verify (and the steps that
// verify) return for a transcript that does not check out, as opposed to
// I/O or compile errors.
var ErrInvalid = errors.New("invalid ceremony transcript")

// DomainSize returns the FFT domain size of a compiled circuit: the
// smallest power of two that holds its constraints.
func DomainSize(cs constraint.ConstraintSystem) uint64 {
	return ecc.NextPowerOfTwo(uint64(cs.GetNbConstraints()))
}

// compile compiles the circuit of shape s as a BN254 R1CS.
func compile(s circuits.Shape) (*csbn254.R1CS, error) {
	cs, err := prover.Compile(s)
	if err != nil {
		return nil, err
	}
	r1, ok := cs.(*csbn254.R1CS)
	if !ok {
		return nil, fmt.Errorf("ceremony: constraint system is %T, want a BN254 R1CS", cs)
	}
	return r1, nil
}

// Init starts the ceremony of shape s: a phase-1 transcript without
// contributions, for the domain size of the shape's circuit.
func Init(s circuits.Shape) (*Transcript, error) {
	cs, err := compile(s)
	if err != nil {
		return nil, err
	}
	t := &Transcript{Version: FormatVersion, Shape: s, Domain: DomainSize(cs), Phase: Phase1}
	if err := t.checkHeader(); err != nil {
		return nil, err
	}
	return t, nil
}

// Contribute adds one contribution to the transcript's current phase, with
// fresh randomness from crypto/rand (mpcsetup samples it), and returns it.
// It builds on the last recorded state without verifying the chain: a
// contributor who does not trust the previous ones runs Verify first.
func (t *Transcript) Contribute() (Contribution, error) {
	return t.ContributeWith(nil)
}

// ContributeWith is Contribute with the contributor's optional beacon
// mixed into the entropy: the secret values are hashed to the field from
// 32 bytes of crypto/rand followed by beacon (at most MaxBeacon bytes).
func (t *Transcript) ContributeWith(beacon []byte) (Contribution, error) {
	if err := t.checkHeader(); err != nil {
		return Contribution{}, err
	}
	if len(beacon) > MaxBeacon {
		return Contribution{}, fmt.Errorf("ceremony: beacon longer than %d bytes", MaxBeacon)
	}
	if len(t.Phase1) >= MaxContributions || len(t.Phase2) >= MaxContributions {
		return Contribution{}, fmt.Errorf("ceremony: already %d contributions", MaxContributions)
	}
	var b []byte
	switch t.Phase {
	case Phase1:
		var p *phase1
		if n := len(t.Phase1); n == 0 {
			p = newPhase1(t.Domain)
		} else {
			var err error
			if p, err = decodePhase1(t.Phase1[n-1].Data, t.Domain); err != nil {
				return Contribution{}, fmt.Errorf("ceremony: phase 1 contribution %d: %w", n, err)
			}
		}
		if err := guard("ceremony: contribute", func() error { return p.contributeWith(beacon) }); err != nil {
			return Contribution{}, err
		}
		var err error
		if b, err = encodeState(p); err != nil {
			return Contribution{}, err
		}
		c := newContribution(b)
		t.Phase1 = append(t.Phase1, c)
		return c, nil
	case Phase2:
		prev := t.Phase2Init
		if n := len(t.Phase2); n > 0 {
			prev = t.Phase2[n-1]
		}
		p, err := decodePhase2(prev.Data)
		if err != nil {
			return Contribution{}, fmt.Errorf("ceremony: phase 2 state: %w", err)
		}
		if err := guard("ceremony: contribute", func() error { return contributePhase2(p, beacon) }); err != nil {
			return Contribution{}, err
		}
		if b, err = encodeState(p); err != nil {
			return Contribution{}, err
		}
		c := newContribution(b)
		t.Phase2 = append(t.Phase2, c)
		return c, nil
	}
	return Contribution{}, errors.New("ceremony: the transcript is final; it takes no more contributions")
}

// verified is what replaying a transcript yields.
type verified struct {
	cs    *csbn254.R1CS
	last1 *phase1 // last phase-1 state
	// commons is the part of the sealed phase 1 that sealing phase 2
	// reads (phase2Start.commons).
	commons mpcsetup.SrsCommons
	evals   mpcsetup.Phase2Evaluations
	last2   *mpcsetup.Phase2 // last phase-2 state
	// lagrange is the encoding of the Lagrange bases, when this party
	// computed them (initPhase2).
	lagrange []byte
}

// verifyPhase1 replays phase 1 and returns the last state.
func (t *Transcript) verifyPhase1() (*phase1, error) {
	prev := newPhase1(t.Domain)
	for i, c := range t.Phase1 {
		next, err := decodePhase1(c.Data, t.Domain)
		if err != nil {
			return nil, fmt.Errorf("%w: phase 1 contribution %d: %v", ErrInvalid, i+1, err)
		}
		if err := guard("verify", func() error { return prev.Verify(next) }); err != nil {
			return nil, fmt.Errorf("%w: phase 1 contribution %d (%s): %v", ErrInvalid, i+1, c.HashHex()[:16], err)
		}
		prev = next
	}
	return prev, nil
}

// replay verifies the transcript up to its current phase.
func (t *Transcript) replay() (*verified, error) {
	if err := t.checkHeader(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	cs, err := compile(t.Shape)
	if err != nil {
		return nil, err
	}
	if d := DomainSize(cs); d != t.Domain {
		return nil, fmt.Errorf("%w: domain size %d, the circuit of shape %s needs %d", ErrInvalid, t.Domain, t.Shape, d)
	}
	last1, err := t.verifyPhase1()
	if err != nil {
		return nil, err
	}
	v := &verified{cs: cs, last1: last1}
	if t.Phase == Phase1 {
		return v, nil
	}
	if len(t.Phase1) == 0 {
		return nil, fmt.Errorf("%w: phase 1 was sealed without contributions", ErrInvalid)
	}
	if err := v.acceptPhase2(last1, t); err != nil {
		return nil, err
	}
	for i, c := range t.Phase2 {
		next, err := decodePhase2(c.Data)
		if err != nil {
			return nil, fmt.Errorf("%w: phase 2 contribution %d: %v", ErrInvalid, i+1, err)
		}
		if err := guard("verify", func() error { return v.last2.Verify(next) }); err != nil {
			return nil, fmt.Errorf("%w: phase 2 contribution %d (%s): %v", ErrInvalid, i+1, c.HashHex()[:16], err)
		}
		v.last2 = next
	}
	return v, nil
}

// initPhase2 seals phase 1 with beacon and derives the Lagrange bases and
// the initial phase-2 state of the circuit: what the party that starts
// phase 2 computes. last1 is not modified.
func (v *verified) initPhase2(last1 *phase1, beacon []byte) error {
	return v.startPhase2(last1, beacon, true)
}

// startPhase2 is initPhase2; record says whether to keep the encoded
// Lagrange bases (for the transcript).
func (v *verified) startPhase2(last1 *phase1, beacon []byte, record bool) error {
	if nc, n := uint64(v.cs.GetNbConstraints()), uint64(len(last1.params.G2.Tau)); nc > n {
		return fmt.Errorf("ceremony: %d constraints do not fit the domain of %d", nc, n)
	}
	return guard("ceremony: start phase 2", func() error {
		st, err := computePhase2Start(last1, beacon)
		if err != nil {
			return err
		}
		v.last2, v.evals = initialize(v.cs, st)
		v.commons = st.commons()
		if record {
			v.lagrange = st.lag.encode()
		}
		return nil
	})
}

// acceptPhase2 checks the initial phase-2 state that t records against
// the verified phase 1 and adopts it. A version-2 transcript's Lagrange
// bases are checked with a random linear combination and the state is
// derived from them; a version-1 transcript's are recomputed.
func (v *verified) acceptPhase2(last1 *phase1, t *Transcript) error {
	mismatch := fmt.Errorf("%w: the initial phase-2 state does not follow from phase 1 and the circuit of shape %s", ErrInvalid, t.Shape)
	if len(t.Lagrange.Data) == 0 {
		if t.version() != formatV1 {
			return fmt.Errorf("%w: the transcript has no Lagrange bases", ErrInvalid)
		}
		if err := v.startPhase2(last1, t.Beacon1, false); err != nil {
			return err
		}
		if !bytes.Equal(v.last2Bytes(), t.Phase2Init.Data) {
			return mismatch
		}
		return nil
	}
	lag, err := decodeLagrange(t.Lagrange.Data, t.Domain)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	z, err := phase2Z(t.Phase2Init.Data, t.Domain)
	if err != nil {
		return fmt.Errorf("%w: initial %v", ErrInvalid, err)
	}
	if nc := uint64(v.cs.GetNbConstraints()); nc > t.Domain {
		return fmt.Errorf("%w: %d constraints do not fit the domain of %d", ErrInvalid, nc, t.Domain)
	}
	var st *phase2Start
	if err := guard("ceremony: check the Lagrange bases", func() (err error) {
		st, err = checkPhase2Start(last1, t.Beacon1, lag, z)
		return err
	}); err != nil {
		if errors.Is(err, errLagrange) {
			return fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		return err
	}
	if err := guard("ceremony: start phase 2", func() error {
		v.last2, v.evals = initialize(v.cs, st)
		v.commons = st.commons()
		return nil
	}); err != nil {
		return err
	}
	if !bytes.Equal(v.last2Bytes(), t.Phase2Init.Data) {
		return mismatch
	}
	return nil
}

func (v *verified) last2Bytes() []byte {
	b, err := encodeState(v.last2)
	if err != nil {
		return nil
	}
	return b
}

// seal seals phase 2 with beacon and returns the keys of the shape.
func (v *verified) seal(s circuits.Shape, beacon []byte, ceremonyHash string) (*prover.Keys, error) {
	var pk groth16.ProvingKey
	var vk groth16.VerifyingKey
	if err := guard("ceremony: seal phase 2", func() error {
		p, k, err := sealPhase2(v.last2, &v.commons, &v.evals, beacon)
		pk, vk = p, k
		return err
	}); err != nil {
		return nil, err
	}
	return prover.NewKeys(s, prover.KeyModeCeremony, ceremonyHash, v.cs, pk, vk)
}

// StartPhase2 verifies phase 1 (it needs at least one contribution), seals
// it with the optional public beacon, and records the circuit's initial
// phase-2 state, moving the transcript to Phase2.
func (t *Transcript) StartPhase2(beacon []byte) error {
	if t.Phase != Phase1 {
		return fmt.Errorf("ceremony: the transcript is in %s, not phase1", t.Phase)
	}
	if len(t.Phase1) == 0 {
		return errors.New("ceremony: phase 1 has no contributions yet")
	}
	if len(beacon) > MaxBeacon {
		return fmt.Errorf("ceremony: beacon longer than %d bytes", MaxBeacon)
	}
	v, err := t.replay()
	if err != nil {
		return err
	}
	if err := v.initPhase2(v.last1, beacon); err != nil {
		return err
	}
	return t.recordPhase2Start(v, beacon)
}

// recordPhase2Start records in t the beacon that sealed phase 1, the
// initial phase-2 state v derived and, from version 2, the Lagrange bases,
// and moves t to Phase2.
func (t *Transcript) recordPhase2Start(v *verified, beacon []byte) error {
	b := v.last2Bytes()
	if b == nil {
		return errors.New("ceremony: cannot encode the initial phase-2 state")
	}
	t.Beacon1 = bytes.Clone(beacon)
	t.Phase2Init = newContribution(b)
	if t.version() >= FormatVersion {
		t.Lagrange = newContribution(v.lagrange)
	}
	t.Phase = Phase2
	return nil
}

// Finalize verifies the whole phase-2 transcript (it needs at least one
// phase-2 contribution), seals phase 2 with the optional public beacon and
// returns the ceremony keys. The transcript becomes final: it records the
// beacon and the vk fingerprint, and its Hash is the keys' Ceremony.
func (t *Transcript) Finalize(beacon []byte) (*prover.Keys, error) {
	if t.Phase != Phase2 {
		return nil, fmt.Errorf("ceremony: the transcript is in %s, not phase2", t.Phase)
	}
	if len(t.Phase2) == 0 {
		return nil, errors.New("ceremony: phase 2 has no contributions yet")
	}
	if len(beacon) > MaxBeacon {
		return nil, fmt.Errorf("ceremony: beacon longer than %d bytes", MaxBeacon)
	}
	v, err := t.replay()
	if err != nil {
		return nil, err
	}
	return t.finish(v, beacon)
}

// finish seals the verified phase 2 and makes t final.
func (t *Transcript) finish(v *verified, beacon []byte) (*prover.Keys, error) {
	keys, err := v.seal(t.Shape, beacon, "")
	if err != nil {
		return nil, err
	}
	fp, err := hex.DecodeString(keys.VK.Fingerprint())
	if err != nil || len(fp) != 32 {
		return nil, errors.New("ceremony: verifying key fingerprint is not 32 bytes of hex")
	}
	t.Beacon2 = bytes.Clone(beacon)
	copy(t.VKFingerprint[:], fp)
	t.Phase = PhaseFinal
	keys.Ceremony = t.Hash()
	return keys, nil
}

// Verify checks every contribution of the transcript with mpcsetup's
// verification, that the initial phase-2 state follows from phase 1 and the
// circuit, and, for a final transcript, that the keys it determines have the
// recorded vk fingerprint; it then returns those keys (nil before the final
// phase). Errors about the transcript's content wrap ErrInvalid.
func (t *Transcript) Verify() (*prover.Keys, error) {
	if t.Phase == PhaseFinal && len(t.Phase2) == 0 {
		return nil, fmt.Errorf("%w: phase 2 was sealed without contributions", ErrInvalid)
	}
	v, err := t.replay()
	if err != nil || t.Phase != PhaseFinal {
		return nil, err
	}
	keys, err := v.seal(t.Shape, t.Beacon2, t.Hash())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if keys.VK.Fingerprint() != hex.EncodeToString(t.VKFingerprint[:]) {
		return nil, fmt.Errorf("%w: the transcript determines vk %s, it records %x", ErrInvalid, keys.VK.Fingerprint(), t.VKFingerprint)
	}
	return keys, nil
}

// CheckKeys checks that keys come from the final transcript t: ceremony
// mode, the same shape, the keys' ceremony hash is t's hash, and their vk
// fingerprint is the one t records. With a transcript that passed Verify,
// this ties the keys to the verified ceremony.
func CheckKeys(t *Transcript, keys *prover.Keys) error {
	switch {
	case t == nil || keys == nil || keys.VK == nil:
		return errors.New("ceremony: nil transcript or keys")
	case t.Phase != PhaseFinal:
		return fmt.Errorf("ceremony: the transcript is in %s, not final", t.Phase)
	case keys.Mode != prover.KeyModeCeremony:
		return fmt.Errorf("ceremony: keys are %s keys, not ceremony keys", keys.Mode)
	case keys.Shape != t.Shape:
		return fmt.Errorf("ceremony: keys are for shape %s, the ceremony for %s", keys.Shape, t.Shape)
	case keys.Ceremony != t.Hash():
		return fmt.Errorf("ceremony: keys name ceremony %q, the transcript's hash is %s", keys.Ceremony, t.Hash())
	case keys.VK.Fingerprint() != hex.EncodeToString(t.VKFingerprint[:]):
		return fmt.Errorf("ceremony: verifying key %s is not the one the ceremony produced (%x)", keys.VK.Fingerprint(), t.VKFingerprint)
	}
	return nil
}

// Contains reports whether the transcript records a contribution (of either
// phase) with the given SHA-256 in hex. A party checks with it that its own
// contributions, whose hashes Contribute printed, made it into the
// transcript it is about to trust.
func (t *Transcript) Contains(hash string) bool {
	for _, cs := range [][]Contribution{t.Phase1, t.Phase2} {
		for _, c := range cs {
			if c.HashHex() == hash {
				return true
			}
		}
	}
	return false
}
