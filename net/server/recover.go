package server

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/artifact"
	"github.com/zklora/zklora/engine/transcript"
	"github.com/zklora/zklora/net/wire"
)

// recover loads every session under OutDir/sessions: client row budgets are
// rebuilt from all of them; sessions without an end record become live
// again (B may go on with them); ended sessions without a manifest are
// proven again; proven ones are served as they are.
func (s *LoRAServer) recover() error {
	root := filepath.Join(s.cfg.OutDir, "sessions")
	if err := os.MkdirAll(root, 0o700); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	ents, err := os.ReadDir(root)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(root, e.Name())
		ls, err := readLog(dir)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				s.cfg.Logger.Warn("skipping unreadable session", "dir", dir, "err", err)
			}
			continue
		}
		if ls.Header.SessionID != e.Name() {
			s.cfg.Logger.Warn("skipping session whose log names another id", "dir", dir)
			continue
		}
		if err := s.restore(dir, ls); err != nil {
			s.cfg.Logger.Warn("skipping session", "dir", dir, "err", err)
		}
	}
	return nil
}

func (s *LoRAServer) restore(dir string, ls *loggedSession) error {
	h := &ls.Header
	ss := &session{
		id: h.SessionID, dir: dir, combine: h.Combine, owner: h.Owner, budgetKeys: h.BudgetKeys,
		calls: map[callKey]callRef{}, pending: map[callKey]bool{}, rows: map[string]int64{},
		lastUsed: time.Unix(0, h.Created),
	}
	if st, err := os.Stat(filepath.Join(dir, logName)); err == nil {
		ss.lastUsed = st.ModTime()
	}
	// The transcript validates the record (shapes, duplicates) and gives
	// the root; it is dropped at the end of restore.
	tr, err := transcript.New(h.SessionID, h.Modules)
	if err == nil {
		err = tr.SetLimits(transcript.Limits{MaxRows: 1 << 40, MaxValues: 1 << 62})
	}
	if err != nil {
		return err
	}
	shapes := map[string]circuits.Shape{}
	for _, m := range h.Modules {
		shapes[m.Name] = m.Shape
	}
	for i := range ls.Calls {
		c := &ls.Calls[i]
		if err := tr.Append(*c); err != nil {
			return err
		}
		ss.calls[callKey{c.Module, c.Index}] = ls.CallRefs[i]
		ss.rows[c.Module] += int64(c.Rows)
		ss.totalRows += int64(c.Rows)
		ss.values += int64(c.Rows) * int64(shapes[c.Module].D+shapes[c.Module].O)
	}
	used := len(tr.UsedModules())
	s.mu.Lock()
	for m, n := range ss.rows {
		s.addClientRowsLocked(ss.budgetKeys, m, n)
	}
	s.mu.Unlock()

	mismatch := s.adapterMismatch(h.Modules)
	_, manErr := os.Stat(filepath.Join(dir, artifactsDir, artifact.ManifestFile))
	proven := manErr == nil
	if ls.End != nil {
		ss.nonce, ss.jobID, ss.total = ls.End.Nonce, "prove-"+ss.id, used
	}
	switch {
	case ls.End != nil && proven:
		ss.state, ss.done = wire.StateDone, used
	case mismatch != "":
		ss.state, ss.errMsg = wire.StateFailed, "the adapter served now differs from the one this session committed to: "+mismatch
	case ls.End != nil:
		if tr.Root() != ls.End.Root {
			ss.state, ss.errMsg = wire.StateFailed, "recorded transcript root differs from the one B announced"
			break
		}
		ss.state = wire.StateQueued
	default:
		lg, err := openLogAppend(dir, ls.ValidLen)
		if err != nil {
			return err
		}
		ss.log, ss.state, ss.live = lg, wire.StateRecording, true
	}
	if ls.Torn {
		s.cfg.Logger.Warn("dropped a torn tail of a session log", "session", ss.id)
	}
	s.mu.Lock()
	s.sessions[ss.id] = ss
	if ss.live {
		s.live++
		s.liveByClient[ss.owner]++
	}
	s.mu.Unlock()
	if ss.state == wire.StateQueued {
		s.cfg.Logger.Info("resuming proof", "session", ss.id)
		s.startProof(ss)
	}
	return nil
}

// adapterMismatch describes how the modules a session recorded differ from
// those served now ("" if they match).
func (s *LoRAServer) adapterMismatch(mods []transcript.Module) string {
	if len(mods) != len(s.trMods) {
		return fmt.Sprintf("%d modules recorded, %d served", len(mods), len(s.trMods))
	}
	for _, m := range mods {
		cur, ok := s.modules[m.Name]
		if !ok {
			return fmt.Sprintf("module %s is no longer served", m.Name)
		}
		if cur.Shape != m.Shape || !bytes.Equal(cur.Commitment, m.Commitment) || cur.VKFingerprint != m.VKFingerprint || cur.KeyMode != m.KeyMode {
			return fmt.Sprintf("module %s has another shape, commitment or key", m.Name)
		}
	}
	return ""
}
