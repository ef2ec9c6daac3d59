package main

import (
	"context"
	"sync"

	"github.com/zklora/zklora/engine/jobs"
	"github.com/zklora/zklora/engine/session"
	"github.com/zklora/zklora/engine/transcript"
	"github.com/zklora/zklora/net/contributor"
	"github.com/zklora/zklora/net/server"
)

// lazyQueue opens the demo's proof queue on the first session proven, so
// that its workers see the keys and commitments in force at that time
// (the loopback demo's key ceremonies run after A starts and re-commit the
// adapter under the new keys).
type lazyQueue struct {
	open func(*transcript.Transcript) (*proofQueue, error)

	mu sync.Mutex
	pq *proofQueue
}

// get returns the queue, opening it for tr on first use.
func (l *lazyQueue) get(tr *transcript.Transcript) (*proofQueue, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pq == nil {
		pq, err := l.open(tr)
		if err != nil {
			return nil, err
		}
		l.pq = pq
	}
	return l.pq, nil
}

// proveFunc proves sessions of ad through the queue.
func (l *lazyQueue) proveFunc(ad *contributor.Adapter, opts session.ProveOptions) server.ProveFunc {
	return func(ctx context.Context, dir string, tr *transcript.Transcript, progress func(done, total int, module string)) error {
		pq, err := l.get(tr)
		if err != nil {
			return err
		}
		o := opts
		o.Runner = pq.Client
		return ad.ProveFunc(o)(ctx, dir, tr, progress)
	}
}

// close closes the queue if it was opened.
func (l *lazyQueue) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pq != nil {
		l.pq.Close()
	}
}

// workerModulesOf is what a queue worker needs to prove tr's modules of
// ad: the secret weights and salts, and the commitments A announced in tr.
func workerModulesOf(ad *contributor.Adapter, tr *transcript.Transcript) map[string]jobs.Module {
	out := ad.WorkerModules()
	for name, m := range out {
		if tm, ok := tr.Module(name); ok {
			m.Commitment = tm.Commitment
			out[name] = m
		}
	}
	return out
}
