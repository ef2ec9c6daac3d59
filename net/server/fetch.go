package server

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/zklora/zklora/net/wire"
)

// maxArtifactFile bounds one file served by fetch_artifacts.
const maxArtifactFile = 1 << 30

// fetch streams a proven session's artifact directory as FetchChunks, file
// after file in path order, ending with a Final chunk.
func (c *conn) fetch(req *wire.FetchRequest) error {
	s := c.s
	ss, e := s.lookup(req.SessionID, c.cl)
	if e != nil {
		return c.send(e)
	}
	ss.mu.Lock()
	st := ss.state
	ss.mu.Unlock()
	if st != wire.StateDone {
		return c.send(wire.Errorf(wire.CodeNotReady, "session %s is %s, not proven yet", ss.id, st))
	}
	dir := filepath.Join(ss.dir, artifactsDir)
	files, err := listArtifacts(dir)
	if err != nil {
		s.cfg.Logger.Error("list artifacts", "session", ss.id, "err", err)
		return c.send(wire.Errorf(wire.CodeInternal, "session %s: artifacts unreadable", ss.id))
	}
	buf := make([]byte, wire.MaxChunk)
	for _, rel := range files {
		if err := c.sendFile(dir, rel, buf); err != nil {
			return err
		}
	}
	return c.send(&wire.FetchChunk{Final: true})
}

func (c *conn) sendFile(dir, rel string, buf []byte) error {
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	if size > maxArtifactFile {
		return fmt.Errorf("artifact %s is %d bytes", rel, size)
	}
	var off int64
	for {
		n, err := io.ReadFull(f, buf[:min(int64(len(buf)), size-off)])
		if err != nil && n == 0 && off < size {
			return err
		}
		if err := c.send(&wire.FetchChunk{Path: rel, Size: uint64(size), Offset: uint64(off), Data: buf[:n]}); err != nil {
			return err
		}
		off += int64(n)
		if off >= size {
			return nil
		}
	}
}

// listArtifacts returns the regular files under dir as clean relative
// slash paths, sorted, skipping temporary files (names starting with '.').
func listArtifacts(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		if d.Name()[0] == '.' {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if wire.CheckRelPath(rel) != nil {
			return nil
		}
		out = append(out, rel)
		return nil
	})
	sort.Strings(out)
	return out, err
}
