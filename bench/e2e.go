package bench

import (
	"context"
	"os"
	"time"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/session"
)

// RunE2E runs a synthetic session of M modules of shape s with T rows
// each and splits its time into key setup, the session itself (weights,
// commitments, exact LoRA products, transcript), proving (ProveSession)
// and verification (VerifyDir). The session's model inference is the
// synthetic exact LoRA product, not a base-model forward pass.
func RunE2E(backend string, kc *keyCache, s circuits.Shape, M, T int) E2ERow {
	row := E2ERow{Backend: backend, Shape: s.String(), Modules: M, Tokens: T}
	if backend == GPU {
		row.Status = unavailable(errGPUProver)
		return row
	}
	fail := func(err error) E2ERow { row.Status = "error: " + err.Error(); return row }
	if _, err := kc.Keys(s); err != nil {
		return fail(err)
	}
	row.SetupS = kc.setup[s] // the dev setup's time, even when an earlier suite ran it
	t1 := time.Now()
	syn, err := session.NewSynthetic(session.SyntheticOptions{Shape: s, Tokens: T, Modules: M, Seed: 42}, kc)
	if err != nil {
		return fail(err)
	}
	row.SessionS = time.Since(t1).Seconds()
	dir, err := os.MkdirTemp("", "zklora-bench-e2e-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(dir)
	art := dir + "/artifact"
	t2 := time.Now()
	if _, err := session.ProveSession(context.Background(), art, syn.Transcript, syn.Secrets, kc, session.ProveOptions{}); err != nil {
		return fail(err)
	}
	row.ProveS = time.Since(t2).Seconds()
	t3 := time.Now()
	rep, err := session.VerifyDir(art, syn.Transcript, session.VerifyOptions{AllowDevKeys: true})
	if err != nil {
		return fail(err)
	}
	if err := rep.Err(); err != nil {
		return fail(err)
	}
	row.VerifyS = time.Since(t3).Seconds()
	row.Status = statusOK
	return row
}
