package fsutil

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadFileLimited(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := ReadFileLimited(p, 10)
	if err != nil || string(b) != "0123456789" {
		t.Fatalf("at the limit: %q, %v", b, err)
	}
	if _, err := ReadFileLimited(p, 9); err == nil || !strings.Contains(err.Error(), "over the 9-byte limit") {
		t.Fatalf("over the limit: %v", err)
	}
	if _, err := ReadFileLimited(dir, 1<<20); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("a directory: %v", err)
	}
	if _, err := ReadFileLimited(filepath.Join(dir, "none"), 10); !os.IsNotExist(err) {
		t.Fatalf("missing: %v", err)
	}
}
