package ceremony

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/prover"
)

// Party is one participant's view of a ceremony in progress: the
// transcript so far and the mpcsetup states it has verified, so that each
// step verifies only what is new. Two parties exchanging transcripts (as
// files or over the A/B connection) each keep a Party: Accept verifies the
// peer's additions against what this party already holds, and Contribute,
// StartPhase2 and Finalize build on the verified state without decoding or
// replaying it again. A Party is not safe for concurrent use.
type Party struct {
	t     *Transcript
	v     verified
	hash  string // Transcript hash once final
	keys  *prover.Keys
	final bool
	// broken is set when a step failed part way: the verified state may
	// no longer match the transcript, so the party takes no more steps.
	broken error
}

// NewParty starts the ceremony of shape s (Init) as its first party.
func NewParty(s circuits.Shape) (*Party, error) {
	t, err := Init(s)
	if err != nil {
		return nil, err
	}
	cs, err := compile(s)
	if err != nil {
		return nil, err
	}
	return &Party{t: t, v: verified{cs: cs, last1: newPhase1(t.Domain)}}, nil
}

// JoinParty verifies the whole transcript t (as Verify does) and returns a
// Party holding it, ready to contribute or to accept later steps.
func JoinParty(t *Transcript) (*Party, error) {
	if err := t.checkHeader(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	p, err := NewParty(t.Shape)
	if err != nil {
		return nil, err
	}
	p.t.Version = t.version() // a version-1 transcript stays one
	if p.t.Domain != t.Domain {
		return nil, fmt.Errorf("%w: domain size %d, the circuit of shape %s needs %d", ErrInvalid, t.Domain, t.Shape, p.t.Domain)
	}
	if err := p.Accept(t); err != nil {
		return nil, err
	}
	return p, nil
}

// Transcript returns the party's current transcript. The caller must not
// modify it.
func (p *Party) Transcript() *Transcript { return p.t }

// Keys returns the ceremony keys once the transcript is final (nil before).
func (p *Party) Keys() *prover.Keys { return p.keys }

// Accept verifies next, a later version of the party's transcript sent by
// a peer, and adopts it. next must extend the party's transcript: the same
// shape, every contribution, beacon and initial phase-2 state the party
// holds, unchanged, followed by new contributions or phase changes, which
// Accept verifies with mpcsetup's checks (a new initial phase-2 state is
// derived from phase 1 and the circuit, through the recorded Lagrange
// bases, which a random linear combination checks; a final transcript's
// keys are re-derived and their vk fingerprint compared). Errors about next's
// content wrap ErrInvalid. A transcript that does not extend the party's is
// refused with no harm done; one that fails verification leaves the party
// unusable (the ceremony must restart), since its verified state may have
// moved on.
func (p *Party) Accept(next *Transcript) error {
	if p.broken != nil {
		return p.broken
	}
	if p.final {
		return errors.New("ceremony: the party's transcript is already final")
	}
	if err := p.checkExtends(next); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := p.accept(next); err != nil {
		p.broken = fmt.Errorf("ceremony: an earlier step failed (%v); start the ceremony again", err)
		return err
	}
	return nil
}

// accept verifies what next adds to the party's transcript and adopts it.
func (p *Party) accept(next *Transcript) error {
	cur := p.t
	for i := len(cur.Phase1); i < len(next.Phase1); i++ {
		if err := p.verify1(i, next.Phase1[i]); err != nil {
			return err
		}
	}
	if next.Phase >= Phase2 && cur.Phase == Phase1 {
		if len(next.Phase1) == 0 {
			return fmt.Errorf("%w: phase 1 was sealed without contributions", ErrInvalid)
		}
		if err := p.v.acceptPhase2(p.v.last1, next); err != nil {
			return err
		}
		p.v.last1 = nil
	}
	for i := len(cur.Phase2); i < len(next.Phase2); i++ {
		if err := p.verify2(i, next.Phase2[i]); err != nil {
			return err
		}
	}
	if next.Phase == PhaseFinal {
		if len(next.Phase2) == 0 {
			return fmt.Errorf("%w: phase 2 was sealed without contributions", ErrInvalid)
		}
		h := next.Hash()
		keys, err := p.v.seal(next.Shape, next.Beacon2, h)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		if keys.VK.Fingerprint() != hex.EncodeToString(next.VKFingerprint[:]) {
			return fmt.Errorf("%w: the transcript determines vk %s, it records %x", ErrInvalid, keys.VK.Fingerprint(), next.VKFingerprint)
		}
		p.keys, p.hash, p.final = keys, h, true
	}
	p.t = next
	return nil
}

// checkExtends checks that next keeps everything p's transcript holds.
func (p *Party) checkExtends(next *Transcript) error {
	cur := p.t
	if next == nil {
		return errors.New("no transcript")
	}
	if err := next.checkHeader(); err != nil {
		return err
	}
	switch {
	case next.version() != cur.version():
		return fmt.Errorf("transcript format version %d, this party's is %d", next.version(), cur.version())
	case next.Shape != cur.Shape || next.Domain != cur.Domain:
		return fmt.Errorf("transcript for shape %s (domain %d), the ceremony is for %s (domain %d)", next.Shape, next.Domain, cur.Shape, cur.Domain)
	case next.Phase < cur.Phase:
		return fmt.Errorf("transcript in %s, this party is already in %s", next.Phase, cur.Phase)
	case len(next.Phase1) < len(cur.Phase1) || len(next.Phase2) < len(cur.Phase2):
		return errors.New("transcript drops contributions this party holds")
	case cur.Phase >= Phase2 && len(next.Phase1) != len(cur.Phase1):
		return errors.New("transcript adds phase-1 contributions after phase 1 was sealed")
	}
	for i, c := range cur.Phase1 {
		if next.Phase1[i].Hash != c.Hash {
			return fmt.Errorf("phase 1 contribution %d differs from the one this party holds", i+1)
		}
	}
	if cur.Phase >= Phase2 {
		if !bytes.Equal(next.Beacon1, cur.Beacon1) || next.Phase2Init.Hash != cur.Phase2Init.Hash || next.Lagrange.Hash != cur.Lagrange.Hash {
			return errors.New("the phase-1 beacon, the initial phase-2 state or the Lagrange bases differ from the ones this party holds")
		}
		for i, c := range cur.Phase2 {
			if next.Phase2[i].Hash != c.Hash {
				return fmt.Errorf("phase 2 contribution %d differs from the one this party holds", i+1)
			}
		}
	}
	held := [][]Contribution{next.Phase1, next.Phase2}
	if next.Phase >= Phase2 {
		held = append(held, []Contribution{next.Phase2Init})
		if next.version() >= FormatVersion {
			held = append(held, []Contribution{next.Lagrange})
		}
	}
	for _, cs := range held {
		for _, c := range cs {
			if len(c.Data) == 0 || sha256.Sum256(c.Data) != c.Hash {
				return errors.New("a contribution's data is missing or does not match its hash")
			}
		}
	}
	return nil
}

// verify1 verifies the i-th phase-1 contribution on top of the last one.
func (p *Party) verify1(i int, c Contribution) error {
	next, err := decodePhase1(c.Data, p.t.Domain)
	if err != nil {
		return fmt.Errorf("%w: phase 1 contribution %d: %v", ErrInvalid, i+1, err)
	}
	if err := guard("verify", func() error { return p.v.last1.Verify(next) }); err != nil {
		return fmt.Errorf("%w: phase 1 contribution %d (%s): %v", ErrInvalid, i+1, c.HashHex()[:16], err)
	}
	p.v.last1 = next
	return nil
}

// verify2 verifies the i-th phase-2 contribution on top of the last state.
func (p *Party) verify2(i int, c Contribution) error {
	next, err := decodePhase2(c.Data)
	if err != nil {
		return fmt.Errorf("%w: phase 2 contribution %d: %v", ErrInvalid, i+1, err)
	}
	if err := guard("verify", func() error { return p.v.last2.Verify(next) }); err != nil {
		return fmt.Errorf("%w: phase 2 contribution %d (%s): %v", ErrInvalid, i+1, c.HashHex()[:16], err)
	}
	p.v.last2 = next
	return nil
}

// Contribute adds this party's contribution to the current phase, with
// fresh crypto/rand entropy, on top of the verified state, and returns it
// (its hash is what the party later checks with Contains).
func (p *Party) Contribute() (Contribution, error) {
	return p.ContributeWith(nil)
}

// ContributeWith is Contribute with the contributor's optional beacon mixed
// into the entropy (see Transcript.ContributeWith).
func (p *Party) ContributeWith(beacon []byte) (Contribution, error) {
	t := p.t
	if len(beacon) > MaxBeacon {
		return Contribution{}, fmt.Errorf("ceremony: beacon longer than %d bytes", MaxBeacon)
	}
	if p.broken != nil {
		return Contribution{}, p.broken
	}
	if p.final || t.Phase == PhaseFinal {
		return Contribution{}, errors.New("ceremony: the transcript is final; it takes no more contributions")
	}
	if len(t.Phase1) >= MaxContributions || len(t.Phase2) >= MaxContributions {
		return Contribution{}, fmt.Errorf("ceremony: already %d contributions", MaxContributions)
	}
	var (
		b   []byte
		err error
	)
	if t.Phase == Phase1 {
		if err = guard("ceremony: contribute", func() error { return p.v.last1.contributeWith(beacon) }); err != nil {
			return Contribution{}, err
		}
		b, err = encodeState(p.v.last1)
	} else {
		if err = guard("ceremony: contribute", func() error { return contributePhase2(p.v.last2, beacon) }); err != nil {
			return Contribution{}, err
		}
		b, err = encodeState(p.v.last2)
	}
	if err != nil {
		return Contribution{}, err
	}
	c := newContribution(b)
	next := *t
	if t.Phase == Phase1 {
		next.Phase1 = append(append([]Contribution(nil), t.Phase1...), c)
	} else {
		next.Phase2 = append(append([]Contribution(nil), t.Phase2...), c)
	}
	p.t = &next
	return c, nil
}

// StartPhase2 seals the verified phase 1 with the optional public beacon
// and records the circuit's initial phase-2 state (see
// Transcript.StartPhase2), without replaying phase 1.
func (p *Party) StartPhase2(beacon []byte) error {
	t := p.t
	switch {
	case p.broken != nil:
		return p.broken
	case t.Phase != Phase1:
		return fmt.Errorf("ceremony: the transcript is in %s, not phase1", t.Phase)
	case len(t.Phase1) == 0:
		return errors.New("ceremony: phase 1 has no contributions yet")
	case len(beacon) > MaxBeacon:
		return fmt.Errorf("ceremony: beacon longer than %d bytes", MaxBeacon)
	}
	if err := p.v.initPhase2(p.v.last1, beacon); err != nil {
		return err
	}
	next := *t
	if err := next.recordPhase2Start(&p.v, beacon); err != nil {
		return err
	}
	p.v.last1, p.v.lagrange = nil, nil
	p.t = &next
	return nil
}

// Finalize seals the verified phase 2 with the optional public beacon and
// returns the ceremony keys; the party's transcript becomes final (see
// Transcript.Finalize), without replaying the ceremony.
func (p *Party) Finalize(beacon []byte) (*prover.Keys, error) {
	t := p.t
	switch {
	case p.broken != nil:
		return nil, p.broken
	case t.Phase != Phase2:
		return nil, fmt.Errorf("ceremony: the transcript is in %s, not phase2", t.Phase)
	case len(t.Phase2) == 0:
		return nil, errors.New("ceremony: phase 2 has no contributions yet")
	case len(beacon) > MaxBeacon:
		return nil, fmt.Errorf("ceremony: beacon longer than %d bytes", MaxBeacon)
	}
	next := *t
	keys, err := next.finish(&p.v, beacon)
	if err != nil {
		return nil, err
	}
	p.t, p.keys, p.hash, p.final = &next, keys, next.Hash(), true
	return keys, nil
}
