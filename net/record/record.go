// Package record is A's compact account of a session, shipped with the
// artifacts so that B can say where A's record departs from its own when
// verification fails: per call, the module, index, row count, a hash of
// the inputs and a hash of every output row. It is diagnostic only: B
// verifies against its own transcript and never takes a public value of
// the proofs from it.
package record

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/fsutil"
	"github.com/zklora/zklora/engine/transcript"
)

// FileName is the record's name inside an artifact directory.
const FileName = "a-record.json"

// Version is the record format version.
const Version = 1

// MaxBytes bounds a record file read by Load.
const MaxBytes = 256 << 20

// Record is A's account of a session.
type Record struct {
	Version   int      `json:"version"`
	SessionID string   `json:"session_id"`
	Modules   []Module `json:"modules"`
	Calls     []Call   `json:"calls"`
	Nonce     string   `json:"nonce"`
}

// Module is one announced module.
type Module struct {
	Name          string         `json:"name"`
	Shape         circuits.Shape `json:"shape"`
	Commitment    string         `json:"commitment"`
	VKFingerprint string         `json:"vk_fingerprint"`
	KeyMode       string         `json:"key_mode"`
}

// Call is one call: SHA-256 of X (int16 little-endian) and of every row of
// Z (int64 little-endian).
type Call struct {
	Module string   `json:"module"`
	Index  uint32   `json:"index"`
	Rows   int      `json:"rows"`
	X      string   `json:"x"`
	ZRows  []string `json:"z_rows"`
}

// Of summarises a transcript, calls sorted by (module, index).
func Of(tr *transcript.Transcript) *Record {
	r := &Record{Version: Version, SessionID: tr.SessionID, Nonce: hex.EncodeToString(tr.Nonce)}
	for _, m := range tr.Modules {
		r.Modules = append(r.Modules, Module{Name: m.Name, Shape: m.Shape, Commitment: hex.EncodeToString(m.Commitment), VKFingerprint: m.VKFingerprint, KeyMode: m.KeyMode})
	}
	shapes := map[string]circuits.Shape{}
	for _, m := range tr.Modules {
		shapes[m.Name] = m.Shape
	}
	for i := range tr.Calls {
		c := &tr.Calls[i]
		o := shapes[c.Module].O
		rc := Call{Module: c.Module, Index: c.Index, Rows: c.Rows, X: hashInt16(c.X)}
		for row := 0; row < c.Rows && (row+1)*o <= len(c.Z); row++ {
			rc.ZRows = append(rc.ZRows, hashInt64(c.Z[row*o:(row+1)*o]))
		}
		r.Calls = append(r.Calls, rc)
	}
	slices.SortFunc(r.Calls, func(a, b Call) int {
		if c := strings.Compare(a.Module, b.Module); c != 0 {
			return c
		}
		return int(int64(a.Index) - int64(b.Index))
	})
	return r
}

func hashInt16(v []int16) string {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(x))
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func hashInt64(v []int64) string {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(x))
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Save writes the record to path, crash-safe.
func (r *Record) Save(path string) error {
	return fsutil.WriteFileAtomic(path, 0o644, func(w io.Writer) error {
		return json.NewEncoder(w).Encode(r)
	})
}

// Load reads a record strictly (known version, no unknown fields, size
// capped).
func Load(path string) (*Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("record: %s is over %d bytes", path, MaxBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r Record
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	if r.Version != Version {
		return nil, fmt.Errorf("record: unknown version %d", r.Version)
	}
	return &r, nil
}

// ErrNoRecord is returned by DiffFile when the directory holds no record.
var ErrNoRecord = errors.New("record: none in the artifact directory")

// Diff describes the first place where A's record a departs from B's
// transcript b, or returns "" if they agree.
func Diff(a *Record, b *transcript.Transcript) string {
	const who = "A's record differs from B's"
	br := Of(b)
	if a.SessionID != br.SessionID {
		return fmt.Sprintf("%s: it is for session %s, B's for %s", who, a.SessionID, br.SessionID)
	}
	am := map[string]Module{}
	for _, m := range a.Modules {
		am[m.Name] = m
	}
	for _, m := range br.Modules {
		x, ok := am[m.Name]
		switch {
		case !ok:
			return fmt.Sprintf("%s: module %s is missing from A's record", who, m.Name)
		case x.Shape != m.Shape:
			return fmt.Sprintf("%s: module %s has shape %s in A's record, %s in B's", who, m.Name, x.Shape, m.Shape)
		case x.Commitment != m.Commitment:
			return fmt.Sprintf("%s: module %s: A's record carries another commitment than the one announced at init", who, m.Name)
		case x.VKFingerprint != m.VKFingerprint || x.KeyMode != m.KeyMode:
			return fmt.Sprintf("%s: module %s: another verifying key or key mode", who, m.Name)
		}
	}
	type key struct {
		m string
		i uint32
	}
	ac := map[key]Call{}
	for _, c := range a.Calls {
		ac[key{c.Module, c.Index}] = c
	}
	for _, bc := range br.Calls {
		k := key{bc.Module, bc.Index}
		x, ok := ac[k]
		delete(ac, k)
		switch {
		case !ok:
			return fmt.Sprintf("%s: module %s call %d is missing from A's record", who, bc.Module, bc.Index)
		case x.Rows != bc.Rows || len(x.ZRows) != len(bc.ZRows):
			return fmt.Sprintf("%s: module %s call %d: %d rows in A's record, %d in B's", who, bc.Module, bc.Index, x.Rows, bc.Rows)
		case x.X != bc.X:
			return fmt.Sprintf("%s: module %s call %d: the inputs X differ", who, bc.Module, bc.Index)
		}
		for r := range bc.ZRows {
			if x.ZRows[r] != bc.ZRows[r] {
				return fmt.Sprintf("%s: module %s call %d row %d: the answer Z B received is not the one A recorded and proved", who, bc.Module, bc.Index, r)
			}
		}
	}
	for _, c := range a.Calls {
		if _, extra := ac[key{c.Module, c.Index}]; extra {
			return fmt.Sprintf("%s: module %s call %d is in A's record only", who, c.Module, c.Index)
		}
	}
	if a.Nonce != br.Nonce {
		return fmt.Sprintf("%s: the end-of-session nonce differs", who)
	}
	return ""
}
