package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/jobs"
	"github.com/zklora/zklora/engine/prover"
	"github.com/zklora/zklora/engine/session"
)

type proveOptions struct {
	backend       backendFlag
	synthetic     bool
	shape         string
	tokens        int
	modules       int
	seed          uint64
	out           string
	transcriptOut string
	keyDir        string
	workers       int
	nats          natsOptions
	asJSON        bool
	quiet         bool
}

func newCmdProve() *cobra.Command {
	o := &proveOptions{}
	cmd := &cobra.Command{
		Use:   "prove --synthetic --shape DxRxO --out DIR --transcript-out FILE",
		Short: "Prove a session (with --synthetic: play both parties with random weights and inputs)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return proveRun(cmd, o) },
	}
	f := cmd.Flags()
	f.BoolVar(&o.synthetic, "synthetic", false, "play both parties of a synthetic session (required: real sessions are proven by `zklora serve`)")
	f.StringVar(&o.shape, "shape", "768x8x2304", "module shape DxRxO")
	f.IntVar(&o.tokens, "tokens", 16, "rows (tokens) per module")
	f.IntVar(&o.modules, "modules", 1, "number of modules")
	f.Uint64Var(&o.seed, "seed", 1, "random seed for weights, inputs and salts")
	f.StringVar(&o.out, "out", "", "artifact directory to write (A's side) (required)")
	f.StringVar(&o.transcriptOut, "transcript-out", "", "file for B's transcript (required)")
	f.StringVar(&o.keyDir, "keys", defaultKeyDir(), "key store directory (dev keys are created there on first use)")
	f.IntVar(&o.workers, "workers", 0, "parallel proofs (0: CPU count)")
	o.nats.addFlags(cmd, natsForProve)
	f.BoolVar(&o.asJSON, "json", false, "print a JSON summary")
	f.BoolVar(&o.quiet, "quiet", false, "no progress output")
	o.backend.add(f)
	_ = cmd.MarkFlagRequired("out")
	_ = cmd.MarkFlagRequired("transcript-out")
	return cmd
}

func proveRun(cmd *cobra.Command, o *proveOptions) error {
	if !o.synthetic {
		return usageError{fmt.Errorf("only --synthetic sessions are proven by this command; real sessions are proven by `zklora serve`")}
	}
	shape, err := circuits.ParseShape(o.shape)
	if err != nil {
		return usageError{err}
	}
	if o.tokens < 1 || o.modules < 1 {
		return usageError{fmt.Errorf("--tokens and --modules must be ≥ 1")}
	}
	store, err := prover.OpenStore(o.keyDir)
	if err != nil {
		return err
	}
	errw := cmd.ErrOrStderr()
	t0 := time.Now()
	if !o.quiet {
		fmt.Fprintf(errw, "keys for %s (%s)...\n", shape, o.keyDir)
	}
	ks := devKeySource{store}
	if _, err := ks.Keys(shape); err != nil {
		return err
	}
	tKeys := time.Since(t0)
	t1 := time.Now()
	syn, err := session.NewSynthetic(session.SyntheticOptions{Shape: shape, Tokens: o.tokens, Modules: o.modules, Seed: o.seed}, ks)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	if err := syn.Transcript.Save(o.transcriptOut); err != nil {
		return err
	}
	tSession := time.Since(t1)
	proveOpts := session.ProveOptions{Workers: o.workers}
	eng, freeEngine, err := o.backend.engine(errw, o.quiet)
	if err != nil {
		return err
	}
	defer freeEngine()
	proveOpts.Engine = eng
	if o.nats.queueing() {
		// An embedded server's files live only as long as this command.
		store, err := os.MkdirTemp("", "zklora-jetstream-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(store)
		pq, err := openProofQueue(cmd.Context(), &o.nats, store, jobs.SyntheticModules(syn), ks, eng, slog.New(slog.DiscardHandler))
		if err != nil {
			return err
		}
		defer pq.Close()
		proveOpts.Runner = pq.Client
		if pq.WorkerURL != "" && !o.quiet {
			fmt.Fprintf(errw, "proof workers: zklora worker --nats %s --synthetic --shape %s --modules %d --seed %d --keys %s\n", pq.WorkerURL, shape, o.modules, o.seed, o.keyDir)
		}
	}
	bar := newProgressBar(errw, "proving", o.modules, o.quiet)
	t2 := time.Now()
	proveOpts.Progress = func(done, total int, module string) { bar.Set(done, module) }
	man, err := session.ProveSession(cmd.Context(), o.out, syn.Transcript, syn.Secrets, ks, proveOpts)
	if err != nil {
		return err
	}
	tProve := time.Since(t2)
	summary := struct {
		SessionID  string  `json:"session_id"`
		Shape      string  `json:"shape"`
		Modules    int     `json:"modules"`
		Tokens     int     `json:"tokens"`
		Proofs     int     `json:"proofs"`
		Out        string  `json:"out"`
		Transcript string  `json:"transcript"`
		KeysS      float64 `json:"keys_s"`
		SessionS   float64 `json:"session_s"`
		ProveS     float64 `json:"prove_s"`
	}{man.SessionID, shape.String(), o.modules, o.tokens, len(man.Modules), o.out, o.transcriptOut,
		tKeys.Seconds(), tSession.Seconds(), tProve.Seconds()}
	out := cmd.OutOrStdout()
	if o.asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(summary)
	}
	fmt.Fprintf(out, "session %s: %d proofs for %d×%s, %d rows each, in %.2fs (keys %.2fs, session %.2fs)\nartifacts  %s\ntranscript %s\n",
		summary.SessionID, summary.Proofs, o.modules, shape, o.tokens, summary.ProveS, summary.KeysS, summary.SessionS, o.out, o.transcriptOut)
	return nil
}

// devKeySource serves dev keys from a store, creating them on first use.
type devKeySource struct{ store *prover.Store }

func (d devKeySource) Keys(s circuits.Shape) (*prover.Keys, error) { return d.store.LoadOrCreateDev(s) }
