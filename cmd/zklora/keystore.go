package main

import (
	"os"
	"path/filepath"
)

// defaultKeyDir is where proving keys are cached between runs:
// $ZKLORA_HOME/keys, else the user cache directory's zklora/keys.
func defaultKeyDir() string {
	if h := os.Getenv("ZKLORA_HOME"); h != "" {
		return filepath.Join(h, "keys")
	}
	if c, err := os.UserCacheDir(); err == nil {
		return filepath.Join(c, "zklora", "keys")
	}
	return filepath.Join(os.TempDir(), "zklora-keys")
}
