package jobs

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Config names the queue and sets its delivery guarantees. A's prover and
// every worker of one queue must use the same Config: each creates or
// updates the streams and the consumer with it.
type Config struct {
	// Namespace prefixes the subjects, streams and consumer, so that
	// several adapters can share one NATS cluster without taking each
	// other's tasks. Lower-case letters, digits, '-' and '_'; default
	// "zklora".
	Namespace string
	// AckWait is how long a task stays with a worker that stopped
	// reporting progress before it goes to another (default 30 s). Workers
	// report every AckWait/3 while proving.
	AckWait time.Duration
	// MaxAttempts is how many times a task is delivered before it fails
	// with an error result (default 5).
	MaxAttempts int
	// ResultTTL is how long proofs stay in the results stream (default
	// 24 h): a session proven again within it needs no new proofs.
	ResultTTL time.Duration
	// Replicas is the streams' replication factor on a cluster (default 1).
	Replicas int
}

// Defaults.
const (
	DefaultNamespace   = "zklora"
	DefaultAckWait     = 30 * time.Second
	DefaultMaxAttempts = 5
	DefaultResultTTL   = 24 * time.Hour
)

var namespaceRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

func (c Config) withDefaults() (Config, error) {
	if c.Namespace == "" {
		c.Namespace = DefaultNamespace
	}
	if !namespaceRE.MatchString(c.Namespace) {
		return c, fmt.Errorf("jobs: namespace %q: want 1 to 32 of a-z, 0-9, '-', '_'", c.Namespace)
	}
	if c.AckWait <= 0 {
		c.AckWait = DefaultAckWait
	}
	if c.AckWait < 300*time.Millisecond {
		return c, fmt.Errorf("jobs: ack wait %v is too short to report progress in", c.AckWait)
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.ResultTTL <= 0 {
		c.ResultTTL = DefaultResultTTL
	}
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	return c, nil
}

// queue is the two streams and the workers' consumer of one namespace.
type queue struct {
	cfg Config
	js  jetstream.JetStream
	nc  *nats.Conn

	jobsSubject    string // tasks are published here
	resultsPrefix  string // results of task key K: resultsPrefix + K
	jobs, results  jetstream.Stream
	consumerName   string
	maxTaskPayload int
}

// openQueue creates or updates the streams and the consumer of cfg's
// namespace.
//
//   - <NS>_JOBS: subject <ns>.jobs, work-queue retention (a task is removed
//     when a worker acknowledges or terminates it), file storage.
//   - <NS>_RESULTS: subjects <ns>.results.<key>, kept ResultTTL.
//   - <ns>-provers: the durable pull consumer every worker shares, explicit
//     acknowledgement, AckWait, unlimited redelivery (workers fail a task
//     themselves after MaxAttempts, with a result that says why).
func openQueue(ctx context.Context, nc *nats.Conn, cfg Config) (*queue, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if nc == nil {
		return nil, errors.New("jobs: nil NATS connection")
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	ns := cfg.Namespace
	up := strings.ToUpper(strings.ReplaceAll(ns, "-", "_"))
	q := &queue{cfg: cfg, js: js, nc: nc, jobsSubject: ns + ".jobs", resultsPrefix: ns + ".results.", consumerName: ns + "-provers"}
	q.maxTaskPayload = int(nc.MaxPayload())
	q.jobs, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        up + "_JOBS",
		Description: "zklora proof tasks (engine/jobs)",
		Subjects:    []string{q.jobsSubject},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: stream %s_JOBS: %w", up, err)
	}
	q.results, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        up + "_RESULTS",
		Description: "zklora proof results (engine/jobs)",
		Subjects:    []string{q.resultsPrefix + ">"},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
		MaxAge:      cfg.ResultTTL,
		Duplicates:  min(cfg.ResultTTL, 2*time.Minute),
		MaxMsgSize:  maxResultBytes,
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: stream %s_RESULTS: %w", up, err)
	}
	_, err = js.CreateOrUpdateConsumer(ctx, q.jobs.CachedInfo().Config.Name, jetstream.ConsumerConfig{
		Durable:       q.consumerName,
		Description:   "zklora provers",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       cfg.AckWait,
		MaxDeliver:    -1,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		FilterSubject: q.jobsSubject,
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: consumer %s: %w", q.consumerName, err)
	}
	return q, nil
}

// resultSubject is where the results of task key go.
func (q *queue) resultSubject(key string) string { return q.resultsPrefix + key }

// hasProof reports whether the results stream holds a proof for key (the
// last result stored under it is a proof).
func (q *queue) hasProof(ctx context.Context, key string) (bool, error) {
	m, err := q.results.GetLastMsgForSubject(ctx, q.resultSubject(key))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	r, err := decodeResult(m.Data)
	if err != nil {
		return false, err
	}
	return r.Error == "" && r.Key == key, nil
}
