package client

import (
	"os"
	"path/filepath"

	"github.com/zklora/zklora/engine/session"
	"github.com/zklora/zklora/engine/transcript"
	"github.com/zklora/zklora/net/record"
)

// VerifySession verifies the artifact directory dir against B's own
// transcript of s with engine/session.VerifyDir, which recomputes the
// root, the challenges and every statement from B's record and takes
// nothing from A but the proofs. If verification fails, it adds to the
// report where A's record (net/record, shipped with the artifacts,
// untrusted) first departs from B's transcript: module, call and row.
func VerifySession(dir string, s *Session, opts session.VerifyOptions) (*session.Report, error) {
	return VerifyTranscript(dir, s.Transcript, opts)
}

// VerifyTranscript is VerifySession for a transcript loaded from a file.
func VerifyTranscript(dir string, tr *transcript.Transcript, opts session.VerifyOptions) (*session.Report, error) {
	rep, err := session.VerifyDir(dir, tr, opts)
	if err != nil || rep.OK {
		return rep, err
	}
	if d := DiffWithA(dir, tr); d != "" {
		rep.Errors = append(rep.Errors, d)
	}
	return rep, nil
}

// DiffWithA compares A's record in dir with B's transcript and describes
// the first difference, or returns "" if there is none or no record.
func DiffWithA(dir string, b *transcript.Transcript) string {
	path := filepath.Join(dir, record.FileName)
	if _, err := os.Stat(path); err != nil {
		return ""
	}
	a, err := record.Load(path)
	if err != nil {
		return "A's record in the artifacts is unreadable: " + err.Error()
	}
	return record.Diff(a, b)
}
