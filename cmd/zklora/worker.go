package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/jobs"
	"github.com/zklora/zklora/engine/prover"
	"github.com/zklora/zklora/engine/session"
	"github.com/zklora/zklora/net/contributor"
)

type workerOptions struct {
	backend     backendFlag
	nats        natsOptions
	base        string
	adapter     string
	aOut        string
	keyDir      string
	concurrency int
	name        string
	synthetic   bool
	shape       string
	modules     int
	seed        uint64
	asJSON      bool
	verbose     bool
}

func newCmdWorker() *cobra.Command {
	o := &workerOptions{}
	cmd := &cobra.Command{
		Use:   "worker --nats URL (--base DIR --adapter DIR --a-out DIR | --synthetic ...)",
		Short: "Prove A's sessions on this host: take proof tasks from NATS JetStream",
		Long: `A proof worker for 'zklora serve' (its embedded NATS server opened with --nats-listen, or
the cluster of its --nats URL) or for 'zklora prove --synthetic --nats'.
It takes one task per free slot from the queue, proves it and stores the proof; a task
it holds while it dies goes to another worker after --nats-ack-wait.

The tasks carry only public statements. The worker needs A's secrets itself: the same
adapter, A's salts (a copy of serve's --out/secrets/salts.json, mode 0600, under --a-out)
and A's proving keys (a copy of serve's key store). It refuses to start without them
and proves only tasks authenticated with the module's salt.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return workerRun(cmd, o) },
	}
	o.nats.addFlags(cmd, natsForWorker)
	f := cmd.Flags()
	f.StringVar(&o.base, "base", "", "base model directory (its config.json describes the modules)")
	f.StringVar(&o.adapter, "adapter", "", "A's PEFT LoRA adapter directory")
	f.StringVar(&o.aOut, "a-out", "", "A's --out directory, or a copy holding secrets/salts.json")
	f.StringVar(&o.keyDir, "keys", defaultKeyDir(), "proving key store holding A's keys (not created here)")
	f.IntVar(&o.concurrency, "concurrency", 1, "proofs at once")
	f.StringVar(&o.name, "name", "", "worker name in results and logs (default host/pid)")
	f.BoolVar(&o.synthetic, "synthetic", false, "prove a synthetic session of 'zklora prove --synthetic' (same --shape, --modules, --seed)")
	f.StringVar(&o.shape, "shape", "768x8x2304", "with --synthetic: module shape DxRxO")
	f.IntVar(&o.modules, "modules", 1, "with --synthetic: number of modules")
	f.Uint64Var(&o.seed, "seed", 1, "with --synthetic: random seed")
	f.BoolVar(&o.asJSON, "json", false, "print the worker's start and final counts as JSON lines")
	f.BoolVar(&o.verbose, "verbose", false, "log tasks on stderr")
	o.backend.add(f)
	return cmd
}

func workerRun(cmd *cobra.Command, o *workerOptions) error {
	if o.concurrency < 1 {
		return usageError{fmt.Errorf("--concurrency %d", o.concurrency)}
	}
	store, err := prover.OpenStore(o.keyDir)
	if err != nil {
		return err
	}
	var modules map[string]jobs.Module
	var ks jobs.KeySource
	switch {
	case o.synthetic:
		if o.base != "" || o.adapter != "" || o.aOut != "" {
			return usageError{errors.New("--synthetic takes no --base, --adapter or --a-out")}
		}
		shape, err := circuits.ParseShape(o.shape)
		if err != nil {
			return usageError{err}
		}
		// The secrets depend only on the seed, shape and module count.
		syn, err := session.NewSynthetic(session.SyntheticOptions{Shape: shape, Tokens: 1, Modules: o.modules, Seed: o.seed}, store)
		if err != nil {
			return err
		}
		modules, ks = jobs.SyntheticModules(syn), store
	case o.base == "" || o.adapter == "" || o.aOut == "":
		return usageError{errors.New("give --base, --adapter and --a-out (or --synthetic)")}
	default:
		ad, err := contributor.Load(contributor.Options{
			BaseConfig: filepath.Join(o.base, "config.json"), AdapterDir: o.adapter, OutDir: o.aOut,
			Keys: contributor.StoredKeys(store), ExistingSalts: true,
		})
		if err != nil {
			return fmt.Errorf("%w (a worker needs A's adapter, salts and key store)", err)
		}
		modules, ks = ad.WorkerModules(), ad.Keys
	}
	logger := slog.New(slog.DiscardHandler)
	if o.verbose {
		logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	nc, err := o.nats.connect("zklora-worker")
	if err != nil {
		return err
	}
	defer nc.Close()
	eng, freeEngine, err := o.backend.engine(cmd.ErrOrStderr(), o.asJSON)
	if err != nil {
		return err
	}
	defer freeEngine()
	w, err := jobs.NewWorker(ctx, nc, o.nats.config(), jobs.WorkerOptions{Modules: modules, Keys: ks, Concurrency: o.concurrency, Name: o.name, Logger: logger, Engine: eng})
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if o.asJSON {
		if err := writeJSONLine(out, map[string]any{"worker": "started", "modules": len(modules), "nats": o.nats.url, "namespace": o.nats.namespace}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(out, "zklora worker: %d modules, taking tasks from %s (namespace %s)\n", len(modules), o.nats.url, o.nats.namespace)
	}
	if err := w.Run(ctx); err != nil {
		return err
	}
	s := w.Stats()
	if o.asJSON {
		return writeJSONLine(out, s)
	}
	fmt.Fprintf(out, "zklora worker: stopped; %d proven, %d already proven, %d failed, %d given back, %d dropped\n", s.Proven, s.Skipped, s.Failed, s.Retried, s.Dropped)
	return nil
}
