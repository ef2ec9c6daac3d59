package server

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/fsutil"
	"github.com/zklora/zklora/engine/transcript"
)

// The session log is A's crash-safe, append-only record of one session:
//
//	"ZKLS" ‖ uint16 logVersion
//	then records: uint32 len ‖ body (len bytes) ‖ uint32 CRC-32C(body)
//
// little-endian, lp(b) = uint32 len(b) ‖ b. Bodies:
//
//	'H' header: lp(session id) ‖ lp(combine) ‖ lp(owner) ‖ uint32 #budget keys
//	    ‖ lp(key)… ‖ int64 unix nanoseconds ‖ uint32 #modules ‖ modules:
//	    lp(name) ‖ uint32 d ‖ uint32 r ‖ uint32 o ‖ lp(commitment)
//	    ‖ lp(vk fingerprint) ‖ lp(key mode)
//	'C' call:   lp(module) ‖ uint32 index ‖ uint32 rows ‖ rows·d int16 ‖ rows·o int64
//	'E' end:    lp(nonce) ‖ 32-byte root B announced
//
// Each record is written with one write and fsynced before A answers, so a
// crash can only tear the last record, whose call was never answered;
// reading stops at the first torn or corrupt record and the file is
// truncated there.
const (
	logMagic   = "ZKLS"
	logVersion = 1
	logName    = "log"
	recHeader  = 'H'
	recCall    = 'C'
	recEnd     = 'E'
	// maxLogString bounds strings in a log (names, ids, keys).
	maxLogString  = 4096
	maxBudgetKeys = 8
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// logHeader is the first record of a session log.
type logHeader struct {
	SessionID  string
	Combine    string
	Owner      string
	BudgetKeys []string
	Created    int64
	Modules    []transcript.Module
}

// logEnd is the end record.
type logEnd struct {
	Nonce []byte
	Root  [32]byte
}

// sessionLog appends records to one session's log file and reads calls
// back for retries.
type sessionLog struct {
	f    *os.File
	size int64 // bytes written so far
}

// createLog creates dir and a new log holding the header, fsynced.
func createLog(dir string, h *logHeader) (*sessionLog, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, logName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	l := &sessionLog{f: f}
	start := binary.LittleEndian.AppendUint16([]byte(logMagic), logVersion)
	if _, err := f.Write(start); err != nil {
		f.Close()
		return nil, err
	}
	l.size = int64(len(start))
	if _, err := l.append(encodeHeader(h)); err != nil {
		f.Close()
		return nil, err
	}
	if err := fsutil.SyncDir(dir); err != nil {
		f.Close()
		return nil, err
	}
	if err := fsutil.SyncDir(filepath.Dir(dir)); err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

// openLogAppend reopens an existing log, truncated to its valid length, for
// appending.
func openLogAppend(dir string, validLen int64) (*sessionLog, error) {
	path := filepath.Join(dir, logName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.Size() != validLen {
		if err := f.Truncate(validLen); err != nil {
			f.Close()
			return nil, err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, err
		}
	}
	return &sessionLog{f: f, size: validLen}, nil
}

// append writes one record, fsyncs it and returns the offset of its body.
func (l *sessionLog) append(body []byte) (int64, error) {
	if l == nil || l.f == nil {
		return 0, errors.New("session log: closed")
	}
	// Three writes, no copy of the body: a crash between them leaves a
	// torn record, which readLog drops by its length or checksum.
	var head, tail [4]byte
	binary.LittleEndian.PutUint32(head[:], uint32(len(body)))
	binary.LittleEndian.PutUint32(tail[:], crc32.Checksum(body, castagnoli))
	for _, p := range [][]byte{head[:], body, tail[:]} {
		n, err := l.f.Write(p)
		l.size += int64(n)
		if err != nil {
			return 0, fmt.Errorf("session log: %w", err)
		}
	}
	if err := l.f.Sync(); err != nil {
		return 0, fmt.Errorf("session log: sync: %w", err)
	}
	return l.size - int64(len(body)) - 4, nil
}

// readBody reads back the record body of n bytes at off.
func (l *sessionLog) readBody(off int64, n int) ([]byte, error) {
	if l == nil || l.f == nil {
		return nil, errors.New("session log: closed")
	}
	b := make([]byte, n)
	if _, err := l.f.ReadAt(b, off); err != nil {
		return nil, fmt.Errorf("session log: read back: %w", err)
	}
	return b, nil
}

func (l *sessionLog) close() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

func appendLP(b []byte, s []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

func encodeHeader(h *logHeader) []byte {
	b := []byte{recHeader}
	b = appendLP(b, []byte(h.SessionID))
	b = appendLP(b, []byte(h.Combine))
	b = appendLP(b, []byte(h.Owner))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(h.BudgetKeys)))
	for _, k := range h.BudgetKeys {
		b = appendLP(b, []byte(k))
	}
	b = binary.LittleEndian.AppendUint64(b, uint64(h.Created))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(h.Modules)))
	for _, m := range h.Modules {
		b = appendLP(b, []byte(m.Name))
		b = binary.LittleEndian.AppendUint32(b, uint32(m.Shape.D))
		b = binary.LittleEndian.AppendUint32(b, uint32(m.Shape.R))
		b = binary.LittleEndian.AppendUint32(b, uint32(m.Shape.O))
		b = appendLP(b, m.Commitment)
		b = appendLP(b, []byte(m.VKFingerprint))
		b = appendLP(b, []byte(m.KeyMode))
	}
	return b
}

func encodeCall(c *transcript.Call) []byte {
	head := 1 + 4 + len(c.Module) + 8
	b := make([]byte, head, head+2*len(c.X)+8*len(c.Z))
	b[0] = recCall
	binary.LittleEndian.PutUint32(b[1:], uint32(len(c.Module)))
	copy(b[5:], c.Module)
	binary.LittleEndian.PutUint32(b[5+len(c.Module):], c.Index)
	binary.LittleEndian.PutUint32(b[9+len(c.Module):], uint32(c.Rows))
	b = b[:cap(b)]
	p := b[head:]
	for i, v := range c.X {
		binary.LittleEndian.PutUint16(p[2*i:], uint16(v))
	}
	p = p[2*len(c.X):]
	for i, v := range c.Z {
		binary.LittleEndian.PutUint64(p[8*i:], uint64(v))
	}
	return b
}

func encodeEnd(e *logEnd) []byte {
	b := []byte{recEnd}
	b = appendLP(b, e.Nonce)
	return append(b, e.Root[:]...)
}

// loggedSession is what readLog recovers.
type loggedSession struct {
	Header   logHeader
	Calls    []transcript.Call
	CallRefs []callRef // where each call's record body is
	End      *logEnd
	ValidLen int64 // bytes up to the last good record
	Torn     bool  // a torn or corrupt tail was dropped
}

// errLogCorrupt marks a log that cannot be used at all (bad start or header).
var errLogCorrupt = errors.New("session log corrupt")

// readLog reads a session log. A torn or corrupt tail is dropped (Torn);
// a bad magic, version or header is errLogCorrupt.
func readLog(dir string) (*loggedSession, error) {
	f, err := os.Open(filepath.Join(dir, logName))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	r := bufio.NewReaderSize(f, 1<<16)
	start := make([]byte, 6)
	if _, err := io.ReadFull(r, start); err != nil || string(start[:4]) != logMagic || binary.LittleEndian.Uint16(start[4:]) != logVersion {
		return nil, fmt.Errorf("%w: bad magic or version", errLogCorrupt)
	}
	out := &loggedSession{ValidLen: 6}
	shapes := map[string]circuits.Shape{}
	off := int64(6)
	for {
		body, err := readRecord(r, size-off)
		if err == io.EOF {
			break
		}
		if err != nil {
			out.Torn = true
			break
		}
		first := out.ValidLen == 6
		if first != (body[0] == recHeader) {
			if first {
				return nil, fmt.Errorf("%w: first record is not the header", errLogCorrupt)
			}
			out.Torn = true
			break
		}
		ok := true
		switch body[0] {
		case recHeader:
			h, err := decodeHeader(body)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", errLogCorrupt, err)
			}
			out.Header = *h
			for _, m := range h.Modules {
				shapes[m.Name] = m.Shape
			}
		case recCall:
			if out.End != nil {
				ok = false
				break
			}
			c, err := decodeCall(body, shapes)
			if err != nil {
				ok = false
				break
			}
			out.Calls = append(out.Calls, *c)
			out.CallRefs = append(out.CallRefs, callRef{off: off + 4, n: len(body), rows: c.Rows})
		case recEnd:
			if out.End != nil {
				ok = false
				break
			}
			e, err := decodeEnd(body)
			if err != nil {
				ok = false
				break
			}
			out.End = e
		default:
			ok = false
		}
		if !ok {
			out.Torn = true
			break
		}
		off += int64(8 + len(body))
		out.ValidLen = off
	}
	if out.ValidLen == 6 {
		return nil, fmt.Errorf("%w: no header", errLogCorrupt)
	}
	return out, nil
}

// readRecord reads one record whose length must fit in left bytes.
func readRecord(r *bufio.Reader, left int64) ([]byte, error) {
	var hdr [4]byte
	n, err := io.ReadFull(r, hdr[:])
	if n == 0 && err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, errors.New("torn length")
	}
	l := int64(binary.LittleEndian.Uint32(hdr[:]))
	if l < 1 || l+8 > left {
		return nil, errors.New("record longer than the file")
	}
	body := make([]byte, l+4)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, errors.New("torn record")
	}
	if crc32.Checksum(body[:l], castagnoli) != binary.LittleEndian.Uint32(body[l:]) {
		return nil, errors.New("bad checksum")
	}
	return body[:l], nil
}

// callRef locates one call's record body in the log.
type callRef struct {
	off  int64
	n    int
	rows int
}

// logReader decodes record bodies with bounds checks.
type logReader struct {
	b   []byte
	err error
}

func (d *logReader) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.err = errors.New("short record")
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *logReader) u32() uint32 {
	p := d.take(4)
	if p == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(p)
}

func (d *logReader) lp(max int) []byte {
	n := d.u32()
	if d.err == nil && int64(n) > int64(max) {
		d.err = fmt.Errorf("field of %d bytes over %d", n, max)
		return nil
	}
	return d.take(int(n))
}

func (d *logReader) finish() error {
	if d.err == nil && len(d.b) != 0 {
		d.err = errors.New("trailing bytes in record")
	}
	return d.err
}

func decodeHeader(body []byte) (*logHeader, error) {
	d := &logReader{b: body[1:]}
	h := &logHeader{
		SessionID: string(d.lp(transcript.MaxSessionIDLen)),
		Combine:   string(d.lp(maxLogString)),
		Owner:     string(d.lp(maxLogString)),
	}
	nk := d.u32()
	if nk > maxBudgetKeys {
		return nil, errors.New("too many budget keys")
	}
	for i := uint32(0); i < nk && d.err == nil; i++ {
		h.BudgetKeys = append(h.BudgetKeys, string(d.lp(maxLogString)))
	}
	if p := d.take(8); p != nil {
		h.Created = int64(binary.LittleEndian.Uint64(p))
	}
	nm := d.u32()
	if nm > transcript.MaxModules {
		return nil, errors.New("too many modules")
	}
	for i := uint32(0); i < nm && d.err == nil; i++ {
		var m transcript.Module
		m.Name = string(d.lp(transcript.MaxNameLen))
		m.Shape = circuits.Shape{D: int(d.u32()), R: int(d.u32()), O: int(d.u32())}
		m.Commitment = append([]byte(nil), d.lp(transcript.MaxCommitmentLen)...)
		m.VKFingerprint = string(d.lp(transcript.MaxFingerprintLen))
		m.KeyMode = string(d.lp(transcript.MaxKeyModeLen))
		h.Modules = append(h.Modules, m)
	}
	if err := d.finish(); err != nil {
		return nil, err
	}
	if _, err := transcript.New(h.SessionID, h.Modules); err != nil {
		return nil, err
	}
	return h, nil
}

func decodeCall(body []byte, shapes map[string]circuits.Shape) (*transcript.Call, error) {
	d := &logReader{b: body[1:]}
	c := &transcript.Call{Module: string(d.lp(transcript.MaxNameLen)), Index: d.u32(), Rows: int(d.u32())}
	if d.err != nil {
		return nil, d.err
	}
	s, ok := shapes[c.Module]
	if !ok {
		return nil, fmt.Errorf("call of unknown module %q", c.Module)
	}
	if c.Rows < 1 || c.Rows > transcript.MaxCallRows {
		return nil, fmt.Errorf("call of %d rows", c.Rows)
	}
	nx, nz := c.Rows*s.D, c.Rows*s.O
	if int64(len(d.b)) != int64(nx)*2+int64(nz)*8 {
		return nil, errors.New("call record size does not match its shape")
	}
	px, pz := d.take(2*nx), d.take(8*nz)
	c.X = make([]int16, nx)
	for i := range c.X {
		c.X[i] = int16(binary.LittleEndian.Uint16(px[2*i:]))
	}
	c.Z = make([]int64, nz)
	for i := range c.Z {
		c.Z[i] = int64(binary.LittleEndian.Uint64(pz[8*i:]))
	}
	return c, d.finish()
}

func decodeEnd(body []byte) (*logEnd, error) {
	d := &logReader{b: body[1:]}
	e := &logEnd{Nonce: append([]byte(nil), d.lp(transcript.MaxNonceLen)...)}
	if p := d.take(32); p != nil {
		copy(e.Root[:], p)
	}
	return e, d.finish()
}
