package ceremony

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
)

// Sizes of compressed BN254 encodings, as gnark-crypto writes them.
const (
	g1Size    = 32
	g2Size    = 64
	proofSize = g1Size + g2Size // mpcsetup.UpdateProof
	hashSize  = 32
)

// phase1Size is the size of the canonical (compressed) encoding of a
// phase-1 contribution for domain n: three update proofs, the domain size,
// [β]₂, [τⁱ]₁ (i=1…2n-2), [τⁱ]₂ (i=1…n-1), [βτⁱ]₁ and [ατⁱ]₁ (i=0…n-1), and
// a 32-byte challenge.
func phase1Size(n uint64) uint64 {
	return 3*proofSize + 8 + g2Size + (2*n-2)*g1Size + (n-1)*g2Size + 2*n*g1Size + 1 + hashSize
}

// Phase1Size returns the size in bytes of one phase-1 contribution for
// domain n (a transcript holds one per contribution).
func Phase1Size(n uint64) uint64 { return phase1Size(n) }

// decodePhase1 decodes one phase-1 contribution for domain n. It checks the
// size and the embedded domain size before gnark allocates anything, turns
// decoder panics into errors, and requires the canonical encoding (so that
// the recorded hash is the challenge mpcsetup computes).
func decodePhase1(b []byte, n uint64) (*phase1, error) {
	if want := phase1Size(n); uint64(len(b)) != want {
		return nil, fmt.Errorf("phase-1 state has %d bytes, domain %d wants %d", len(b), n, want)
	}
	if got := binary.BigEndian.Uint64(b[3*proofSize:]); got != n {
		return nil, fmt.Errorf("phase-1 state is for domain %d, the transcript's is %d", got, n)
	}
	if b[len(b)-hashSize-1] != hashSize {
		return nil, fmt.Errorf("phase-1 state's challenge is not %d bytes", hashSize)
	}
	p, err := decodePhase1Points(b, n)
	if err != nil {
		return nil, fmt.Errorf("phase-1 state: %w", err)
	}
	var proofs bytes.Buffer
	for i := range p.proofs {
		if _, err := p.proofs[i].WriteTo(&proofs); err != nil {
			return nil, fmt.Errorf("phase-1 state: %w", err)
		}
	}
	if !bytes.Equal(proofs.Bytes(), b[:3*proofSize]) {
		return nil, errors.New("phase-1 state: update proofs not canonically encoded")
	}
	return p, nil
}

// scanPhase2 walks the canonical (compressed) encoding of a phase-2 state
// and checks that every length prefix fits the bytes that follow, so that
// gnark's decoder cannot be made to allocate more than the input's size.
// It returns the number of commitments.
func scanPhase2(b []byte) (int, error) {
	r := b
	take := func(n uint64) bool {
		if n > uint64(len(r)) {
			return false
		}
		r = r[n:]
		return true
	}
	slice := func() bool {
		if len(r) < 4 {
			return false
		}
		n := uint64(binary.BigEndian.Uint32(r))
		return take(4) && take(n*g1Size)
	}
	if len(r) < 2 {
		return 0, fmt.Errorf("phase-2 state truncated")
	}
	nbC := int(binary.BigEndian.Uint16(r))
	ok := take(2) && take(g1Size) && slice() && slice() && take(g2Size)
	for i := 0; ok && i < nbC; i++ {
		ok = slice()
	}
	ok = ok && take(uint64(nbC)*g2Size) && take(proofSize) && take(uint64(nbC)*proofSize) && take(1)
	if !ok {
		return 0, fmt.Errorf("phase-2 state truncated or not canonically encoded")
	}
	if ch := int(b[len(b)-len(r)-1]); ch != len(r) || (ch != 0 && ch != hashSize) {
		return 0, fmt.Errorf("phase-2 state has a %d-byte challenge and %d bytes after it", ch, len(r))
	}
	return nbC, nil
}

// decodePhase2 decodes one phase-2 state (bounded, panic-safe, canonical).
func decodePhase2(b []byte) (*mpcsetup.Phase2, error) {
	if _, err := scanPhase2(b); err != nil {
		return nil, err
	}
	p := new(mpcsetup.Phase2)
	if err := safeReadFrom(p, b); err != nil {
		return nil, fmt.Errorf("phase-2 state: %w", err)
	}
	return p, nil
}

// readerWriter is what the mpcsetup states implement.
type readerWriter interface {
	io.ReaderFrom
	io.WriterTo
}

// safeReadFrom decodes b into v, requires it to consume all of b and to
// re-encode to exactly b, and turns a decoder panic into an error.
func safeReadFrom(v readerWriter, b []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed encoding (decoder panicked: %v)", r)
		}
	}()
	n, err := v.ReadFrom(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("malformed encoding: %w", err)
	}
	if n != int64(len(b)) {
		return fmt.Errorf("malformed encoding: read %d of %d bytes", n, len(b))
	}
	again, err := encodeState(v)
	if err != nil {
		return err
	}
	if !bytes.Equal(again, b) {
		return fmt.Errorf("not canonically encoded")
	}
	return nil
}

// encodeState returns a state's gnark encoding; panics become errors.
func encodeState(v io.WriterTo) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("encode: %v", r)
		}
	}()
	var buf bytes.Buffer
	if _, err := v.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return buf.Bytes(), nil
}

// guard runs fn and turns a panic (mpcsetup panics on some malformed
// inputs) into an error.
func guard(what string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: %v", what, r)
		}
	}()
	return fn()
}
