package ceremony

import (
	"fmt"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/prover"
)

// RunLocal runs a whole ceremony for shape s in process, with the given
// number of parties (at least 2) contributing to each phase with fresh
// crypto/rand entropy, and no beacons. It is for the demo, where both
// parties run in one process: it records a full transcript but does not
// re-verify its own contributions (Verify can, later). It returns the
// ceremony keys and the final transcript.
func RunLocal(s circuits.Shape, parties int) (*prover.Keys, *Transcript, error) {
	if parties < 2 || parties > MaxContributions {
		return nil, nil, fmt.Errorf("ceremony: %d parties, want 2 to %d", parties, MaxContributions)
	}
	t, err := Init(s)
	if err != nil {
		return nil, nil, err
	}
	cs, err := compile(s)
	if err != nil {
		return nil, nil, err
	}
	p1 := newPhase1(t.Domain)
	for i := 0; i < parties; i++ {
		if err := guard("ceremony: contribute", func() error { p1.Contribute(); return nil }); err != nil {
			return nil, nil, err
		}
		b, err := encodeState(p1)
		if err != nil {
			return nil, nil, err
		}
		t.Phase1 = append(t.Phase1, newContribution(b))
	}
	v := &verified{cs: cs, last1: p1}
	if err := v.initPhase2(p1, nil); err != nil {
		return nil, nil, err
	}
	if err := t.recordPhase2Start(v, nil); err != nil {
		return nil, nil, err
	}
	for i := 0; i < parties; i++ {
		if err := guard("ceremony: contribute", func() error { v.last2.Contribute(); return nil }); err != nil {
			return nil, nil, err
		}
		b, err := encodeState(v.last2)
		if err != nil {
			return nil, nil, err
		}
		t.Phase2 = append(t.Phase2, newContribution(b))
	}
	keys, err := t.finish(v, nil)
	if err != nil {
		return nil, nil, err
	}
	return keys, t, nil
}
