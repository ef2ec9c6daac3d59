package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/artifact"
	"github.com/zklora/zklora/engine/prover"
	"github.com/zklora/zklora/engine/transcript"
)

// ModuleSecret is what A keeps private for one module: its int16 weights in
// the circuits layout (A d×r, B r×o) and the salt of its commitment.
type ModuleSecret struct {
	A, B []int16
	Salt prover.Salt
}

// KeySource returns the proving keys for a shape (a key store, or a fixed
// set of ceremony keys).
type KeySource interface {
	Keys(shape circuits.Shape) (*prover.Keys, error)
}

// JobRunner proves a session's module proofs and returns them in job order.
// prover.ProveMany on this host is the default; engine/jobs runs them on
// workers through NATS JetStream. ProveSession checks every returned proof's
// commitment against the one announced at init, whoever made it.
type JobRunner interface {
	ProveJobs(ctx context.Context, jobs []prover.Job, opts prover.ManyOptions) ([]*prover.Proof, error)
}

// LocalRunner proves on this host with prover.ProveMany.
type LocalRunner struct{}

// ProveJobs calls prover.ProveMany.
func (LocalRunner) ProveJobs(ctx context.Context, jobs []prover.Job, opts prover.ManyOptions) ([]*prover.Proof, error) {
	return prover.ProveMany(ctx, jobs, opts)
}

// ProveOptions tunes ProveSession.
type ProveOptions struct {
	Workers      int   // parallel proofs; 0 means the CPU count
	MemoryBudget int64 // bytes; 0 means the prover's default
	// Progress, if set, is called after each module's proof.
	Progress func(done, total int, module string)
	// Runner proves the jobs; nil means LocalRunner.
	Runner JobRunner
	// Engine proves each module on this host (CPU or GPU); nil means the
	// CPU. Remote runners ignore it (their workers choose).
	Engine prover.Engine
}

// NewNonce returns B's 32-byte end-of-session nonce from crypto/rand.
func NewNonce() ([]byte, error) {
	n := make([]byte, 32)
	if _, err := rand.Read(n); err != nil {
		return nil, err
	}
	return n, nil
}

// Challenges derives β, γ for one module of a transcript whose nonce is set.
func Challenges(tr *transcript.Transcript, m transcript.Module, root [32]byte) (beta, gamma fr.Element) {
	return circuits.DeriveChallenges(circuits.ChallengeInput{
		SessionID:      tr.SessionID,
		Module:         m.Name,
		Commitment:     m.Commitment,
		TranscriptRoot: root,
		Nonce:          tr.Nonce,
	})
}

// ProveSession proves every module used in tr (A's own record, with B's
// nonce set) and writes the artifact directory dir. secrets must hold every
// used module; the commitment each proof carries must equal the one A
// announced at init, or ProveSession fails (A's own consistency check).
func ProveSession(ctx context.Context, dir string, tr *transcript.Transcript, secrets map[string]ModuleSecret, ks KeySource, opts ProveOptions) (*artifact.Manifest, error) {
	if len(tr.Nonce) == 0 {
		return nil, errors.New("prove session: the transcript has no end-of-session nonce")
	}
	used := tr.UsedModules()
	if len(used) == 0 {
		return nil, errors.New("prove session: no module was used in this session")
	}
	root := tr.Root()
	man := &artifact.Manifest{
		FormatVersion:  artifact.FormatVersion,
		Curve:          "bn254",
		Backend:        "groth16",
		SessionID:      tr.SessionID,
		TranscriptRoot: hex.EncodeToString(root[:]),
		Nonce:          hex.EncodeToString(tr.Nonce),
		CreatedAt:      time.Now().UTC().Format(time.RFC3339),
	}
	contents := &artifact.Contents{VKs: map[string][]byte{}, Proofs: map[string][]byte{}, Statements: map[string][]byte{}}
	jobs := make([]prover.Job, 0, len(used))
	for _, name := range used {
		m, _ := tr.Module(name)
		sec, ok := secrets[name]
		if !ok {
			return nil, fmt.Errorf("prove session: no weights for module %q", name)
		}
		keys, err := ks.Keys(m.Shape)
		if err != nil {
			return nil, fmt.Errorf("prove session: module %q: %w", name, err)
		}
		beta, gamma := Challenges(tr, m, root)
		X, Z, T := tr.ModuleRows(name)
		st, err := circuits.ComputeStatement(m.Shape, X, Z, beta, gamma)
		if err != nil {
			return nil, fmt.Errorf("prove session: module %q: %w", name, err)
		}
		stJSON, err := json.Marshal(st)
		if err != nil {
			return nil, fmt.Errorf("prove session: module %q: %w", name, err)
		}
		vkBytes, err := prover.EncodeVK(keys.VK)
		if err != nil {
			return nil, err
		}
		contents.VKs[keys.CircuitID] = vkBytes
		contents.Statements[name] = stJSON
		man.Modules = append(man.Modules, artifact.ModuleEntry{
			Name: name, Shape: m.Shape, Rows: T,
			CircuitID: keys.CircuitID, VKFingerprint: prover.VKFingerprint(keys.VK),
			KeyMode: string(keys.Mode), Ceremony: keys.Ceremony,
			Commitment: hex.EncodeToString(m.Commitment),
			Beta:       circuits.FrDecimal(&beta), Gamma: circuits.FrDecimal(&gamma),
			Proof: artifact.ProofPath(name), Statement: artifact.StatementPath(name), VK: artifact.VKPath(keys.CircuitID),
		})
		jobs = append(jobs, prover.Job{Name: name, Keys: keys, Statement: st, A: sec.A, B: sec.B, Salt: sec.Salt, Commitment: m.Commitment})
	}
	var progress func(done, total int, job prover.Job)
	if opts.Progress != nil {
		progress = func(done, total int, job prover.Job) { opts.Progress(done, total, job.Name) }
	}
	runner := opts.Runner
	if runner == nil {
		runner = LocalRunner{}
	}
	proofs, err := runner.ProveJobs(ctx, jobs, prover.ManyOptions{Workers: opts.Workers, MemoryBudget: opts.MemoryBudget, Progress: progress, Engine: opts.Engine})
	if err != nil {
		return nil, fmt.Errorf("prove session: %w", err)
	}
	if len(proofs) != len(jobs) {
		return nil, fmt.Errorf("prove session: the runner returned %d proofs for %d modules", len(proofs), len(jobs))
	}
	for i, p := range proofs {
		name := jobs[i].Name
		m, _ := tr.Module(name)
		if hex.EncodeToString(p.Commitment()) != hex.EncodeToString(m.Commitment) {
			return nil, fmt.Errorf("prove session: module %q: the proof's commitment differs from the one announced at init (wrong weights or salt)", name)
		}
		b, err := p.MarshalBinary()
		if err != nil {
			return nil, err
		}
		contents.Proofs[name] = b
	}
	contents.Manifest = *man
	if err := artifact.Write(dir, contents); err != nil {
		return nil, err
	}
	return man, nil
}
