package artifact

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/zklora/zklora/engine/fsutil"
)

// Size caps for files read from an artifact directory, checked before reading.
const (
	MaxManifestBytes  = 16 << 20
	MaxProofBytes     = 1 << 20
	MaxStatementBytes = 64 << 20
	MaxVKBytes        = 64 << 20
)

// Contents is a whole artifact directory in memory: the manifest plus the
// encoded files it names.
type Contents struct {
	Manifest   Manifest
	VKs        map[string][]byte // by circuit id
	Proofs     map[string][]byte // by module
	Statements map[string][]byte // by module
}

// Write writes c to dir crash-safe, creating dir and its sub-directories.
// The manifest goes last, so a directory with a manifest is complete.
func Write(dir string, c *Contents) error {
	if err := c.Manifest.Validate(); err != nil {
		return err
	}
	for _, sub := range []string{KeysDir, ProofsDir, StatementsDir} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return fmt.Errorf("artifacts: %w", err)
		}
	}
	for _, e := range c.Manifest.Modules {
		proof, ok := c.Proofs[e.Name]
		if !ok {
			return fmt.Errorf("artifacts: no proof for module %q", e.Name)
		}
		st, ok := c.Statements[e.Name]
		if !ok {
			return fmt.Errorf("artifacts: no statement for module %q", e.Name)
		}
		vk, ok := c.VKs[e.CircuitID]
		if !ok {
			return fmt.Errorf("artifacts: no verifying key for circuit %q", e.CircuitID)
		}
		for _, f := range []struct {
			rel  string
			data []byte
		}{{e.Proof, proof}, {e.Statement, st}, {e.VK, vk}} {
			if err := fsutil.WriteBytesAtomic(filepath.Join(dir, filepath.FromSlash(f.rel)), 0o644, f.data); err != nil {
				return fmt.Errorf("artifacts: %w", err)
			}
		}
	}
	data, err := json.MarshalIndent(&c.Manifest, "", "  ")
	if err != nil {
		return fmt.Errorf("artifacts: %w", err)
	}
	return fsutil.WriteBytesAtomic(filepath.Join(dir, ManifestFile), 0o644, append(data, '\n'))
}

// DecodeManifest parses manifest.json strictly and validates it.
func DecodeManifest(data []byte) (*Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if dec.More() {
		return nil, errors.New("manifest: trailing data after the JSON object")
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Read loads a whole artifact directory: the manifest and every file it
// names. Missing, oversized or unreadable files are errors. Files in the
// directory that the manifest does not name are reported by Extra.
func Read(dir string) (*Contents, error) {
	raw, err := readCapped(filepath.Join(dir, ManifestFile), MaxManifestBytes)
	if err != nil {
		return nil, err
	}
	m, err := DecodeManifest(raw)
	if err != nil {
		return nil, err
	}
	c := &Contents{Manifest: *m, VKs: map[string][]byte{}, Proofs: map[string][]byte{}, Statements: map[string][]byte{}}
	for _, e := range m.Modules {
		if c.Proofs[e.Name], err = readCapped(filepath.Join(dir, filepath.FromSlash(e.Proof)), MaxProofBytes); err != nil {
			return nil, err
		}
		if c.Statements[e.Name], err = readCapped(filepath.Join(dir, filepath.FromSlash(e.Statement)), MaxStatementBytes); err != nil {
			return nil, err
		}
		if _, ok := c.VKs[e.CircuitID]; !ok {
			if c.VKs[e.CircuitID], err = readCapped(filepath.Join(dir, filepath.FromSlash(e.VK)), MaxVKBytes); err != nil {
				return nil, err
			}
		}
	}
	return c, nil
}

// Extra lists proof files in dir/proofs that the manifest does not name:
// a module proven but not declared is as suspicious as one declared twice.
func Extra(dir string, m *Manifest) ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(dir, ProofsDir))
	if err != nil {
		return nil, fmt.Errorf("artifacts: %w", err)
	}
	named := map[string]bool{}
	for _, e := range m.Modules {
		named[filepath.Base(e.Proof)] = true
	}
	var extra []string
	for _, e := range ents {
		if !named[e.Name()] && filepath.Ext(e.Name()) == ".proof" {
			extra = append(extra, e.Name())
		}
	}
	sort.Strings(extra)
	return extra, nil
}

func readCapped(path string, limit int64) ([]byte, error) {
	b, err := fsutil.ReadFileLimited(path, limit)
	if err != nil {
		return nil, fmt.Errorf("artifacts: %w", err)
	}
	return b, nil
}
