package client_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/zklora/zklora/engine/session"
	"github.com/zklora/zklora/engine/transcript"
	"github.com/zklora/zklora/net/client"
	"github.com/zklora/zklora/net/contributor"
	"github.com/zklora/zklora/net/identity"
	"github.com/zklora/zklora/net/wire"
)

// A stops after end_inference, before proving; a new A on the same output
// directory reloads the adapter (same salts, same commitments), proves the
// session, and B fetches and verifies it.
func TestRestartAfterEndProvesAndVerifies(t *testing.T) {
	e := newEnv(t, func(e *env) {
		e.cfg.Prove = func(ctx context.Context, _ string, _ *transcript.Transcript, _ func(int, int, string)) error {
			<-ctx.Done() // never proves: A goes down first
			return ctx.Err()
		}
	})
	bid, err := identity.New()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dial := func() *client.Client {
		c, err := client.Dial(ctx, e.srv.Addr().String(), client.Options{Pin: e.srv.Fingerprint(), Identity: bid, CallTimeout: 20 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	b := client.NewBaseModelClient(dial(), e.model, nil)
	if err := b.InitAndPatch(ctx, wire.CombineAddDelta); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.ForwardLoss(text1); err != nil {
		t.Fatal(err)
	}
	if _, err := b.EndInference(ctx); err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}

	// The restarted A loads its adapter from scratch on the same directory.
	ad, err := contributor.FromQuantized(e.qm, devKeys(t), e.cfg.OutDir)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range ad.Modules {
		if string(m.Commitment) != string(e.cfg.Modules[i].Commitment) {
			t.Fatalf("module %s: commitment changed across restarts", m.Name)
		}
	}
	e.cfg.Modules, e.cfg.Prove = ad.Modules, ad.ProveFunc(session.ProveOptions{Workers: 1})
	e.start()
	s := dial().Attach(b.Session())
	wctx, wcancel := context.WithTimeout(ctx, time.Minute)
	defer wcancel()
	if err := s.Wait(wctx, 20*time.Millisecond, nil); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "art")
	if err := s.Fetch(wctx, dir); err != nil {
		t.Fatal(err)
	}
	rep, err := client.VerifySession(dir, s, session.VerifyOptions{AllowDevKeys: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Verified != 4 {
		t.Fatalf("after restart: %v", rep.Err())
	}
}
