package fsutil

import (
	"fmt"
	"io"
	"os"
)

// ReadFileLimited reads a whole regular file, refusing one larger than max
// bytes before allocating, and one that grows past max while it is read.
// Every key, ceremony and artifact file is read through it.
func ReadFileLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("%s: %d bytes, over the %d-byte limit", path, fi.Size(), max)
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: grew past the %d-byte limit while being read", path, max)
	}
	return b, nil
}
