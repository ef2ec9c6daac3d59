package prover

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/zklora/zklora/circuits"
)

// Job is one proof for ProveMany.
type Job struct {
	Name      string // for errors and progress
	Keys      *Keys
	Statement circuits.Statement
	A, B      []int16
	Salt      Salt
	// Commitment, if set, is the commitment announced for these weights:
	// ProveMany fails a proof that carries another one, and remote runners
	// send it so that a worker can tell whether it holds these weights.
	Commitment []byte
}

// ManyOptions tunes ProveMany.
type ManyOptions struct {
	// MemoryBudget bounds the estimated memory of the proofs in flight, in
	// bytes (see EstimateProveMemory); 0 means DefaultMemoryBudget. A job
	// estimated above the budget runs alone.
	MemoryBudget int64
	// Workers bounds the proofs in flight; 0 means GOMAXPROCS. gnark's
	// prover already uses every CPU, so more than one worker mostly helps
	// overlap its serial phases.
	Workers int
	// Progress, if set, is called after each proof, one call at a time,
	// with done counting the finished proofs.
	Progress func(done, total int, job Job)
	// Engine proves each job; nil means the CPU (see ProveWith).
	Engine Engine
}

// DefaultMemoryBudget is the memory budget ProveMany uses when none is set.
const DefaultMemoryBudget int64 = 2 << 30

// Memory model of one proof (gnark v0.16.3, GOGC=100). The peak RSS of a
// process that loaded the keys grows while proving by about
// bytesPerDomainSlot per slot of the FFT domain (the constraint count
// rounded up to a power of two), measured in a fresh child process
// (TestProveMemory): +25 MiB for 768×8×2304 (25,340 constraints, 2^15) and
// +105 MiB for 768×32×2304 (2^17), i.e. about 800 B per slot; the model
// rounds up. The keys themselves (about 44 MiB resident for 768×8×2304)
// are not counted: the jobs of one shape share them.
const (
	bytesPerDomainSlot int64 = 1 << 10
	proveBaseBytes     int64 = 8 << 20
)

// EstimateProveMemory estimates the transient memory of one proof with
// keys, in bytes: proveBaseBytes plus bytesPerDomainSlot per slot of the
// FFT domain.
func EstimateProveMemory(keys *Keys) int64 {
	if keys == nil || keys.CS == nil {
		return proveBaseBytes
	}
	n := int64(1)
	for n < int64(keys.CS.GetNbConstraints()) {
		n <<= 1
	}
	return proveBaseBytes + n*bytesPerDomainSlot
}

// ProveMany proves every job, several at a time within the memory budget
// and worker count, and returns the proofs in job order. It stops starting
// new proofs when ctx is cancelled or a proof fails, and returns the first
// error (proofs already running finish first).
func ProveMany(ctx context.Context, jobs []Job, opts ManyOptions) ([]*Proof, error) {
	budget := opts.MemoryBudget
	if budget <= 0 {
		budget = DefaultMemoryBudget
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	for i := range jobs {
		if err := jobs[i].Keys.check(); err != nil {
			return nil, fmt.Errorf("prove %s: %w", jobs[i].Name, err)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	proofs := make([]*Proof, len(jobs))
	type result struct {
		weight int64
	}
	released := make(chan result, len(jobs))
	var (
		mu       sync.Mutex
		firstErr error
		done     int
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	avail, running := budget, 0
dispatch:
	for i := range jobs {
		w := EstimateProveMemory(jobs[i].Keys)
		if w > budget {
			w = budget
		}
		for avail < w || running >= workers {
			select {
			case r := <-released:
				avail += r.weight
				running--
			case <-ctx.Done():
				break dispatch
			}
		}
		if ctx.Err() != nil {
			break
		}
		avail -= w
		running++
		wg.Add(1)
		go func(i int, w int64) {
			defer wg.Done()
			defer func() { released <- result{weight: w} }()
			p, err := proveJob(opts.Engine, jobs[i])
			if err == nil && len(jobs[i].Commitment) > 0 && !bytes.Equal(p.Commitment(), jobs[i].Commitment) {
				err = fmt.Errorf("%w (wrong weights or salt)", ErrCommitmentMismatch)
			}
			if err != nil {
				fail(fmt.Errorf("prove %s: %w", jobs[i].Name, err))
				return
			}
			proofs[i] = p
			mu.Lock()
			done++
			if opts.Progress != nil {
				opts.Progress(done, len(jobs), jobs[i])
			}
			mu.Unlock()
		}(i, w)
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	for _, p := range proofs {
		if p == nil {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			return nil, errors.New("prove many: a proof is missing")
		}
	}
	return proofs, nil
}

// proveJob proves one job, turning a panic in gnark into an error.
func proveJob(e Engine, j Job) (p *Proof, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("prover panicked: %v", r)
		}
	}()
	if j.Keys == nil {
		return nil, errors.New("nil keys")
	}
	return ProveWith(e, j.Keys, j.Statement, j.A, j.B, j.Salt)
}
