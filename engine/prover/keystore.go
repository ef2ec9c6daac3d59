package prover

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/fsutil"
)

// ErrKeysNotFound is returned by Store.Load when the store holds no keys for
// a shape's circuit id.
var ErrKeysNotFound = errors.New("no keys stored for this circuit")

// keyMetaFormat is the version of the key store's meta.json.
const keyMetaFormat = 1

// Files of one key directory (<store>/<circuit id>/).
const (
	metaFile = "meta.json"
	csFile   = "cs.bin"
	pkFile   = "pk.dump"
	vkFile   = "vk.bin"
)

// Size limits for the files of a key directory.
const (
	maxMetaFile = 64 << 10
	maxCSFile   = 4 << 30
	maxPKFile   = 16 << 30
)

// keyMeta is the store's meta.json: what the keys are and the integrity of
// each file. It is written last, so a directory with a valid meta is whole.
type keyMeta struct {
	Format        int                 `json:"format"`
	CircuitID     string              `json:"circuit_id"`
	Shape         circuits.Shape      `json:"shape"`
	Mode          KeyMode             `json:"mode"`
	Ceremony      string              `json:"ceremony,omitempty"`
	VKFingerprint string              `json:"vk_fingerprint"`
	GnarkVersion  string              `json:"gnark_version"`
	Arch          string              `json:"arch"` // the proving key dump is platform dependent
	Files         map[string]fileMeta `json:"files"`
}

// fileMeta is the size and SHA-256 of one file.
type fileMeta struct {
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// decodeKeyMeta parses and checks a meta.json strictly: one JSON object, no
// unknown fields, known format and mode, a valid shape, and an entry of
// sane size and hash for each of the three key files.
func decodeKeyMeta(b []byte) (*keyMeta, error) {
	if len(b) > maxMetaFile {
		return nil, fmt.Errorf("key meta: %d bytes, more than %d", len(b), maxMetaFile)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m keyMeta
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("key meta: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("key meta: trailing data after the JSON object")
	}
	if m.Format != keyMetaFormat {
		return nil, fmt.Errorf("key meta: format %d, this build reads %d", m.Format, keyMetaFormat)
	}
	if !m.Mode.Valid() {
		return nil, fmt.Errorf("key meta: unknown key mode %q", m.Mode)
	}
	if err := m.Shape.Validate(); err != nil {
		return nil, fmt.Errorf("key meta: %w", err)
	}
	if !isHex(m.VKFingerprint, 64) {
		return nil, errors.New("key meta: vk fingerprint is not 64 hex digits")
	}
	if len(m.Files) != 3 {
		return nil, fmt.Errorf("key meta: %d file entries, want cs, pk and vk", len(m.Files))
	}
	for name, max := range map[string]int64{csFile: maxCSFile, pkFile: maxPKFile, vkFile: maxVKFile} {
		f, ok := m.Files[name]
		if !ok {
			return nil, fmt.Errorf("key meta: no entry for %s", name)
		}
		if f.Size <= 0 || f.Size > max {
			return nil, fmt.Errorf("key meta: %s size %d out of range", name, f.Size)
		}
		if !isHex(f.SHA256, 64) {
			return nil, fmt.Errorf("key meta: %s hash is not 64 hex digits", name)
		}
	}
	return &m, nil
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// Store is a directory of keys, one sub-directory per circuit id. It caches
// the keys it has loaded; it is safe for concurrent use.
type Store struct {
	dir string

	mu    sync.Mutex
	cache map[string]*Keys
}

// OpenStore opens (creating it if needed) the key store in dir.
func OpenStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("key store: %w", err)
	}
	return &Store{dir: dir, cache: map[string]*Keys{}}, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// Path returns the directory that holds (or would hold) the keys of shape.
func (s *Store) Path(shape circuits.Shape) string { return filepath.Join(s.dir, CircuitID(shape)) }

// Keys returns the stored keys of shape (Load); it lets a Store serve as
// a key source.
func (s *Store) Keys(shape circuits.Shape) (*Keys, error) { return s.Load(shape) }

// Load reads the keys of shape. It checks the meta (circuit id, shape,
// gnark version, platform), every file's size and SHA-256 before decoding
// it, the verifying key's fingerprint, and the keys themselves (NewKeys).
// It returns an error wrapping ErrKeysNotFound when there are none.
func (s *Store) Load(shape circuits.Shape) (*Keys, error) {
	id := CircuitID(shape)
	s.mu.Lock()
	k, ok := s.cache[id]
	s.mu.Unlock()
	if ok {
		return k, nil
	}
	k, err := s.load(shape, id)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.cache[id] = k
	s.mu.Unlock()
	return k, nil
}

func (s *Store) load(shape circuits.Shape, id string) (*Keys, error) {
	if err := shape.Validate(); err != nil {
		return nil, err
	}
	dir := filepath.Join(s.dir, id)
	mb, err := fsutil.ReadFileLimited(filepath.Join(dir, metaFile), maxMetaFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("key store %s: shape %s (circuit %s): %w", s.dir, shape, id, ErrKeysNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("key store: %w", err)
	}
	meta, err := decodeKeyMeta(mb)
	if err != nil {
		return nil, fmt.Errorf("key store %s: %w", dir, err)
	}
	switch {
	case meta.CircuitID != id:
		return nil, fmt.Errorf("key store %s: keys are for circuit %s, shape %s needs %s (made by another statement or gnark version?)", dir, meta.CircuitID, shape, id)
	case meta.Shape != shape:
		return nil, fmt.Errorf("key store %s: keys are for shape %s, not %s", dir, meta.Shape, shape)
	case meta.GnarkVersion != GnarkVersion():
		return nil, fmt.Errorf("key store %s: keys were made with gnark %s, this build has %s", dir, meta.GnarkVersion, GnarkVersion())
	case meta.Arch != runtime.GOARCH:
		return nil, fmt.Errorf("key store %s: proving key dump is for %s, this is %s", dir, meta.Arch, runtime.GOARCH)
	}

	vkb, err := readChecked(dir, vkFile, meta)
	if err != nil {
		return nil, err
	}
	vk, err := DecodeVK(vkb, shape)
	if err != nil {
		return nil, fmt.Errorf("key store %s: %w", dir, err)
	}
	if vk.Fingerprint() != meta.VKFingerprint {
		return nil, fmt.Errorf("key store %s: verifying key fingerprint %s differs from the meta's %s", dir, vk.Fingerprint(), meta.VKFingerprint)
	}

	csb, err := readChecked(dir, csFile, meta)
	if err != nil {
		return nil, err
	}
	cs := groth16.NewCS(ecc.BN254)
	if err := safeDecode("constraint system", func() error {
		n, err := cs.ReadFrom(bytes.NewReader(csb))
		if err == nil && n != int64(len(csb)) {
			err = fmt.Errorf("read %d of %d bytes", n, len(csb))
		}
		return err
	}); err != nil {
		return nil, fmt.Errorf("key store %s: %w", dir, err)
	}
	csb = nil

	pkb, err := readChecked(dir, pkFile, meta)
	if err != nil {
		return nil, err
	}
	pk := new(groth16bn254.ProvingKey)
	if err := safeDecode("proving key", func() error {
		r := bytes.NewReader(pkb)
		if err := pk.ReadDump(r); err != nil {
			return err
		}
		if r.Len() != 0 {
			return fmt.Errorf("%d trailing bytes", r.Len())
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("key store %s: %w", dir, err)
	}

	keys, err := NewKeys(shape, meta.Mode, meta.Ceremony, cs, pk, vk.vk)
	if err != nil {
		return nil, fmt.Errorf("key store %s: %w", dir, err)
	}
	return keys, nil
}

// readChecked reads one key file and checks its size and hash against the
// meta before anything decodes it.
func readChecked(dir, name string, meta *keyMeta) ([]byte, error) {
	fm := meta.Files[name]
	b, err := fsutil.ReadFileLimited(filepath.Join(dir, name), fm.Size)
	if err != nil {
		return nil, fmt.Errorf("key store: %w", err)
	}
	if int64(len(b)) != fm.Size {
		return nil, fmt.Errorf("key store %s: %s has %d bytes, the meta says %d (truncated?)", dir, name, len(b), fm.Size)
	}
	sum := sha256.Sum256(b)
	if hex.EncodeToString(sum[:]) != fm.SHA256 {
		return nil, fmt.Errorf("key store %s: %s is corrupt (SHA-256 differs from the meta)", dir, name)
	}
	return b, nil
}

// Save writes keys to the store, replacing any keys stored for the same
// circuit id. The files go to a fresh temporary directory (each written
// crash-safe, meta.json last) which is then renamed into place, so a
// reader sees the old keys, the new keys or none, never a mix.
func (s *Store) Save(keys *Keys) error {
	return s.save(keys, true)
}

// errExists is returned by save without replace when keys exist.
var errExists = errors.New("keys already stored")

func (s *Store) save(keys *Keys, replace bool) error {
	if err := keys.check(); err != nil {
		return fmt.Errorf("key store: %w", err)
	}
	pk, ok := keys.PK.(*groth16bn254.ProvingKey)
	if !ok {
		return fmt.Errorf("key store: proving key is %T", keys.PK)
	}
	tmp, err := os.MkdirTemp(s.dir, ".tmp-"+keys.CircuitID+"-")
	if err != nil {
		return fmt.Errorf("key store: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed

	meta := keyMeta{
		Format:        keyMetaFormat,
		CircuitID:     keys.CircuitID,
		Shape:         keys.Shape,
		Mode:          keys.Mode,
		Ceremony:      keys.Ceremony,
		VKFingerprint: keys.VK.Fingerprint(),
		GnarkVersion:  GnarkVersion(),
		Arch:          runtime.GOARCH,
		Files:         map[string]fileMeta{},
	}
	write := func(name string, fill func(w io.Writer) error) error {
		h := sha256.New()
		var n int64
		err := fsutil.WriteFileAtomic(filepath.Join(tmp, name), 0o644, func(w io.Writer) error {
			cw := &countWriter{w: io.MultiWriter(w, h)}
			err := fill(cw)
			n = cw.n
			return err
		})
		if err != nil {
			return fmt.Errorf("key store: %w", err)
		}
		meta.Files[name] = fileMeta{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}
		return nil
	}
	if err := write(vkFile, func(w io.Writer) error { _, err := w.Write(keys.VK.encoded); return err }); err != nil {
		return err
	}
	if err := write(csFile, func(w io.Writer) error { _, err := keys.CS.WriteTo(w); return err }); err != nil {
		return err
	}
	if err := write(pkFile, pk.WriteDump); err != nil {
		return err
	}
	mb, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return err
	}
	if err := fsutil.WriteBytesAtomic(filepath.Join(tmp, metaFile), 0o644, append(mb, '\n')); err != nil {
		return fmt.Errorf("key store: %w", err)
	}

	final := filepath.Join(s.dir, keys.CircuitID)
	if err := os.Rename(tmp, final); err != nil {
		if _, statErr := os.Stat(final); statErr != nil {
			return fmt.Errorf("key store: %w", err)
		}
		if !replace {
			return errExists
		}
		old, err := os.MkdirTemp(s.dir, ".old-"+keys.CircuitID+"-")
		if err != nil {
			return fmt.Errorf("key store: %w", err)
		}
		defer os.RemoveAll(old)
		if err := os.Rename(final, filepath.Join(old, "keys")); err != nil {
			return fmt.Errorf("key store: %w", err)
		}
		if err := os.Rename(tmp, final); err != nil {
			return fmt.Errorf("key store: %w", err)
		}
	}
	if err := fsutil.SyncDir(s.dir); err != nil {
		return err
	}
	s.mu.Lock()
	s.cache[keys.CircuitID] = keys
	s.mu.Unlock()
	return nil
}

// LoadOrCreateDev loads the keys of shape, or, if the store has none, makes
// dev keys (DevSetup) and saves them. Corrupt or mismatching stored keys
// are an error, not a reason to make new ones: a new setup changes the
// verifying key that manifests pin.
func (s *Store) LoadOrCreateDev(shape circuits.Shape) (*Keys, error) {
	k, err := s.Load(shape)
	if err == nil || !errors.Is(err, ErrKeysNotFound) {
		return k, err
	}
	k, err = DevSetup(shape)
	if err != nil {
		return nil, err
	}
	switch err := s.save(k, false); {
	case errors.Is(err, errExists):
		return s.Load(shape) // another process won the race
	case err != nil:
		return nil, err
	}
	return k, nil
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
