package client

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/zklora/zklora/engine/session"
	"github.com/zklora/zklora/engine/transcript"
)

// ATranscriptFile is A's own transcript inside the artifact directory
// (net/server writes it). It is used only to explain a failure.
const ATranscriptFile = "a-transcript.zklt"

// VerifySession verifies the artifact directory dir against B's own
// transcript of s with engine/session.VerifyDir, which recomputes the
// root, the challenges and every statement from B's record and takes
// nothing from A but the proofs. If the transcripts differ, it adds to the
// report where A's record (shipped with the artifacts, untrusted) first
// departs from B's: module, call and row.
func VerifySession(dir string, s *Session, opts session.VerifyOptions) (*session.Report, error) {
	rep, err := session.VerifyDir(dir, s.Transcript, opts)
	if err != nil || rep.OK {
		return rep, err
	}
	if d := DiffWithA(dir, s.Transcript); d != "" {
		rep.Errors = append(rep.Errors, d)
	}
	return rep, nil
}

// DiffWithA compares A's transcript in dir with B's and describes the first
// difference, or returns "" if there is none or A's transcript is absent.
func DiffWithA(dir string, b *transcript.Transcript) string {
	path := filepath.Join(dir, ATranscriptFile)
	if _, err := os.Stat(path); err != nil {
		return ""
	}
	a, err := transcript.Load(path)
	if err != nil {
		return "A's transcript in the artifacts is unreadable: " + err.Error()
	}
	return diffTranscripts(a, b)
}

func diffTranscripts(a, b *transcript.Transcript) string {
	const who = "A's record differs from B's"
	if a.SessionID != b.SessionID {
		return fmt.Sprintf("%s: it is for session %s, B's for %s", who, a.SessionID, b.SessionID)
	}
	for _, bm := range b.Modules {
		am, ok := a.Module(bm.Name)
		switch {
		case !ok:
			return fmt.Sprintf("%s: module %s is missing from A's record", who, bm.Name)
		case am.Shape != bm.Shape:
			return fmt.Sprintf("%s: module %s has shape %s in A's record, %s in B's", who, bm.Name, am.Shape, bm.Shape)
		case !bytes.Equal(am.Commitment, bm.Commitment):
			return fmt.Sprintf("%s: module %s: A's record carries another commitment than the one announced at init", who, bm.Name)
		case am.VKFingerprint != bm.VKFingerprint || am.KeyMode != bm.KeyMode:
			return fmt.Sprintf("%s: module %s: another verifying key or key mode", who, bm.Name)
		}
	}
	type key struct {
		m string
		i uint32
	}
	index := func(t *transcript.Transcript) map[key]*transcript.Call {
		out := make(map[key]*transcript.Call, len(t.Calls))
		for i := range t.Calls {
			c := &t.Calls[i]
			out[key{c.Module, c.Index}] = c
		}
		return out
	}
	ai, bi := index(a), index(b)
	keys := make([]key, 0, len(ai)+len(bi))
	for k := range bi {
		keys = append(keys, k)
	}
	for k := range ai {
		if _, ok := bi[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(x, y key) int {
		if c := strings.Compare(x.m, y.m); c != 0 {
			return c
		}
		return int(int64(x.i) - int64(y.i))
	})
	for _, k := range keys {
		ac, bc := ai[k], bi[k]
		switch {
		case ac == nil:
			return fmt.Sprintf("%s: module %s call %d is missing from A's record", who, k.m, k.i)
		case bc == nil:
			return fmt.Sprintf("%s: module %s call %d is in A's record only", who, k.m, k.i)
		case ac.Rows != bc.Rows:
			return fmt.Sprintf("%s: module %s call %d: %d rows in A's record, %d in B's", who, k.m, k.i, ac.Rows, bc.Rows)
		}
		m, _ := b.Module(k.m)
		for r := 0; r < bc.Rows; r++ {
			if !slices.Equal(ac.X[r*m.Shape.D:(r+1)*m.Shape.D], bc.X[r*m.Shape.D:(r+1)*m.Shape.D]) {
				return fmt.Sprintf("%s: module %s call %d row %d: the inputs X differ", who, k.m, k.i, r)
			}
			if !slices.Equal(ac.Z[r*m.Shape.O:(r+1)*m.Shape.O], bc.Z[r*m.Shape.O:(r+1)*m.Shape.O]) {
				return fmt.Sprintf("%s: module %s call %d row %d: the answer Z B received is not the one A recorded and proved", who, k.m, k.i, r)
			}
		}
	}
	if !bytes.Equal(a.Nonce, b.Nonce) {
		return fmt.Sprintf("%s: the end-of-session nonce differs", who)
	}
	return ""
}
