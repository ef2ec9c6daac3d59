package prover

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStoreRoundTrip(t *testing.T) {
	dir := t.TempDir()
	st, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Load(small); !errors.Is(err, ErrKeysNotFound) {
		t.Fatalf("Load from an empty store: %v, want ErrKeysNotFound", err)
	}
	k, err := st.LoadOrCreateDev(small)
	if err != nil {
		t.Fatal(err)
	}
	if k.Mode != KeyModeDev || k.CircuitID != CircuitID(small) {
		t.Fatalf("mode %q id %q", k.Mode, k.CircuitID)
	}
	// A fresh store instance reads the files back.
	st2, _ := OpenStore(dir)
	k2, err := st2.Load(small)
	if err != nil {
		t.Fatal(err)
	}
	if k2.VK.Fingerprint() != k.VK.Fingerprint() {
		t.Fatal("loaded verifying key differs")
	}
	k3, err := st2.LoadOrCreateDev(small)
	if err != nil || k3 != k2 {
		t.Fatalf("LoadOrCreateDev did not return the stored keys: %v", err)
	}
	// Loaded keys prove, and their commitment equals the original keys'.
	f := newFixture(t, small, 3, 50)
	salt := mustSalt(t)
	p := mustProve(t, k2, f.st, f.A, f.B, salt)
	c1, _ := Commitment(k, f.A, f.B, salt)
	if !bytes.Equal(c1, p.Commitment()) {
		t.Fatal("commitment under loaded keys differs")
	}
	if err := Verify(k.VK, f.st, c1, p); err != nil {
		t.Fatal(err)
	}
	// Save replaces.
	other := devKeys(t, small)
	if err := st2.Save(other); err != nil {
		t.Fatal(err)
	}
	st3, _ := OpenStore(dir)
	k4, err := st3.Load(small)
	if err != nil || k4.VK.Fingerprint() != other.VK.Fingerprint() {
		t.Fatalf("Save did not replace the keys: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("store holds %d entries after replace, want 1", len(ents))
	}
}

// storeTemplate saves dev keys once; corrupt copies it and damages the copy.
type storeTemplate struct{ dir string }

func newStoreTemplate(t *testing.T) storeTemplate {
	t.Helper()
	dir := t.TempDir()
	st, _ := OpenStore(dir)
	if _, err := st.LoadOrCreateDev(small); err != nil {
		t.Fatal(err)
	}
	return storeTemplate{dir: dir}
}

// corrupt copies the template store, applies damage to the copy's key
// directory and loads it with a fresh Store.
func (tp storeTemplate) corrupt(t *testing.T, damage func(dir string)) error {
	t.Helper()
	dir := t.TempDir()
	id := CircuitID(small)
	if err := os.CopyFS(dir, os.DirFS(tp.dir)); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{metaFile, csFile, pkFile, vkFile} {
		if err := os.Chmod(filepath.Join(dir, id, name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	damage(filepath.Join(dir, id))
	fresh, _ := OpenStore(dir)
	_, err := fresh.Load(small)
	return err
}

func TestStoreCorruption(t *testing.T) {
	tp := newStoreTemplate(t)
	if err := tp.corrupt(t, func(string) {}); err != nil {
		t.Fatalf("undamaged copy: %v", err)
	}
	flip := func(name string, at func(n int) int) func(string) {
		return func(d string) {
			p := filepath.Join(d, name)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			b[at(len(b))] ^= 0x40
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	truncate := func(name string) func(string) {
		return func(d string) {
			p := filepath.Join(d, name)
			fi, _ := os.Stat(p)
			if err := os.Truncate(p, fi.Size()/2); err != nil {
				t.Fatal(err)
			}
		}
	}
	editMeta := func(edit func(m map[string]any)) func(string) {
		return func(d string) {
			p := filepath.Join(d, metaFile)
			b, _ := os.ReadFile(p)
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			edit(m)
			b, _ = json.Marshal(m)
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	cases := map[string]struct {
		damage func(string)
		want   string
	}{
		"pk flipped":     {flip(pkFile, func(n int) int { return n / 2 }), "corrupt"},
		"pk header":      {flip(pkFile, func(int) int { return 3 }), "corrupt"},
		"cs flipped":     {flip(csFile, func(n int) int { return n - 5 }), "corrupt"},
		"vk flipped":     {flip(vkFile, func(n int) int { return 40 }), "corrupt"},
		"pk truncated":   {truncate(pkFile), "truncated"},
		"cs truncated":   {truncate(csFile), "truncated"},
		"meta truncated": {truncate(metaFile), "key meta"},
		"meta garbage":   {flip(metaFile, func(int) int { return 0 }), "key meta"},
		"pk missing":     {func(d string) { os.Remove(filepath.Join(d, pkFile)) }, "no such file"},
		"circuit id":     {editMeta(func(m map[string]any) { m["circuit_id"] = "s1-16x4x32-0000000000000000" }), "circuit"},
		"vk fingerprint": {editMeta(func(m map[string]any) { m["vk_fingerprint"] = strings.Repeat("ab", 32) }), "fingerprint"},
		"gnark version":  {editMeta(func(m map[string]any) { m["gnark_version"] = "v0.99.0" }), "gnark"},
		"mode":           {editMeta(func(m map[string]any) { m["mode"] = "trusted" }), "mode"},
		"unknown field":  {editMeta(func(m map[string]any) { m["extra"] = 1 }), "unknown field"},
		"arch":           {editMeta(func(m map[string]any) { m["arch"] = "s390x" }), "s390x"},
		"shape":          {editMeta(func(m map[string]any) { m["shape"] = map[string]int{"d": 16, "r": 4, "o": 33} }), "shape"},
	}
	for name, tc := range cases {
		err := tp.corrupt(t, tc.damage)
		if err == nil {
			t.Errorf("%s: damaged keys loaded", name)
			continue
		}
		if errors.Is(err, ErrKeysNotFound) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q does not say %q", name, err, tc.want)
		}
	}
}

// TestStoreDecodersWithConsistentMeta damages a key file and fixes the
// meta's hash and size to match, so the decoders themselves see garbage.
// They must return an error, never panic.
func TestStoreDecodersWithConsistentMeta(t *testing.T) {
	tp := newStoreTemplate(t)
	for _, name := range []string{pkFile, csFile, vkFile} {
		for _, at := range []float64{0, 0.001, 0.3, 0.7, 0.999} {
			for _, trunc := range []bool{false, true} {
				err := tp.corrupt(t, func(d string) {
					p := filepath.Join(d, name)
					b, _ := os.ReadFile(p)
					i := int(at * float64(len(b)))
					if trunc {
						b = b[:i]
					} else {
						b[i] ^= 0xff
					}
					if err := os.WriteFile(p, b, 0o644); err != nil {
						t.Fatal(err)
					}
					rehash(t, d, name, b)
				})
				if err == nil && trunc {
					t.Errorf("%s truncated at %.3f loaded", name, at)
				}
			}
		}
	}
}

// rehash makes the meta's entry for name match b.
func rehash(t *testing.T, dir, name string, b []byte) {
	t.Helper()
	p := filepath.Join(dir, metaFile)
	mb, _ := os.ReadFile(p)
	m, err := decodeKeyMeta(mb)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	m.Files[name] = fileMeta{Size: int64(len(b)), SHA256: hex.EncodeToString(sum[:])}
	mb, _ = json.Marshal(m)
	if err := os.WriteFile(p, mb, 0o644); err != nil {
		t.Fatal(err)
	}
}
