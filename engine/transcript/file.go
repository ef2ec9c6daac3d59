package transcript

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/fsutil"
)

// WriteTo writes the transcript in the binary file format (see the package
// doc). It refuses a transcript that does not validate, so that whatever it
// writes decodes.
func (t *Transcript) WriteTo(w io.Writer) (int64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.validateLocked(); err != nil {
		return 0, err
	}
	cw := &countingWriter{w: bufio.NewWriterSize(w, 1<<16)}
	b := []byte(fileMagic)
	b = binary.LittleEndian.AppendUint16(b, FormatVersion)
	b = appendLP(b, []byte(t.SessionID))
	b = appendLP(b, t.Nonce)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(t.Modules)))
	for i := range t.Modules {
		b = appendModule(b, &t.Modules[i])
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(t.Calls)))
	if _, err := cw.Write(b); err != nil {
		return cw.n, err
	}
	buf := make([]byte, 0, 1<<16)
	for i := range t.Calls {
		c := &t.Calls[i]
		b = appendLP(b[:0], []byte(c.Module))
		b = binary.LittleEndian.AppendUint32(b, c.Index)
		b = binary.LittleEndian.AppendUint32(b, uint32(c.Rows))
		if _, err := cw.Write(b); err != nil {
			return cw.n, err
		}
		if err := writeValues(cw, buf, c.X, c.Z, false); err != nil {
			return cw.n, err
		}
	}
	return cw.n, cw.w.(*bufio.Writer).Flush()
}

// Save writes the transcript to path, crash-safe (engine/fsutil).
func (t *Transcript) Save(path string) error {
	return fsutil.WriteFileAtomic(path, 0o644, func(w io.Writer) error {
		_, err := t.WriteTo(w)
		return err
	})
}

// Load reads and validates a transcript file with the default limits.
func Load(path string) (*Transcript, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("transcript: %w", err)
	}
	defer f.Close()
	t, err := Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return t, nil
}

// Decode reads one transcript in the binary file format with the default
// limits. The reader must end right after it: trailing bytes are an error.
func Decode(r io.Reader) (*Transcript, error) {
	return DecodeWithLimits(r, Limits{})
}

// DecodeWithLimits is Decode with explicit size limits (zero fields mean
// the defaults). The decoded transcript keeps these limits for Append.
func DecodeWithLimits(r io.Reader, l Limits) (*Transcript, error) {
	t := &Transcript{}
	if _, err := t.readFrom(r, l.withDefaults()); err != nil {
		return nil, err
	}
	return t, nil
}

// ReadFrom replaces t with the transcript read from r (binary file format,
// nothing after it), under t's limits (the defaults if none were set). On
// error t is unchanged.
func (t *Transcript) ReadFrom(r io.Reader) (int64, error) {
	t.mu.Lock()
	lim := t.limits.withDefaults()
	t.mu.Unlock()
	return t.readFrom(r, lim)
}

func (t *Transcript) readFrom(r io.Reader, lim Limits) (int64, error) {
	d := &decoder{r: bufio.NewReaderSize(r, 1<<16)}
	nt, err := d.transcript(lim)
	if err != nil {
		return d.n, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.SessionID, t.Nonce, t.Modules, t.Calls = nt.SessionID, nt.Nonce, nt.Modules, nt.Calls
	t.limits = lim
	t.reindexLocked()
	return d.n, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// decoder reads the file format with bounded allocations.
type decoder struct {
	r   *bufio.Reader
	n   int64
	tmp [8]byte
}

// errTruncated marks an input that ends early.
var errTruncated = errors.New("truncated")

func (d *decoder) full(p []byte) error {
	n, err := io.ReadFull(d.r, p)
	d.n += int64(n)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errTruncated
	}
	return err
}

func (d *decoder) u16() (uint16, error) {
	if err := d.full(d.tmp[:2]); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint16(d.tmp[:2]), nil
}

func (d *decoder) u32() (uint32, error) {
	if err := d.full(d.tmp[:4]); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(d.tmp[:4]), nil
}

// lp reads a length-prefixed byte string of at most max bytes.
func (d *decoder) lp(max int, what string) ([]byte, error) {
	n, err := d.u32()
	if err != nil {
		return nil, fmt.Errorf("%s: length: %w", what, err)
	}
	if int64(n) > int64(max) {
		return nil, fmt.Errorf("%s: %d bytes, at most %d allowed", what, n, max)
	}
	b := make([]byte, n)
	if err := d.full(b); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return b, nil
}

// int16s reads n int16 values in bounded chunks.
func (d *decoder) int16s(n int64) ([]int16, error) {
	out := make([]int16, 0, min(n, maxBulkChunkValues))
	buf := make([]byte, 2*min(n, maxBulkChunkValues))
	for remaining := n; remaining > 0; {
		k := min(remaining, maxBulkChunkValues)
		if err := d.full(buf[:2*k]); err != nil {
			return nil, err
		}
		for i := int64(0); i < k; i++ {
			out = append(out, int16(binary.LittleEndian.Uint16(buf[2*i:])))
		}
		remaining -= k
	}
	return out, nil
}

// int64s reads n int64 values in bounded chunks.
func (d *decoder) int64s(n int64) ([]int64, error) {
	out := make([]int64, 0, min(n, maxBulkChunkValues))
	buf := make([]byte, 8*min(n, maxBulkChunkValues))
	for remaining := n; remaining > 0; {
		k := min(remaining, maxBulkChunkValues)
		if err := d.full(buf[:8*k]); err != nil {
			return nil, err
		}
		for i := int64(0); i < k; i++ {
			out = append(out, int64(binary.LittleEndian.Uint64(buf[8*i:])))
		}
		remaining -= k
	}
	return out, nil
}

func (d *decoder) transcript(lim Limits) (*Transcript, error) {
	var magic [4]byte
	if err := d.full(magic[:]); err != nil {
		return nil, fmt.Errorf("transcript: magic: %w", err)
	}
	if string(magic[:]) != fileMagic {
		return nil, fmt.Errorf("transcript: not a transcript file (magic %q, want %q)", magic[:], fileMagic)
	}
	v, err := d.u16()
	if err != nil {
		return nil, fmt.Errorf("transcript: version: %w", err)
	}
	if v != FormatVersion {
		return nil, fmt.Errorf("transcript: unsupported format version %d (this build reads version %d)", v, FormatVersion)
	}
	sid, err := d.lp(MaxSessionIDLen, "session id")
	if err != nil {
		return nil, fmt.Errorf("transcript: %w", err)
	}
	nonce, err := d.lp(MaxNonceLen, "nonce")
	if err != nil {
		return nil, fmt.Errorf("transcript: %w", err)
	}
	nm, err := d.u32()
	if err != nil {
		return nil, fmt.Errorf("transcript: module count: %w", err)
	}
	if nm > MaxModules {
		return nil, fmt.Errorf("transcript: %d modules, at most %d allowed", nm, MaxModules)
	}
	mods := make([]Module, 0, nm)
	for i := uint32(0); i < nm; i++ {
		m, err := d.module()
		if err != nil {
			return nil, fmt.Errorf("transcript: module %d: %w", i, err)
		}
		mods = append(mods, m)
	}
	t, err := New(string(sid), mods)
	if err != nil {
		return nil, err
	}
	if len(nonce) > 0 {
		t.Nonce = nonce
	}
	t.limits = lim
	nc, err := d.u32()
	if err != nil {
		return nil, fmt.Errorf("transcript: call count: %w", err)
	}
	if nc > MaxCalls {
		return nil, fmt.Errorf("transcript: %d calls, at most %d allowed", nc, MaxCalls)
	}
	t.Calls = make([]Call, 0, min(nc, 1024))
	for i := uint32(0); i < nc; i++ {
		c, err := d.call(t, i, lim)
		if err != nil {
			return nil, err
		}
		// Append re-checks everything (duplicates, limits) and copies the
		// values; hand it ownership instead to avoid the copy.
		if err := t.add(c, false); err != nil {
			return nil, fmt.Errorf("%w (call #%d in the file)", err, i)
		}
	}
	var one [1]byte
	switch n, err := d.r.Read(one[:]); {
	case n > 0:
		return nil, errors.New("transcript: trailing data after the last call")
	case err != nil && err != io.EOF:
		return nil, fmt.Errorf("transcript: %w", err)
	case err == nil:
		// A reader may return 0, nil; ask once more.
		if _, err := d.r.Peek(1); err != io.EOF {
			return nil, errors.New("transcript: trailing data after the last call")
		}
	}
	return t, nil
}

func (d *decoder) module() (Module, error) {
	name, err := d.lp(MaxNameLen, "name")
	if err != nil {
		return Module{}, err
	}
	var dims [3]uint32
	for i := range dims {
		if dims[i], err = d.u32(); err != nil {
			return Module{}, fmt.Errorf("%q: shape: %w", name, err)
		}
		if dims[i] > circuits.MaxDim {
			return Module{}, fmt.Errorf("%q: shape dimension %d above %d", name, dims[i], circuits.MaxDim)
		}
	}
	cm, err := d.lp(MaxCommitmentLen, "commitment")
	if err != nil {
		return Module{}, fmt.Errorf("%q: %w", name, err)
	}
	fp, err := d.lp(MaxFingerprintLen, "vk fingerprint")
	if err != nil {
		return Module{}, fmt.Errorf("%q: %w", name, err)
	}
	km, err := d.lp(MaxKeyModeLen, "key mode")
	if err != nil {
		return Module{}, fmt.Errorf("%q: %w", name, err)
	}
	if len(cm) == 0 {
		cm = nil
	}
	return Module{
		Name:          string(name),
		Shape:         circuits.Shape{D: int(dims[0]), R: int(dims[1]), O: int(dims[2])},
		Commitment:    cm,
		VKFingerprint: string(fp),
		KeyMode:       string(km),
	}, nil
}

// call reads call #i of the file; t holds the modules and what was read so
// far, for the limits.
func (d *decoder) call(t *Transcript, i uint32, lim Limits) (Call, error) {
	name, err := d.lp(MaxNameLen, "module name")
	if err != nil {
		return Call{}, fmt.Errorf("transcript: call #%d in the file: %w", i, err)
	}
	mod := string(name)
	mi, ok := t.modIdx[mod]
	if !ok {
		return Call{}, fmt.Errorf("transcript: call #%d in the file: module %q not announced", i, mod)
	}
	s := t.Modules[mi].Shape
	idx, err := d.u32()
	if err != nil {
		return Call{}, fmt.Errorf("transcript: call #%d in the file (module %q): index: %w", i, mod, err)
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("transcript: call %d of module %q: %s", idx, mod, fmt.Sprintf(format, args...))
	}
	rows, err := d.u32()
	if err != nil {
		return Call{}, fail("rows: %v", err)
	}
	if rows < 1 || rows > MaxCallRows {
		return Call{}, fail("%d rows, want 1 to %d", rows, MaxCallRows)
	}
	nx, nz := int64(rows)*int64(s.D), int64(rows)*int64(s.O)
	if t.rows+int64(rows) > lim.MaxRows || t.values+nx+nz > lim.MaxValues {
		return Call{}, fail("exceeds the limit of %d rows / %d values", lim.MaxRows, lim.MaxValues)
	}
	X, err := d.int16s(nx)
	if err != nil {
		return Call{}, fail("X: %v", err)
	}
	Z, err := d.int64s(nz)
	if err != nil {
		return Call{}, fail("Z: %v", err)
	}
	return Call{Module: mod, Index: idx, Rows: int(rows), X: X, Z: Z}, nil
}
