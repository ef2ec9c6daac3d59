//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package safetensors

import (
	"errors"
	"os"
)

// mmapFile is unavailable on this platform; Open falls back to positioned reads.
func mmapFile(*os.File, int64) ([]byte, func() error, error) {
	return nil, nil, errors.New("mmap not supported on this platform")
}
