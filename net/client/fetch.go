package client

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/zklora/zklora/net/wire"
)

// Limits on a fetched artifact directory.
const (
	MaxFetchFile  = 256 << 20
	MaxFetchTotal = 2 << 30
	MaxFetchFiles = 1 << 14
)

// Fetch downloads the session's artifact directory into dir, which must
// not exist or be an empty directory. Every path is checked to stay inside
// the directory, chunks must arrive in order and match the sizes they
// announce, and the totals are capped. The files are written to a
// temporary directory next to dir, renamed to dir once complete: dir
// appears whole or not at all.
func (s *Session) Fetch(ctx context.Context, dir string) (err error) {
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("client: fetch: %s is not empty", dir)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("client: fetch: %w", err)
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("client: fetch: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".partial-")
	if err != nil {
		return fmt.Errorf("client: fetch: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(tmp)
		}
	}()
	c := s.c
	c.mu.Lock()
	if err := c.sendLocked(ctx, &wire.FetchRequest{SessionID: s.ID}); err != nil {
		c.mu.Unlock()
		return fmt.Errorf("client: fetch_artifacts: %w", err)
	}
	err = s.receiveArtifacts(ctx, tmp)
	if err != nil {
		if _, isServerErr := ServerError(err); !isServerErr {
			c.dropLocked() // the stream may be mid-file: start afresh next time
		}
	}
	c.mu.Unlock()
	if err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("client: fetch: %w", err)
	}
	_ = os.Remove(dir) // an empty directory, if any
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("client: fetch: %w", err)
	}
	return nil
}

// receiveArtifacts reads FetchChunks up to the Final one (c.mu held).
func (s *Session) receiveArtifacts(ctx context.Context, dir string) error {
	c := s.c
	var (
		cur   string
		data  []byte
		size  uint64
		total uint64
		seen  = map[string]bool{}
	)
	flush := func() error {
		if cur == "" {
			return nil
		}
		if uint64(len(data)) != size {
			return fmt.Errorf("%w: artifact %s: %d of %d bytes sent", ErrProtocol, cur, len(data), size)
		}
		path := filepath.Join(dir, filepath.FromSlash(cur))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
		cur, data = "", nil
		return nil
	}
	for {
		m, err := expect[*wire.FetchChunk](c.recvLocked(ctx))
		if err != nil {
			return fmt.Errorf("client: fetch_artifacts: %w", err)
		}
		if m.Path != cur {
			if err := flush(); err != nil {
				return fmt.Errorf("client: fetch_artifacts: %w", err)
			}
		}
		if m.Final && m.Path == "" {
			return nil
		}
		if cur == "" {
			if seen[m.Path] {
				return fmt.Errorf("%w: artifact %s sent twice", ErrProtocol, m.Path)
			}
			if len(seen) >= MaxFetchFiles {
				return fmt.Errorf("%w: more than %d artifact files", ErrProtocol, MaxFetchFiles)
			}
			if m.Size > MaxFetchFile {
				return fmt.Errorf("%w: artifact %s of %d bytes, over %d", ErrProtocol, m.Path, m.Size, MaxFetchFile)
			}
			if total += m.Size; total > MaxFetchTotal {
				return fmt.Errorf("%w: artifacts over %d bytes", ErrProtocol, MaxFetchTotal)
			}
			seen[m.Path] = true
			cur, size = m.Path, m.Size
			data = make([]byte, 0, min(m.Size, 1<<20))
		}
		if m.Size != size || m.Offset != uint64(len(data)) {
			return fmt.Errorf("%w: artifact %s: chunk out of order", ErrProtocol, m.Path)
		}
		data = append(data, m.Data...)
		if m.Final {
			if err := flush(); err != nil {
				return fmt.Errorf("client: fetch_artifacts: %w", err)
			}
			return nil
		}
	}
}
