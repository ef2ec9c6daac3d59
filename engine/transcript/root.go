package transcript

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"runtime"
	"sort"
	"sync"
)

// Root returns the Merkle root of the transcript (see the package doc for
// the tree and the leaf encodings). It covers the session id, every module
// as announced, and every call; not the nonce. It does not depend on the
// order in which calls were appended.
func (t *Transcript) Root() [32]byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	leaves := make([][32]byte, 1+len(t.Calls))
	leaves[0] = hashLeaf(t.headerLeaf())

	// Call leaves, hashed in parallel, then sorted by (module, index); ties
	// (a transcript assembled by hand with a duplicate) by leaf hash, so the
	// root stays a function of the set of calls.
	type keyed struct {
		module string
		index  uint32
		h      [32]byte
	}
	ks := make([]keyed, len(t.Calls))
	workers := min(runtime.GOMAXPROCS(0), len(t.Calls))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			buf := make([]byte, 0, 1<<16)
			for i := w; i < len(t.Calls); i += workers {
				c := &t.Calls[i]
				ks[i] = keyed{c.Module, c.Index, callLeafHash(c, buf)}
			}
		}(w)
	}
	wg.Wait()
	sort.Slice(ks, func(a, b int) bool {
		if ks[a].module != ks[b].module {
			return ks[a].module < ks[b].module
		}
		if ks[a].index != ks[b].index {
			return ks[a].index < ks[b].index
		}
		return bytes.Compare(ks[a].h[:], ks[b].h[:]) < 0
	})
	for i, k := range ks {
		leaves[1+i] = k.h
	}
	return merkleRoot(leaves)
}

// headerLeaf encodes leaf 0: the format version, the session id and every
// module, sorted by name.
func (t *Transcript) headerLeaf() []byte {
	b := []byte(headerLeafDomain)
	b = binary.LittleEndian.AppendUint16(b, FormatVersion)
	b = appendLP(b, []byte(t.SessionID))
	mods := make([]*Module, len(t.Modules))
	for i := range t.Modules {
		mods[i] = &t.Modules[i]
	}
	sort.SliceStable(mods, func(a, b int) bool { return mods[a].Name < mods[b].Name })
	b = binary.LittleEndian.AppendUint32(b, uint32(len(mods)))
	for _, m := range mods {
		b = appendModule(b, m)
	}
	return b
}

// appendModule appends a module's canonical encoding (shared by the header
// leaf and the file).
func appendModule(b []byte, m *Module) []byte {
	b = appendLP(b, []byte(m.Name))
	b = binary.LittleEndian.AppendUint32(b, uint32(m.Shape.D))
	b = binary.LittleEndian.AppendUint32(b, uint32(m.Shape.R))
	b = binary.LittleEndian.AppendUint32(b, uint32(m.Shape.O))
	b = appendLP(b, m.Commitment)
	b = appendLP(b, []byte(m.VKFingerprint))
	b = appendLP(b, []byte(m.KeyMode))
	return b
}

// appendLP appends uint32 little-endian len(p) then p.
func appendLP(b, p []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(p)))
	return append(b, p...)
}

// callLeafHash hashes a call's leaf, streaming its values through buf.
func callLeafHash(c *Call, buf []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte{leafPrefix})
	b := append(buf[:0], callLeafDomain...)
	b = appendLP(b, []byte(c.Module))
	b = binary.LittleEndian.AppendUint32(b, c.Index)
	b = binary.LittleEndian.AppendUint32(b, uint32(c.Rows))
	h.Write(b)
	_ = writeValues(h, buf, c.X, c.Z, true) // a hash never fails to write
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// writeValues writes X as int16 LE and Z as int64 LE to w through buf,
// each preceded by its byte length (uint32 LE) if prefixed.
func writeValues(w io.Writer, buf []byte, X []int16, Z []int64, prefixed bool) error {
	flush := func(b []byte) ([]byte, error) {
		_, err := w.Write(b)
		return b[:0], err
	}
	var err error
	b := buf[:0]
	if prefixed {
		b = binary.LittleEndian.AppendUint32(b, uint32(2*len(X)))
	}
	for _, x := range X {
		if len(b)+2 > cap(b) {
			if b, err = flush(b); err != nil {
				return err
			}
		}
		b = binary.LittleEndian.AppendUint16(b, uint16(x))
	}
	if prefixed {
		if len(b)+4 > cap(b) {
			if b, err = flush(b); err != nil {
				return err
			}
		}
		b = binary.LittleEndian.AppendUint32(b, uint32(8*len(Z)))
	}
	for _, z := range Z {
		if len(b)+8 > cap(b) {
			if b, err = flush(b); err != nil {
				return err
			}
		}
		b = binary.LittleEndian.AppendUint64(b, uint64(z))
	}
	if len(b) > 0 {
		_, err = w.Write(b)
	}
	return err
}

// hashLeaf is SHA-256(0x00 ‖ leaf).
func hashLeaf(leaf []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte{leafPrefix})
	h.Write(leaf)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// hashNode is SHA-256(0x01 ‖ left ‖ right).
func hashNode(l, r *[32]byte) [32]byte {
	var in [65]byte
	in[0] = nodePrefix
	copy(in[1:], l[:])
	copy(in[33:], r[:])
	return sha256.Sum256(in[:])
}

// merkleRoot is the RFC 6962 Merkle tree hash over leaf hashes (n ≥ 1):
// MTH(D[0:n]) = hashNode(MTH(D[0:k]), MTH(D[k:n])) with k the largest power
// of two below n.
func merkleRoot(leaves [][32]byte) [32]byte {
	switch len(leaves) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return leaves[0]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	l, r := merkleRoot(leaves[:k]), merkleRoot(leaves[k:])
	return hashNode(&l, &r)
}
