package jobs

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/prover"
	"github.com/zklora/zklora/engine/session"
)

// Module is what a worker needs to prove one of A's modules: its secret
// int16 weights (circuits layout), its secret salt, and the commitment A
// announced for them.
type Module struct {
	A, B       []int16
	Salt       prover.Salt
	Commitment []byte
}

// SyntheticModules is what a worker needs to prove a synthetic session
// (engine/session.NewSynthetic): its weights, salts and commitments.
func SyntheticModules(syn *session.Synthetic) map[string]Module {
	out := make(map[string]Module, len(syn.Secrets))
	for name, sec := range syn.Secrets {
		m, _ := syn.Transcript.Module(name)
		out[name] = Module{A: sec.A, B: sec.B, Salt: sec.Salt, Commitment: m.Commitment}
	}
	return out
}

// KeySource returns the proving keys of a shape (engine/session.KeySource).
type KeySource interface {
	Keys(shape circuits.Shape) (*prover.Keys, error)
}

// WorkerOptions configures a Worker.
type WorkerOptions struct {
	// Modules are the modules this worker can prove, by name. Required.
	Modules map[string]Module
	// Keys gives the proving keys; they must be A's (same verifying key).
	// Required.
	Keys KeySource
	// Concurrency is the number of proofs at once (default 1: gnark's
	// prover already uses every CPU).
	Concurrency int
	// Name identifies the worker in results and logs (default host/pid).
	Name string
	// Logger receives operational logs (nil: discarded).
	Logger *slog.Logger
	// Engine proves the tasks (CPU or GPU); nil means the CPU.
	Engine prover.Engine
}

// WorkerStats counts what a worker did with the tasks it took.
type WorkerStats struct {
	Proven  int64 `json:"proven"`  // proofs published
	Skipped int64 `json:"skipped"` // tasks whose key already had a proof
	Failed  int64 `json:"failed"`  // error results published
	Retried int64 `json:"retried"` // tasks given back for another attempt
	Dropped int64 `json:"dropped"` // malformed or unauthenticated tasks removed
}

// Worker takes tasks from the queue and proves them.
type Worker struct {
	q    *queue
	opts WorkerOptions
	log  *slog.Logger

	// prove is prover.Prove (tests replace it).
	prove func(keys *prover.Keys, st circuits.Statement, A, B []int16, salt prover.Salt) (*prover.Proof, error)
	// fetchWait bounds one pull request.
	fetchWait time.Duration

	proven, skipped, failed, retried, dropped atomic.Int64
}

// NewWorker opens the queue of cfg on nc (creating or updating its streams
// and consumer, as NewClient does) for a worker with opts.
func NewWorker(ctx context.Context, nc *nats.Conn, cfg Config, opts WorkerOptions) (*Worker, error) {
	if len(opts.Modules) == 0 {
		return nil, errors.New("jobs: a worker needs at least one module")
	}
	if opts.Keys == nil {
		return nil, errors.New("jobs: a worker needs a key source")
	}
	for name, m := range opts.Modules {
		if len(m.Commitment) != prover.CommitmentSize {
			return nil, fmt.Errorf("jobs: module %s: commitment of %d bytes", name, len(m.Commitment))
		}
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 1
	}
	if opts.Name == "" {
		host, _ := os.Hostname()
		opts.Name = fmt.Sprintf("%s/%d", host, os.Getpid())
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	q, err := openQueue(ctx, nc, cfg)
	if err != nil {
		return nil, err
	}
	return &Worker{q: q, opts: opts, log: opts.Logger.With("worker", opts.Name), prove: func(keys *prover.Keys, st circuits.Statement, A, B []int16, salt prover.Salt) (*prover.Proof, error) {
		return prover.ProveWith(opts.Engine, keys, st, A, B, salt)
	}, fetchWait: 10 * time.Second}, nil
}

// Stats returns what the worker has done so far.
func (w *Worker) Stats() WorkerStats {
	return WorkerStats{Proven: w.proven.Load(), Skipped: w.skipped.Load(), Failed: w.failed.Load(), Retried: w.retried.Load(), Dropped: w.dropped.Load()}
}

// Run takes and proves tasks until ctx ends. A task being proven when ctx
// ends is given back to the queue at once (the proof is abandoned). Run
// returns nil when ctx ends, or an error if the consumer cannot be found.
func (w *Worker) Run(ctx context.Context) error {
	cons, err := w.q.js.Consumer(ctx, w.q.jobs.CachedInfo().Config.Name, w.q.consumerName)
	if err != nil {
		return fmt.Errorf("jobs: consumer %s: %w", w.q.consumerName, err)
	}
	w.log.Info("worker started", "subject", w.q.jobsSubject, "modules", len(w.opts.Modules), "concurrency", w.opts.Concurrency)
	slots := make(chan struct{}, w.opts.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		// One task per free slot: a worker never holds tasks it is not
		// proving, which other workers could take.
		msg, err := w.fetch(ctx, cons)
		if msg == nil {
			<-slots
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				w.log.Warn("fetch", "err", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			w.handle(ctx, msg)
		}()
	}
}

// fetch waits up to fetchWait for one task.
func (w *Worker) fetch(ctx context.Context, cons jetstream.Consumer) (jetstream.Msg, error) {
	fctx, cancel := context.WithTimeout(ctx, w.fetchWait)
	defer cancel()
	batch, err := cons.Fetch(1, jetstream.FetchContext(fctx))
	if err != nil {
		return nil, err
	}
	var msg jetstream.Msg
	for m := range batch.Messages() {
		msg = m
	}
	if msg == nil && batch.Error() != nil && !errors.Is(batch.Error(), context.DeadlineExceeded) && ctx.Err() == nil {
		return nil, batch.Error()
	}
	return msg, nil
}

// handle proves one task and settles it: ack after its proof is stored,
// term after an error result is stored or when it is malformed or forged,
// nak to let another worker try.
func (w *Worker) handle(ctx context.Context, msg jetstream.Msg) {
	attempt := uint64(1)
	if md, err := msg.Metadata(); err == nil {
		attempt = md.NumDelivered
	}
	t, err := decodeTask(msg.Data())
	if err != nil {
		w.log.Warn("malformed task removed", "err", err)
		w.dropped.Add(1)
		_ = msg.TermWithReason("malformed task")
		return
	}
	log := w.log.With("module", t.Module, "key", t.Key[:16], "attempt", attempt)
	mod, ok := w.opts.Modules[t.Module]
	if !ok || !bytes.Equal(mod.Commitment, t.Commitment) {
		w.retry(ctx, log, msg, t, attempt, fmt.Sprintf("no worker holds module %q with commitment %x…", t.Module, t.Commitment[:8]))
		return
	}
	if !hmac.Equal(taskMAC(mod.Salt, t.Key), t.MAC) {
		log.Warn("task with a bad MAC removed: whoever queued it does not hold the module's salt")
		w.dropped.Add(1)
		_ = msg.TermWithReason("bad MAC")
		return
	}
	if done, err := w.q.hasProof(ctx, t.Key); err == nil && done {
		log.Info("already proven; skipped")
		w.skipped.Add(1)
		_ = msg.Ack()
		return
	}
	if attempt > uint64(w.q.cfg.MaxAttempts) {
		w.fail(ctx, log, msg, t, attempt, fmt.Sprintf("delivered %d times without a proof: the workers that took it died or stalled", attempt-1))
		return
	}
	keys, err := w.opts.Keys.Keys(t.Statement.Shape)
	if err != nil {
		w.retry(ctx, log, msg, t, attempt, fmt.Sprintf("keys for %s: %v", t.Statement.Shape, err))
		return
	}
	if fp := prover.VKFingerprint(keys.VK); keys.CircuitID != t.CircuitID || fp != t.VKFingerprint {
		w.retry(ctx, log, msg, t, attempt, fmt.Sprintf("this worker's keys for %s (vk %.16s…) are not A's (vk %.16s…)", t.CircuitID, fp, t.VKFingerprint))
		return
	}
	t0 := time.Now()
	proof, err := w.proveHeld(ctx, msg, keys, t, mod)
	elapsed := time.Since(t0)
	if ctx.Err() != nil {
		_ = msg.Nak() // shutting down: someone else proves it now
		return
	}
	switch {
	case errors.Is(err, prover.ErrUnsatisfied) || errors.Is(err, prover.ErrGnarkChanged):
		w.fail(ctx, log, msg, t, attempt, err.Error())
		return
	case err != nil:
		w.retry(ctx, log, msg, t, attempt, err.Error())
		return
	case !bytes.Equal(proof.Commitment(), t.Commitment):
		w.fail(ctx, log, msg, t, attempt, "the proof's commitment differs from the announced one: this worker's weights or salt are not A's")
		return
	}
	raw, err := proof.MarshalBinary()
	if err == nil {
		err = w.publish(ctx, t.Key, resultWire{Proof: raw, Attempt: attempt, ProveMS: elapsed.Milliseconds()})
	}
	if err != nil {
		log.Warn("cannot store the proof; giving the task back", "err", err)
		w.retried.Add(1)
		_ = msg.NakWithDelay(time.Second)
		return
	}
	w.proven.Add(1)
	if err := msg.DoubleAck(ctx); err != nil {
		// The proof is stored: a redelivery finds it and is skipped.
		log.Warn("ack", "err", err)
	}
	log.Info("proven", "seconds", elapsed.Seconds())
}

// proveHeld proves t while telling the server every AckWait/3 that the
// task is still being worked on. It returns early with ctx's error.
func (w *Worker) proveHeld(ctx context.Context, msg jetstream.Msg, keys *prover.Keys, t *task, mod Module) (*prover.Proof, error) {
	type out struct {
		p   *prover.Proof
		err error
	}
	ch := make(chan out, 1)
	go func() {
		var o out
		defer func() {
			if r := recover(); r != nil {
				o = out{nil, fmt.Errorf("prover panicked: %v", r)}
			}
			ch <- o
		}()
		o.p, o.err = w.prove(keys, t.Statement, mod.A, mod.B, mod.Salt)
	}()
	tick := time.NewTicker(w.q.cfg.AckWait / 3)
	defer tick.Stop()
	for {
		select {
		case o := <-ch:
			return o.p, o.err
		case <-tick.C:
			_ = msg.InProgress()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// retry gives the task back for another attempt, or fails it on its last.
func (w *Worker) retry(ctx context.Context, log *slog.Logger, msg jetstream.Msg, t *task, attempt uint64, reason string) {
	if attempt >= uint64(w.q.cfg.MaxAttempts) {
		w.fail(ctx, log, msg, t, attempt, reason)
		return
	}
	log.Warn("giving the task back", "reason", reason)
	w.retried.Add(1)
	_ = msg.NakWithDelay(min(time.Duration(attempt)*time.Second, w.q.cfg.AckWait))
}

// fail stores an error result for t, which fails A's session, and removes
// the task. If the result cannot be stored, the task is given back so that
// the failure is reported by a later attempt.
func (w *Worker) fail(ctx context.Context, log *slog.Logger, msg jetstream.Msg, t *task, attempt uint64, reason string) {
	if len(reason) > maxErrorLen {
		reason = reason[:maxErrorLen]
	}
	log.Error("task failed", "reason", reason)
	if err := w.publish(ctx, t.Key, resultWire{Error: reason, Attempt: attempt}); err != nil {
		log.Warn("cannot store the failure; giving the task back", "err", err)
		_ = msg.NakWithDelay(time.Second)
		return
	}
	w.failed.Add(1)
	_ = msg.TermWithReason("failed")
}

func (w *Worker) publish(ctx context.Context, key string, r resultWire) error {
	r.Version, r.Key, r.Worker = resultVersion, key, w.opts.Name
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = w.q.js.PublishMsg(ctx, &nats.Msg{Subject: w.q.resultSubject(key), Data: b},
		jetstream.WithExpectStream(w.q.results.CachedInfo().Config.Name))
	return err
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
