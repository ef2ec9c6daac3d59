package ceremony

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/fsutil"
)

// Magic opens every transcript file.
const Magic = "ZKLORA-CEREMONY\n"

// FormatVersion is the version of the transcript encoding this package
// writes. Version 2 added the Lagrange bases after the initial phase-2
// state; Decode also reads version 1 transcripts (whose initial phase-2
// state verifiers recompute) and re-encodes them unchanged.
const FormatVersion = 2

// formatV1 is the first transcript encoding, without Lagrange bases.
const formatV1 = 1

// Limits on what Decode accepts, checked before anything is allocated.
const (
	// MaxLogDomain bounds the FFT domain: 2^MaxLogDomain constraints.
	MaxLogDomain = 22
	// MaxContributions bounds the contributions of each phase.
	MaxContributions = 256
	// MaxBeacon bounds a beacon's length in bytes.
	MaxBeacon = 1024
	// MaxFileSize bounds a transcript file.
	MaxFileSize = 64 << 30
)

// Phase is the stage a transcript has reached.
type Phase uint8

const (
	// Phase1 collects powers-of-tau contributions.
	Phase1 Phase = 1
	// Phase2 collects circuit-specific contributions.
	Phase2 Phase = 2
	// PhaseFinal marks a sealed transcript that determines the keys.
	PhaseFinal Phase = 3
)

// String names the phase.
func (p Phase) String() string {
	switch p {
	case Phase1:
		return "phase1"
	case Phase2:
		return "phase2"
	case PhaseFinal:
		return "final"
	}
	return fmt.Sprintf("phase(%d)", uint8(p))
}

// Contribution is one encoded mpcsetup state (gnark's Phase1 or Phase2
// WriteTo encoding) and its SHA-256, which is the challenge the next
// contribution must answer.
type Contribution struct {
	Data []byte
	Hash [32]byte
}

// HashHex returns the contribution's hash in hex.
func (c Contribution) HashHex() string { return hex.EncodeToString(c.Hash[:]) }

func newContribution(b []byte) Contribution {
	return Contribution{Data: b, Hash: sha256.Sum256(b)}
}

// Transcript is the state and record of one ceremony for one shape.
type Transcript struct {
	// Version is the encoding version (0 means FormatVersion); a decoded
	// transcript keeps the version it was written with, so that its hash
	// does not change.
	Version uint16
	Shape   circuits.Shape
	Domain  uint64 // FFT domain size, a power of two
	Phase   Phase

	Phase1 []Contribution
	// Beacon1 sealed phase 1 (Phase ≥ Phase2); it may be empty.
	Beacon1 []byte
	// Phase2Init is the initial phase-2 state derived from the sealed
	// phase 1 and the circuit (Phase ≥ Phase2). Verify derives it again
	// from the checked Lagrange bases (version 2) or recomputes it
	// (version 1).
	Phase2Init Contribution
	// Lagrange holds the Lagrange bases of the sealed phase 1 over the
	// circuit's domain (Phase ≥ Phase2, version 2): the party that starts
	// phase 2 computes them, every verifier checks them with a random
	// linear combination and derives Phase2Init from them.
	Lagrange Contribution
	Phase2   []Contribution
	// Beacon2 sealed phase 2 (PhaseFinal); it may be empty.
	Beacon2 []byte
	// VKFingerprint is the fingerprint of the verifying key the final
	// transcript determines (PhaseFinal).
	VKFingerprint [32]byte
}

// Hash returns the SHA-256 of the transcript's encoding, in hex. For a final
// transcript this is the ceremony hash that its keys carry.
func (t *Transcript) Hash() string {
	h := sha256.New()
	if err := t.encode(h); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Encode returns the transcript's file encoding.
func (t *Transcript) Encode() ([]byte, error) {
	var b bytes.Buffer
	if err := t.encode(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteTo writes the transcript's file encoding to w.
func (t *Transcript) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	err := t.encode(cw)
	return cw.n, err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// checkHeader checks the fields every transcript has.
func (t *Transcript) checkHeader() error {
	if v := t.version(); v != formatV1 && v != FormatVersion {
		return fmt.Errorf("ceremony: transcript format version %d, this build reads %d and %d", v, formatV1, FormatVersion)
	}
	if t.version() == formatV1 && len(t.Lagrange.Data) != 0 {
		return errors.New("ceremony: a version 1 transcript has no Lagrange bases")
	}
	if err := t.Shape.Validate(); err != nil {
		return fmt.Errorf("ceremony: %w", err)
	}
	if t.Domain < 2 || t.Domain > 1<<MaxLogDomain || t.Domain&(t.Domain-1) != 0 {
		return fmt.Errorf("ceremony: domain size %d is not a power of two in [2, 2^%d]", t.Domain, MaxLogDomain)
	}
	if t.Phase < Phase1 || t.Phase > PhaseFinal {
		return fmt.Errorf("ceremony: unknown phase %d", t.Phase)
	}
	if len(t.Phase1) > MaxContributions || len(t.Phase2) > MaxContributions {
		return fmt.Errorf("ceremony: more than %d contributions in a phase", MaxContributions)
	}
	if len(t.Beacon1) > MaxBeacon || len(t.Beacon2) > MaxBeacon {
		return fmt.Errorf("ceremony: beacon longer than %d bytes", MaxBeacon)
	}
	if t.Phase == Phase1 && (len(t.Beacon1) != 0 || len(t.Phase2Init.Data) != 0 || len(t.Lagrange.Data) != 0 || len(t.Phase2) != 0) {
		return errors.New("ceremony: a phase-1 transcript has phase-2 data")
	}
	if t.Phase != PhaseFinal && (len(t.Beacon2) != 0 || t.VKFingerprint != [32]byte{}) {
		return errors.New("ceremony: an unfinished transcript has final data")
	}
	return nil
}

// checkComplete is checkHeader plus what only a whole transcript has: the
// Lagrange bases of a version-2 transcript past phase 1.
func (t *Transcript) checkComplete() error {
	if err := t.checkHeader(); err != nil {
		return err
	}
	if t.Phase >= Phase2 && t.version() >= FormatVersion && len(t.Lagrange.Data) == 0 {
		return errors.New("ceremony: a version 2 transcript in phase 2 or later needs its Lagrange bases")
	}
	return nil
}

// version returns the transcript's encoding version.
func (t *Transcript) version() uint16 {
	if t.Version == 0 {
		return FormatVersion
	}
	return t.Version
}

func (t *Transcript) encode(w io.Writer) error {
	if err := t.checkComplete(); err != nil {
		return err
	}
	e := &encoder{w: w}
	e.bytes([]byte(Magic))
	e.u16(t.version())
	e.u8(uint8(t.Phase))
	e.u32(uint32(t.Shape.D))
	e.u32(uint32(t.Shape.R))
	e.u32(uint32(t.Shape.O))
	e.u64(t.Domain)
	e.contributions(t.Phase1)
	if t.Phase >= Phase2 {
		e.short(t.Beacon1)
		e.contribution(t.Phase2Init)
		if t.version() >= FormatVersion {
			e.contribution(t.Lagrange)
		}
		e.contributions(t.Phase2)
	}
	if t.Phase == PhaseFinal {
		e.short(t.Beacon2)
		e.bytes(t.VKFingerprint[:])
	}
	return e.err
}

type encoder struct {
	w   io.Writer
	err error
}

func (e *encoder) bytes(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}
func (e *encoder) u8(v uint8) { e.bytes([]byte{v}) }
func (e *encoder) u16(v uint16) {
	e.bytes(binary.BigEndian.AppendUint16(nil, v))
}
func (e *encoder) u32(v uint32) {
	e.bytes(binary.BigEndian.AppendUint32(nil, v))
}
func (e *encoder) u64(v uint64) {
	e.bytes(binary.BigEndian.AppendUint64(nil, v))
}
func (e *encoder) short(b []byte) { e.u16(uint16(len(b))); e.bytes(b) }
func (e *encoder) contribution(c Contribution) {
	e.u64(uint64(len(c.Data)))
	e.bytes(c.Hash[:])
	e.bytes(c.Data)
}
func (e *encoder) contributions(cs []Contribution) {
	e.u16(uint16(len(cs)))
	for _, c := range cs {
		e.contribution(c)
	}
}

// Decode parses a transcript file strictly: magic, version, a valid shape
// and domain, bounded counts and lengths (checked against the bytes left
// before anything is allocated), each contribution's hash, and no trailing
// bytes. It does not verify the contributions themselves (Verify does).
func Decode(b []byte) (*Transcript, error) {
	if int64(len(b)) > MaxFileSize {
		return nil, fmt.Errorf("ceremony: transcript of %d bytes, more than %d", len(b), int64(MaxFileSize))
	}
	d := &decoder{b: b}
	if string(d.take(len(Magic), "magic")) != Magic {
		if d.err != nil {
			return nil, d.err
		}
		return nil, errors.New("ceremony: not a zklora ceremony transcript (bad magic)")
	}
	v := d.u16("version")
	if d.err == nil && v != formatV1 && v != FormatVersion {
		return nil, fmt.Errorf("ceremony: transcript format version %d, this build reads %d and %d", v, formatV1, FormatVersion)
	}
	t := &Transcript{Version: v}
	t.Phase = Phase(d.u8("phase"))
	t.Shape.D = int(d.u32("shape"))
	t.Shape.R = int(d.u32("shape"))
	t.Shape.O = int(d.u32("shape"))
	t.Domain = d.u64("domain size")
	if d.err != nil {
		return nil, d.err
	}
	if err := t.checkHeader(); err != nil {
		return nil, err
	}
	t.Phase1 = d.contributions("phase 1")
	if t.Phase >= Phase2 {
		t.Beacon1 = d.short("phase-1 beacon")
		t.Phase2Init = d.contribution("initial phase-2 state")
		if v >= FormatVersion {
			t.Lagrange = d.contribution("Lagrange bases")
		}
		t.Phase2 = d.contributions("phase 2")
	}
	if t.Phase == PhaseFinal {
		t.Beacon2 = d.short("phase-2 beacon")
		copy(t.VKFingerprint[:], d.take(32, "vk fingerprint"))
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("ceremony: %d trailing bytes after the transcript", len(d.b))
	}
	if err := t.checkComplete(); err != nil {
		return nil, err
	}
	return t, nil
}

// ReadFile reads and decodes a transcript file.
func ReadFile(path string) (*Transcript, error) {
	b, err := fsutil.ReadFileLimited(path, MaxFileSize)
	if err != nil {
		return nil, err
	}
	t, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.err = fmt.Errorf("ceremony: transcript truncated at byte %d: %s needs %d bytes, %d left", d.off, what, n, len(d.b))
		return nil
	}
	r := d.b[:n:n]
	d.b = d.b[n:]
	d.off += n
	return r
}

func (d *decoder) u8(what string) uint8 {
	if b := d.take(1, what); b != nil {
		return b[0]
	}
	return 0
}
func (d *decoder) u16(what string) uint16 {
	if b := d.take(2, what); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}
func (d *decoder) u32(what string) uint32 {
	if b := d.take(4, what); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}
func (d *decoder) u64(what string) uint64 {
	if b := d.take(8, what); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

func (d *decoder) short(what string) []byte {
	n := d.u16(what)
	if d.err == nil && n > MaxBeacon {
		d.err = fmt.Errorf("ceremony: %s of %d bytes, more than %d", what, n, MaxBeacon)
	}
	return bytes.Clone(d.take(int(n), what))
}

func (d *decoder) contribution(what string) Contribution {
	n := d.u64(what + " length")
	if d.err != nil {
		return Contribution{}
	}
	if n == 0 || n > uint64(len(d.b)) {
		d.err = fmt.Errorf("ceremony: %s: length %d does not fit the %d bytes left (truncated?)", what, n, len(d.b))
		return Contribution{}
	}
	var c Contribution
	copy(c.Hash[:], d.take(32, what+" hash"))
	c.Data = d.take(int(n), what)
	if d.err != nil {
		return Contribution{}
	}
	if sha256.Sum256(c.Data) != c.Hash {
		d.err = fmt.Errorf("ceremony: %s is corrupt: its SHA-256 differs from the recorded hash", what)
		return Contribution{}
	}
	return c
}

func (d *decoder) contributions(phase string) []Contribution {
	n := d.u16(phase + " contribution count")
	if d.err != nil {
		return nil
	}
	if n > MaxContributions {
		d.err = fmt.Errorf("ceremony: %s has %d contributions, more than %d", phase, n, MaxContributions)
		return nil
	}
	cs := make([]Contribution, 0, n)
	for i := 0; i < int(n) && d.err == nil; i++ {
		cs = append(cs, d.contribution(fmt.Sprintf("%s contribution %d", phase, i+1)))
	}
	return cs
}
