package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/zklora/zklora/engine/fixture"
	"github.com/zklora/zklora/engine/gpt2"
	"github.com/zklora/zklora/engine/prover"
	"github.com/zklora/zklora/engine/session"
	"github.com/zklora/zklora/engine/tokenizer"
	"github.com/zklora/zklora/engine/transcript"
	"github.com/zklora/zklora/net/client"
	"github.com/zklora/zklora/net/contributor"
	"github.com/zklora/zklora/net/identity"
	"github.com/zklora/zklora/net/server"
	"github.com/zklora/zklora/net/wire"
)

// demoLoopbackRun plays the real protocol on loopback: it generates the
// fixture, starts A's LoRAServer on 127.0.0.1:0, and runs B against it with
// A's fingerprint pinned: forward pass, end, proving, fetch and verify.
func demoLoopbackRun(cmd *cobra.Command, o *demoOptions) error {
	if !wire.ValidCombine(o.combine) {
		return usageError{fmt.Errorf("--combine %q: want add_delta or replace", o.combine)}
	}
	dir := o.keep
	var err error
	if dir == "" {
		if dir, err = os.MkdirTemp("", "zklora-demo-*"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	errw := cmd.ErrOrStderr()
	quiet := o.asJSON
	say := func(format string, args ...any) {
		if !quiet {
			fmt.Fprintf(errw, format+"\n", args...)
		}
	}
	paths, err := fixture.Write(filepath.Join(dir, "fixture"), o.preset, o.seed)
	if err != nil {
		return usageError{err}
	}
	say("demo: %s fixture in %s", o.preset, paths.Dir)

	// Party A.
	if err := os.MkdirAll(o.keyDir, 0o755); err != nil {
		return err
	}
	store, err := prover.OpenStore(o.keyDir)
	if err != nil {
		return err
	}
	aOut := filepath.Join(dir, "a")
	if err := os.MkdirAll(aOut, 0o700); err != nil {
		return err
	}
	say("A: loading, quantizing and committing the adapter (key store %s)", o.keyDir)
	ks := newCeremonyKeySource(store)
	ad, err := contributor.Load(contributor.Options{
		BaseConfig: paths.Config, AdapterDir: paths.AdapterDir, OutDir: aOut, Keys: ks,
	})
	if err != nil {
		return err
	}
	id, err := identity.New()
	if err != nil {
		return err
	}
	eng, freeEngine, err := o.backend.engine(errw, quiet)
	if err != nil {
		return err
	}
	defer freeEngine()
	var cer *server.CeremonyConfig
	if !o.devKeys {
		cer = serverCeremony(store, ks, ad)
	}
	proveOpts := session.ProveOptions{Engine: eng}
	prove := ad.ProveFunc(proveOpts)
	if o.workers > 0 {
		// The queue opens when the session is proven, after the key
		// ceremonies: its workers then hold the ceremony keys and the
		// commitments A announced in this session (a ceremony re-commits).
		lq := &lazyQueue{open: func(tr *transcript.Transcript) (*proofQueue, error) {
			return demoQueue(cmd, o, filepath.Join(aOut, "jetstream"), workerModulesOf(ad, tr), ad.Keys, eng)
		}}
		defer lq.close() // after the server's shutdown
		prove = lq.proveFunc(ad, proveOpts)
		say("A: proving through NATS JetStream (embedded, %s) with %d local workers", filepath.Join(aOut, "jetstream"), o.workers)
	}
	srv, err := server.New(server.Config{
		Identity: id, Modules: ad.Modules, OutDir: aOut,
		Prove: prove, Logger: slog.New(slog.DiscardHandler),
		Ceremony: cer,
	})
	if err != nil {
		return err
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		return err
	}
	defer func() { _ = srv.Shutdown(context.Background()) }()
	say("A: serving %d modules on %s, fingerprint %s", len(ad.Modules), srv.Addr(), srv.Fingerprint())

	// Party B.
	ctx := cmd.Context()
	model, err := gpt2.Load(paths.BaseDir)
	if err != nil {
		return err
	}
	tok, err := tokenizer.New()
	if err != nil {
		return err
	}
	c, err := client.Dial(ctx, srv.Addr().String(), client.Options{Pin: srv.Fingerprint()})
	if err != nil {
		return err
	}
	defer c.Close()
	bOut := filepath.Join(dir, "b")
	if err := os.MkdirAll(bOut, 0o755); err != nil {
		return err
	}
	ir := &inferResult{Combine: o.combine, Pinned: true, Out: bOut}
	// Both parties contribute to a key ceremony for each shape without
	// one (kept in the key store for later runs); B then accepts only
	// proofs made with those keys.
	if !o.devKeys {
		if n, err := ensureCeremonies(ctx, c, store, errw, quiet); err != nil {
			return err
		} else if n == 0 {
			say("A and B: reusing the finished key ceremonies in %s", o.keyDir)
		}
	}
	rep, err := runB(ctx, c, model, tok, o.text, o.combine, bOut, session.VerifyOptions{AllowDevKeys: o.devKeys}, errw, quiet, ir)
	if err != nil {
		return err
	}
	if !o.devKeys {
		if err := checkCeremonyKeys(filepath.Join(bOut, "transcript.zklt"), store); err != nil {
			return verifyError{err}
		}
	}
	loss := ir.Loss
	res := &demoResult{
		Mode: "loopback", Loss: &loss, Proofs: ir.Proofs, Verified: ir.Verified, Failed: ir.Failed,
		KeyMode: ir.KeyMode, SessionID: ir.SessionID, InferenceS: ir.InferenceS, ProveS: ir.ProveS,
		VerifyS: ir.VerifyS, FetchS: ir.FetchS, Preset: o.preset, Combine: o.combine, Tokens: ir.Tokens,
		Calls: ir.Calls, CallMeanMS: ir.CallMeanMS, Workers: o.workers,
	}
	if o.keep != "" {
		res.Out = o.keep
	}
	return demoPrint(cmd, o, res, rep)
}
