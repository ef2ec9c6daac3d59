package contributor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSaltsPersistAndRotateWithWeights(t *testing.T) {
	out := t.TempDir()
	d1 := map[string]string{"a": weightsDigest([]int16{1, 2}, []int16{3}, 1, 2), "b": weightsDigest([]int16{4}, []int16{5}, 1, 2)}
	s1, err := loadOrCreateSalts(out, d1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(out, SaltsFile)
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("salts file: %v %v", st, err)
	}
	if dst, err := os.Stat(filepath.Dir(path)); err != nil || dst.Mode().Perm() != 0o700 {
		t.Fatalf("secrets dir: %v %v", dst, err)
	}
	if s1["a"] == s1["b"] {
		t.Fatal("two modules share a salt")
	}
	// Same weights: same salts. Changed weights of b: a new salt for b only.
	s2, err := loadOrCreateSalts(out, d1)
	if err != nil || s2["a"] != s1["a"] || s2["b"] != s1["b"] {
		t.Fatalf("salts changed across loads: %v", err)
	}
	d2 := map[string]string{"a": d1["a"], "b": weightsDigest([]int16{4}, []int16{6}, 1, 2)}
	s3, err := loadOrCreateSalts(out, d2)
	if err != nil || s3["a"] != s1["a"] || s3["b"] == s1["b"] {
		t.Fatalf("salt not rotated with the weights: %v", err)
	}
	// A salts file readable by others is refused.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadOrCreateSalts(out, d1); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("loose salts file accepted: %v", err)
	}
	// A corrupt one too.
	if err := os.WriteFile(path, []byte(`{"version":1,"modules":{},"extra":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadOrCreateSalts(out, d1); err == nil {
		t.Fatal("corrupt salts file accepted")
	}
}

func TestWeightsDigestSeparatesFields(t *testing.T) {
	if weightsDigest([]int16{1, 2}, []int16{3}, 0, 0) == weightsDigest([]int16{1}, []int16{2, 3}, 0, 0) {
		t.Fatal("digest does not separate A from B")
	}
	if weightsDigest([]int16{1}, []int16{2}, 1, 0) == weightsDigest([]int16{1}, []int16{2}, 0, 1) {
		t.Fatal("digest ignores the shifts")
	}
}

func TestExistingSaltsOnly(t *testing.T) {
	out := t.TempDir()
	d := map[string]string{"a": weightsDigest([]int16{1}, []int16{2}, 0, 0)}
	if _, err := loadSalts(out, d, false); err == nil || !strings.Contains(err.Error(), "copy A's") {
		t.Fatalf("a worker without A's salts file drew salts: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, SaltsFile)); err == nil {
		t.Fatal("a salts file was written")
	}
	s1, err := loadOrCreateSalts(out, d)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := loadSalts(out, d, false)
	if err != nil || s2["a"] != s1["a"] {
		t.Fatalf("A's salt not read back: %v", err)
	}
	d["a"] = weightsDigest([]int16{1}, []int16{3}, 0, 0) // other weights
	if _, err := loadSalts(out, d, false); err == nil {
		t.Fatal("a salt for other weights was accepted")
	}
}
