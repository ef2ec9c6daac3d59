package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"github.com/zklora/zklora/engine/fsutil"
	"github.com/zklora/zklora/engine/jobs"
	"github.com/zklora/zklora/engine/prover"
)

// natsOptions are the flags of distributed proving (engine/jobs), shared
// by serve and prove (which queue proofs) and worker (which proves them).
type natsOptions struct {
	url          string // serve, prove: "none" (or ""), "embedded" or a URL; worker: a URL
	listen       string // embedded only
	data         string // serve: the embedded server's store (default --out/jetstream)
	tokenFile    string
	creds        string
	ca           string
	namespace    string
	ackWait      time.Duration
	maxAttempts  int
	localProvers int // serve, prove
}

// Which command registers the NATS flags.
const (
	natsForServe  = iota // queue by default: embedded server, local workers
	natsForProve         // queue only when asked (--nats)
	natsForWorker        // take tasks: --nats URL required
)

// addFlags registers the flags of cmd (natsForServe, natsForProve or
// natsForWorker).
func (o *natsOptions) addFlags(cmd *cobra.Command, mode int) {
	f := cmd.Flags()
	switch mode {
	case natsForServe:
		f.StringVar(&o.url, "nats", "embedded", `where proofs are queued: "embedded" (a NATS JetStream server inside this process, files under --data), a server/cluster URL, or "none" (prove in this process, no queue)`)
		f.StringVar(&o.data, "data", "", "the embedded NATS server's JetStream store: queued tasks and results survive restarts here (default --out/jetstream)")
		f.StringVar(&o.listen, "nats-listen", "", `with --nats embedded: HOST:PORT where remote workers connect (token required); empty: no listener`)
		// --local-provers is the old name of --workers, hidden (a
		// deprecation notice would go to stdout and break --json); it is
		// registered first so that --workers' default stands.
		f.IntVar(&o.localProvers, "local-provers", runtime.NumCPU(), "old name of --workers")
		_ = f.MarkHidden("local-provers")
		f.IntVar(&o.localProvers, "workers", runtime.NumCPU(), "proofs at once by the worker inside this process (0: only remote workers prove)")
		f.StringVar(&o.tokenFile, "nats-token-file", "", "file holding the NATS token (with --nats-listen: created if missing; default --out/secrets/nats.token)")
	case natsForProve:
		f.StringVar(&o.url, "nats", "", `prove through NATS JetStream: "embedded" (a server inside this process) or a server/cluster URL; empty or "none": prove in this process`)
		f.StringVar(&o.listen, "nats-listen", "", `with --nats embedded: HOST:PORT where remote workers connect (token required); empty: no listener`)
		f.IntVar(&o.localProvers, "local-provers", 1, "with --nats: proofs at once by a worker inside this process (0: only remote workers prove)")
		f.StringVar(&o.tokenFile, "nats-token-file", "", "file holding the NATS token (with --nats-listen: created if missing)")
	default:
		f.StringVar(&o.url, "nats", "", "NATS server or cluster URL that A's tasks are queued on (required)")
		f.StringVar(&o.tokenFile, "nats-token-file", "", "file holding the NATS token (the embedded server's: A's --out/secrets/nats.token)")
		_ = cmd.MarkFlagRequired("nats")
	}
	f.StringVar(&o.creds, "nats-creds", "", "NATS user credentials file (JWT and seed) for a cluster")
	f.StringVar(&o.ca, "nats-ca", "", "PEM roots for a tls:// NATS server with a private CA")
	f.StringVar(&o.namespace, "nats-namespace", jobs.DefaultNamespace, "prefix of the streams and subjects; one per adapter on a shared cluster")
	f.DurationVar(&o.ackWait, "nats-ack-wait", jobs.DefaultAckWait, "a task held by a worker that stopped reporting progress for this long goes to another")
	f.IntVar(&o.maxAttempts, "nats-max-attempts", jobs.DefaultMaxAttempts, "deliveries of a task before it fails the session")
}

// queueing reports whether proofs go through a queue (--nats is neither
// empty nor "none").
func (o *natsOptions) queueing() bool { return o.url != "" && o.url != "none" }

func (o *natsOptions) config() jobs.Config {
	return jobs.Config{Namespace: o.namespace, AckWait: o.ackWait, MaxAttempts: o.maxAttempts}
}

// connect connects to o.url with the credentials of the flags.
func (o *natsOptions) connect(name string) (*nats.Conn, error) {
	co := jobs.ConnectOptions{Name: name, CredsFile: o.creds, CAFile: o.ca}
	if o.tokenFile != "" {
		b, err := os.ReadFile(o.tokenFile)
		if err != nil {
			return nil, fmt.Errorf("NATS token: %w", err)
		}
		co.Token = strings.TrimSpace(string(b))
	}
	return jobs.Connect(o.url, co)
}

// loadOrCreateToken returns the token in path, writing a fresh random one
// (mode 0600) if the file does not exist.
func loadOrCreateToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if tok := strings.TrimSpace(string(b)); tok != "" {
			return tok, nil
		}
		return "", fmt.Errorf("NATS token file %s is empty", path)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	var r [32]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", err
	}
	tok := hex.EncodeToString(r[:])
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	return tok, fsutil.WriteBytesAtomic(path, 0o600, []byte(tok+"\n"))
}

// proofQueue is the queueing side of serve and prove: the client that
// queues tasks, the embedded server if any, and the in-process worker.
type proofQueue struct {
	Client *jobs.Client
	// WorkerURL is where remote workers connect ("" when none can).
	WorkerURL string
	TokenFile string

	embedded *jobs.Embedded
	conns    []*nats.Conn
	stop     context.CancelFunc
	wg       sync.WaitGroup
}

// openProofQueue opens the queue of o. storeDir holds an embedded server's
// JetStream files. If o.localProvers > 0, a worker with modules and ks
// proves in this process until Close.
func openProofQueue(ctx context.Context, o *natsOptions, storeDir string, modules map[string]jobs.Module, ks jobs.KeySource, eng prover.Engine, logger *slog.Logger) (*proofQueue, error) {
	if o.localProvers < 0 {
		return nil, usageError{fmt.Errorf("--workers %d", o.localProvers)}
	}
	if o.listen != "" && o.url != "embedded" {
		return nil, usageError{errors.New("--nats-listen needs --nats embedded")}
	}
	q := &proofQueue{}
	connect := func(name string) (*nats.Conn, error) {
		var nc *nats.Conn
		var err error
		if q.embedded != nil {
			nc, err = q.embedded.Connect(name)
		} else {
			nc, err = o.connect(name)
		}
		if err == nil {
			q.conns = append(q.conns, nc)
		}
		return nc, err
	}
	if o.url == "embedded" {
		eo := jobs.EmbeddedOptions{StoreDir: storeDir, Listen: o.listen}
		if o.listen != "" {
			if o.tokenFile == "" {
				return nil, usageError{errors.New("--nats-listen needs --nats-token-file")}
			}
			tok, err := loadOrCreateToken(o.tokenFile)
			if err != nil {
				return nil, err
			}
			eo.Token, q.TokenFile = tok, o.tokenFile
		}
		e, err := jobs.StartEmbedded(eo)
		if err != nil {
			return nil, err
		}
		q.embedded = e
		if a := e.Addr(); a != "" {
			q.WorkerURL = "nats://" + a
		}
	} else {
		q.WorkerURL, q.TokenFile = o.url, o.tokenFile
	}
	nc, err := connect("zklora-prover")
	if err == nil {
		q.Client, err = jobs.NewClient(ctx, nc, o.config(), logger)
	}
	if err == nil && o.localProvers > 0 {
		var wnc *nats.Conn
		var w *jobs.Worker
		if wnc, err = connect("zklora-local-worker"); err == nil {
			w, err = jobs.NewWorker(ctx, wnc, o.config(), jobs.WorkerOptions{Modules: modules, Keys: ks, Concurrency: o.localProvers, Name: "local", Logger: logger, Engine: eng})
		}
		if err == nil {
			wctx, cancel := context.WithCancel(context.Background())
			q.stop = cancel
			q.wg.Add(1)
			go func() {
				defer q.wg.Done()
				if err := w.Run(wctx); err != nil {
					logger.Error("local worker", "err", err)
				}
			}()
		}
	}
	if err != nil {
		q.Close()
		return nil, err
	}
	return q, nil
}

// Close stops the local worker, the connections and the embedded server.
func (q *proofQueue) Close() {
	if q.stop != nil {
		q.stop()
		q.wg.Wait()
	}
	for _, nc := range q.conns {
		nc.Close()
	}
	if q.embedded != nil {
		q.embedded.Shutdown()
	}
}
