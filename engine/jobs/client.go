package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/zklora/zklora/engine/prover"
)

// Client is A's side of the queue: an engine/session.JobRunner that proves
// a session's modules on the workers of its namespace.
type Client struct {
	q   *queue
	log *slog.Logger
}

// NewClient opens the queue of cfg on nc, creating or updating its streams
// and consumer. logger may be nil.
func NewClient(ctx context.Context, nc *nats.Conn, cfg Config, logger *slog.Logger) (*Client, error) {
	q, err := openQueue(ctx, nc, cfg)
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Client{q: q, log: logger}, nil
}

// ProveJobs publishes one task per job and waits for a valid proof of
// each. Every job needs its keys (the verifying key checks the proofs),
// its salt (it authenticates the task) and the commitment announced for
// it; its weights are not used: the workers hold their own. A proof
// already in the results stream for a job's key is taken without waiting
// for a worker. ProveJobs fails on the first error result or invalid
// proof, and returns ctx's error when ctx ends first (the tasks stay
// queued). opts.Progress is called as proofs arrive; its other fields are
// for local proving and ignored.
func (c *Client) ProveJobs(ctx context.Context, jobs []prover.Job, opts prover.ManyOptions) ([]*prover.Proof, error) {
	if len(jobs) == 0 {
		return nil, nil
	}
	payloads := map[string][]byte{} // key → task
	idx := map[string][]int{}       // key → job indices (equal jobs share a key)
	var subjects []string
	for i, j := range jobs {
		b, key, err := encodeTask(j)
		if err != nil {
			return nil, fmt.Errorf("jobs: %w", err)
		}
		if len(b) > c.q.maxTaskPayload {
			return nil, fmt.Errorf("jobs: the task of %s is %d bytes, over the NATS server's max_payload %d", j.Name, len(b), c.q.maxTaskPayload)
		}
		if _, ok := payloads[key]; !ok {
			payloads[key] = b
			subjects = append(subjects, c.q.resultSubject(key))
		}
		idx[key] = append(idx[key], i)
	}

	// Error results already stored are stale (an earlier attempt at this
	// session failed): only results after this point can fail this call.
	info, err := c.q.results.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	staleBefore := info.State.LastSeq
	cons, err := c.q.results.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: subjects, DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return nil, fmt.Errorf("jobs: results consumer: %w", err)
	}
	it, err := cons.Messages()
	if err != nil {
		return nil, fmt.Errorf("jobs: results consumer: %w", err)
	}
	defer it.Stop()

	// One message id per call: a publish retried within this call is
	// stored once, and a later call (A restarted) queues its tasks again;
	// workers skip those whose key already has a proof.
	var nonce [8]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, err
	}
	call := hex.EncodeToString(nonce[:])
	for key, b := range payloads {
		if _, err := c.q.js.PublishMsg(ctx, &nats.Msg{Subject: c.q.jobsSubject, Data: b},
			jetstream.WithMsgID(key+"."+call), jetstream.WithExpectStream(c.q.jobs.CachedInfo().Config.Name)); err != nil {
			return nil, fmt.Errorf("jobs: queue %s: %w", jobs[idx[key][0]].Name, err)
		}
	}
	c.log.Info("proof tasks queued", "tasks", len(payloads), "subject", c.q.jobsSubject)

	proofs := make([]*prover.Proof, len(jobs))
	done := 0
	for left := len(payloads); left > 0; {
		msg, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("jobs: reading results: %w", err)
		}
		key := msg.Subject()[len(c.q.resultsPrefix):]
		is, ok := idx[key]
		if !ok || proofs[is[0]] != nil {
			continue // a duplicate
		}
		j := &jobs[is[0]]
		r, err := decodeResult(msg.Data())
		if err == nil && r.Key != key {
			err = fmt.Errorf("result for key %.16s… stored under %.16s…", r.Key, key)
		}
		if err != nil {
			return nil, fmt.Errorf("jobs: module %s: %w", j.Name, err)
		}
		if r.Error != "" {
			if md, merr := msg.Metadata(); merr == nil && md.Sequence.Stream <= staleBefore {
				continue
			}
			return nil, &DeadLetterError{Module: j.Name, Key: key, Worker: r.Worker, Deliveries: r.Attempt, Reason: r.Error}
		}
		p, err := prover.DecodeProof(r.Proof)
		if err == nil {
			err = prover.Verify(j.Keys.VK, j.Statement, j.Commitment, p)
		}
		if err != nil {
			return nil, fmt.Errorf("jobs: module %s: worker %s returned a proof that does not verify: %w", j.Name, r.Worker, err)
		}
		for _, i := range is {
			proofs[i] = p
			done++
			if opts.Progress != nil {
				opts.Progress(done, len(jobs), jobs[i])
			}
		}
		c.log.Debug("proof received", "module", j.Name, "worker", r.Worker, "attempt", r.Attempt, "prove_ms", r.ProveMS)
		left--
	}
	return proofs, nil
}

// DeadLetterError is the failure of a task that will not be retried: a
// worker stored an error result for it, after it had been delivered
// Config.MaxAttempts times or at once for a statement no retry can prove.
// Its message is one line, shown by proof_status and by B.
type DeadLetterError struct {
	Module     string // the module the task proves
	Key        string // the task's idempotent key
	Worker     string // the worker that gave up
	Deliveries uint64 // deliveries of the task, the last one included
	Reason     string // the last attempt's error
}

func (e *DeadLetterError) Error() string {
	return fmt.Sprintf("module %s: dead-lettered after %d deliveries (job %.16s…, worker %s): %s", e.Module, e.Deliveries, e.Key, e.Worker, oneLine(e.Reason))
}

// oneLine replaces line breaks by spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
