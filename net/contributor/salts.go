package contributor

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/zklora/zklora/engine/fsutil"
	"github.com/zklora/zklora/engine/prover"
)

// SaltsFile is where A keeps its per-module salts, relative to its output
// directory. The salts are secrets: whoever knows a module's salt and
// guesses its weights can check the guess against the public commitment.
const SaltsFile = "secrets/salts.json"

const saltsVersion = 1

// saltsDoc is the salts file.
type saltsDoc struct {
	Version int                  `json:"version"`
	Modules map[string]saltEntry `json:"modules"`
}

// saltEntry binds a salt to the exact quantized weights it was made for: a
// new adapter gets new salts, so that two commitments never share a mask.
type saltEntry struct {
	Weights string `json:"weights_sha256"`
	Salt    string `json:"salt"`
}

// weightsDigest hashes a module's quantized weights and shifts.
func weightsDigest(A, B []int16, shiftA, shiftB int) string {
	h := sha256.New()
	_ = binary.Write(h, binary.LittleEndian, int64(len(A)))
	_ = binary.Write(h, binary.LittleEndian, A)
	_ = binary.Write(h, binary.LittleEndian, int64(len(B)))
	_ = binary.Write(h, binary.LittleEndian, B)
	_ = binary.Write(h, binary.LittleEndian, [2]int64{int64(shiftA), int64(shiftB)})
	return hex.EncodeToString(h.Sum(nil))
}

// loadOrCreateSalts returns a salt for every module of digests (name →
// weights digest), reusing those recorded for the same weights and drawing
// new ones from crypto/rand otherwise. It rewrites the file (0600, in a
// 0700 directory) only when something changed.
func loadOrCreateSalts(outDir string, digests map[string]string) (map[string]prover.Salt, error) {
	return loadSalts(outDir, digests, true)
}

// loadSalts is loadOrCreateSalts; with create false, a module without a
// recorded salt for its weights is an error and the file is never written
// (a proof worker must use A's salts, not new ones).
func loadSalts(outDir string, digests map[string]string, create bool) (map[string]prover.Salt, error) {
	path := filepath.Join(outDir, filepath.FromSlash(SaltsFile))
	doc := saltsDoc{Version: saltsVersion, Modules: map[string]saltEntry{}}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		st, serr := os.Stat(path)
		if serr != nil {
			return nil, serr
		}
		if st.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("salts: %s has mode %o; it holds secrets (chmod 600)", path, st.Mode().Perm())
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&doc); err != nil {
			return nil, fmt.Errorf("salts: %s: %w", path, err)
		}
		if doc.Version != saltsVersion {
			return nil, fmt.Errorf("salts: %s: unknown version %d", path, doc.Version)
		}
		if doc.Modules == nil {
			doc.Modules = map[string]saltEntry{}
		}
	case errors.Is(err, os.ErrNotExist):
	default:
		return nil, fmt.Errorf("salts: %w", err)
	}
	out := make(map[string]prover.Salt, len(digests))
	changed := false
	names := make([]string, 0, len(digests))
	for n := range digests {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		e, ok := doc.Modules[name]
		if ok && e.Weights == digests[name] {
			s, err := prover.ParseSalt(e.Salt)
			if err != nil {
				return nil, fmt.Errorf("salts: module %s: %w", name, err)
			}
			out[name] = s
			continue
		}
		if !create {
			return nil, fmt.Errorf("salts: %s holds no salt for module %s with these weights: copy A's %s (mode 0600) with the same adapter", path, name, SaltsFile)
		}
		s, err := prover.NewSalt()
		if err != nil {
			return nil, err
		}
		doc.Modules[name] = saltEntry{Weights: digests[name], Salt: s.String()}
		out[name] = s
		changed = true
	}
	if changed {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("salts: %w", err)
		}
		b, err := json.MarshalIndent(&doc, "", "  ")
		if err != nil {
			return nil, err
		}
		if err := fsutil.WriteBytesAtomic(path, 0o600, append(b, '\n')); err != nil {
			return nil, fmt.Errorf("salts: %w", err)
		}
	}
	return out, nil
}
