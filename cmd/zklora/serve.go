package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/zklora/zklora/engine/prover"
	"github.com/zklora/zklora/engine/session"
	"github.com/zklora/zklora/net/contributor"
	"github.com/zklora/zklora/net/identity"
	"github.com/zklora/zklora/net/server"
)

type serveOptions struct {
	backend         backendFlag
	host            string
	port            int
	base            string
	adapter         string
	out             string
	identity        string
	keyDir          string
	rowBudget       int64
	clientRowBudget int64
	proveWorkers    int
	nats            natsOptions
	asJSON          bool
	verbose         bool
	ceremony        bool
}

func newCmdServe() *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve --base DIR --adapter DIR --out DIR",
		Short: "Party A: serve a committed LoRA adapter to base-model users and prove every session",
		Long: `Party A: serve a committed LoRA adapter over TLS 1.3 to base-model users (zklora infer),
record every session under --out before answering, and prove each session after
end_inference. Restarted on the same --out, it resumes proving sessions that ended
but were not proven.

Each answer reveals x·ΔW for B's input x: about d independent rows of a module recover
that module's ΔW = A·B exactly. --row-budget caps the rows of each module per session,
--client-row-budget per client over all its sessions (by TLS identity and by address).

Proofs go through a NATS JetStream work queue: by default a server inside this
process (its files under --data, default --out/jetstream) and --workers local proofs
at once (default: the CPU count). A task accepted survives a restart of serve, of a
worker or of the server. --nats-listen lets 'zklora worker' join from other hosts;
--nats URL uses an existing NATS cluster instead; --nats none proves in this process
without a queue.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return serveRun(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.host, "host", "127.0.0.1", "address to listen on")
	f.IntVar(&o.port, "port", 7700, "TCP port (0 picks a free one)")
	f.StringVar(&o.base, "base", "", "base model directory; its config.json describes the modules (required)")
	f.StringVar(&o.adapter, "adapter", "", "PEFT LoRA adapter directory (required)")
	f.StringVar(&o.out, "out", "", "A's directory: session logs, artifacts, secret salts (required)")
	f.StringVar(&o.identity, "identity", "", "TLS identity file from 'zklora keys new' (default: --out/identity.pem, created if missing)")
	f.StringVar(&o.keyDir, "keys", defaultKeyDir(), "proving key store directory")
	f.BoolVar(&o.ceremony, "ceremony", false, "take part in the key ceremonies B asks for (infer --ceremony); their keys replace the shape's for later sessions and stay in --keys")
	f.Int64Var(&o.rowBudget, "row-budget", server.DefaultRowBudget, "most rows of each module one session may send (negative: no limit)")
	f.Int64Var(&o.clientRowBudget, "client-row-budget", 0, "most rows of each module one client may send over all sessions (0: no limit)")
	f.IntVar(&o.proveWorkers, "prove-workers", 1, "sessions proven at the same time")
	o.nats.addFlags(cmd, natsForServe)
	f.BoolVar(&o.asJSON, "json", false, "print the listening address and fingerprint as one JSON line")
	f.BoolVar(&o.verbose, "verbose", false, "log sessions on stderr")
	o.backend.add(f)
	_ = cmd.MarkFlagRequired("base")
	_ = cmd.MarkFlagRequired("adapter")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// serveInfo is what serve prints once it listens.
type serveInfo struct {
	Addr        string   `json:"addr"`
	Fingerprint string   `json:"fingerprint"`
	Modules     []string `json:"modules"`
	KeyMode     string   `json:"key_mode"`
	Out         string   `json:"out"`
	// NATS is where remote proof workers connect (with --nats).
	NATS          string `json:"nats,omitempty"`
	NATSTokenFile string `json:"nats_token_file,omitempty"`
}

func serveRun(cmd *cobra.Command, o *serveOptions) error {
	if o.port < 0 || o.port > 65535 {
		return usageError{fmt.Errorf("--port %d out of range", o.port)}
	}
	if err := os.MkdirAll(o.out, 0o700); err != nil {
		return err
	}
	idPath := o.identity
	if idPath == "" {
		idPath = filepath.Join(o.out, "identity.pem")
	}
	id, _, err := identity.LoadOrCreate(idPath)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.keyDir, 0o755); err != nil {
		return err
	}
	store, err := prover.OpenStore(o.keyDir)
	if err != nil {
		return err
	}
	ks := newCeremonyKeySource(store)
	ad, err := contributor.Load(contributor.Options{
		BaseConfig: filepath.Join(o.base, "config.json"), AdapterDir: o.adapter, OutDir: o.out,
		Keys: ks,
	})
	if err != nil {
		return err
	}
	var cer *server.CeremonyConfig
	if o.ceremony {
		cer = serverCeremony(store, ks, ad)
	}
	logger := slog.New(slog.DiscardHandler)
	if o.verbose {
		logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
	}
	proveOpts := session.ProveOptions{}
	eng, freeEngine, err := o.backend.engine(cmd.ErrOrStderr(), o.asJSON)
	if err != nil {
		return err
	}
	defer freeEngine()
	proveOpts.Engine = eng
	if o.ceremony && o.nats.queueing() {
		// Queue workers keep the keys they started with; a ceremony
		// replaces a shape's keys while serving, so A proves in process.
		if cmd.Flags().Changed("nats") {
			return usageError{errors.New("--ceremony proves in this process: queue workers keep the keys they started with; drop --nats (or restart serve with --nats after the ceremonies)")}
		}
		o.nats.url = "none"
		fmt.Fprintln(cmd.ErrOrStderr(), "note: --ceremony: proving in this process, not through the queue (its workers would keep the keys they started with)")
	}
	var pq *proofQueue
	if o.nats.queueing() {
		if o.nats.listen != "" && o.nats.tokenFile == "" {
			o.nats.tokenFile = filepath.Join(o.out, "secrets", "nats.token")
		}
		data := o.nats.data
		if data == "" {
			data = filepath.Join(o.out, "jetstream")
		}
		if o.nats.url != "embedded" && o.nats.data != "" {
			return usageError{errors.New("--data is the embedded server's store: it needs --nats embedded")}
		}
		if pq, err = openProofQueue(cmd.Context(), &o.nats, data, ad.WorkerModules(), ad.Keys, eng, logger); err != nil {
			return err
		}
		defer pq.Close() // after the server's shutdown below
		proveOpts.Runner = pq.Client
	} else if o.nats.data != "" || o.nats.listen != "" {
		return usageError{errors.New("--data and --nats-listen need --nats embedded")}
	}
	srv, err := server.New(server.Config{
		Identity: id, Modules: ad.Modules, OutDir: o.out,
		Prove:     ad.ProveFunc(proveOpts),
		RowBudget: o.rowBudget, ClientRowBudget: o.clientRowBudget,
		ProveWorkers: o.proveWorkers, Logger: logger, Ceremony: cer,
	})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := srv.Start(net.JoinHostPort(o.host, strconv.Itoa(o.port))); err != nil {
		_ = srv.Shutdown(context.Background())
		return err
	}
	info := serveInfo{Addr: srv.Addr().String(), Fingerprint: srv.Fingerprint(), Out: o.out}
	if pq != nil {
		info.NATS, info.NATSTokenFile = pq.WorkerURL, pq.TokenFile
	}
	modes := map[string]bool{}
	for _, m := range ad.Modules {
		info.Modules = append(info.Modules, m.Name)
		modes[m.KeyMode] = true
	}
	for m := range modes {
		info.KeyMode = m
	}
	out := cmd.OutOrStdout()
	if o.asJSON {
		if err := writeJSONLine(out, info); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(out, "zklora serve: listening on %s\nfingerprint %s\n%d modules, %s keys\n", info.Addr, info.Fingerprint, len(info.Modules), info.KeyMode)
		if info.NATS != "" {
			fmt.Fprintf(out, "proof workers: zklora worker --nats %s --nats-token-file %s (with copies of --adapter, --out/secrets and --keys)\n", info.NATS, info.NATSTokenFile)
		}
		if modes[string(prover.KeyModeDev)] {
			fmt.Fprintln(cmd.ErrOrStderr(), "warning: dev keys: whoever made them can forge proofs; B must pass --allow-dev-keys")
		}
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
