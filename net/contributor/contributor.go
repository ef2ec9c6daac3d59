package contributor

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/gpt2"
	"github.com/zklora/zklora/engine/jobs"
	"github.com/zklora/zklora/engine/lora"
	"github.com/zklora/zklora/engine/peft"
	"github.com/zklora/zklora/engine/prover"
	"github.com/zklora/zklora/engine/session"
	"github.com/zklora/zklora/engine/transcript"
	"github.com/zklora/zklora/net/server"
)

// Adapter is A's committed adapter, ready to serve and to prove.
type Adapter struct {
	// Modules are the server's modules, in forward order.
	Modules []server.Module
	// Secrets are the weights and salts the prover needs.
	Secrets map[string]session.ModuleSecret
	// Keys provides the proving keys of every shape.
	Keys session.KeySource
}

// Options says where the adapter and keys come from.
type Options struct {
	// BaseConfig is the base model's config.json (gpt2 family); the
	// adapter is checked against it.
	BaseConfig string
	// AdapterDir holds adapter_config.json and adapter_model.safetensors.
	AdapterDir string
	// OutDir is A's output directory; the salts live under it.
	OutDir string
	// Keys provides proving keys. Nil means dev keys cached in a
	// prover.Store at KeyDir (made on first use).
	Keys session.KeySource
	// KeyDir is the dev key store's directory (default OutDir/keys).
	KeyDir string
	// ExistingSalts requires every module's salt to be in OutDir's salts
	// file already, for a proof worker that must use A's salts: Load fails
	// instead of drawing new ones.
	ExistingSalts bool
}

// Load loads, quantizes and commits the adapter.
func Load(opts Options) (*Adapter, error) {
	cfg, err := gpt2.LoadConfig(opts.BaseConfig)
	if err != nil {
		return nil, err
	}
	ad, err := peft.Load(opts.AdapterDir, cfg)
	if err != nil {
		return nil, err
	}
	qm, err := lora.QuantizeAdapter(ad)
	if err != nil {
		return nil, err
	}
	ks := opts.Keys
	if ks == nil {
		dir := opts.KeyDir
		if dir == "" {
			dir = filepath.Join(opts.OutDir, "keys")
		}
		st, err := prover.OpenStore(dir)
		if err != nil {
			return nil, err
		}
		ks = DevKeys(st)
	}
	return fromQuantized(qm, ks, opts.OutDir, !opts.ExistingSalts)
}

// FromQuantized commits already quantized modules with salts kept under
// outDir.
func FromQuantized(qm map[string]*lora.QuantizedModule, ks session.KeySource, outDir string) (*Adapter, error) {
	return fromQuantized(qm, ks, outDir, true)
}

func fromQuantized(qm map[string]*lora.QuantizedModule, ks session.KeySource, outDir string, createSalts bool) (*Adapter, error) {
	digests := make(map[string]string, len(qm))
	for n, m := range qm {
		digests[n] = weightsDigest(m.A, m.B, m.ShiftA, m.ShiftB)
	}
	salts, err := loadSalts(outDir, digests, createSalts)
	if err != nil {
		return nil, err
	}
	a := &Adapter{Secrets: map[string]session.ModuleSecret{}, Keys: ks}
	for _, p := range lora.QuantizedPoints(qm) {
		m := qm[p.Name]
		keys, err := ks.Keys(p.Shape())
		if err != nil {
			return nil, fmt.Errorf("contributor: keys for %s (%s): %w", p.Name, p.Shape(), err)
		}
		salt := salts[p.Name]
		cm, err := prover.Commitment(keys, m.A, m.B, salt)
		if err != nil {
			return nil, fmt.Errorf("contributor: commit %s: %w", p.Name, err)
		}
		a.Modules = append(a.Modules, server.Module{
			Name: p.Name, Shape: p.Shape(), A: m.A, B: m.B,
			ShiftA: m.ShiftA, ShiftB: m.ShiftB, Scaling: p.Scaling,
			Commitment: cm, CircuitID: keys.CircuitID,
			VKFingerprint: prover.VKFingerprint(keys.VK), KeyMode: string(keys.Mode),
		})
		a.Secrets[p.Name] = session.ModuleSecret{A: m.A, B: m.B, Salt: salt}
	}
	return a, nil
}

// ProveFunc returns the server's prover: engine/session.ProveSession with
// this adapter's secrets and keys.
func (a *Adapter) ProveFunc(opts session.ProveOptions) server.ProveFunc {
	return func(ctx context.Context, dir string, tr *transcript.Transcript, progress func(done, total int, module string)) error {
		o := opts
		o.Progress = progress
		_, err := session.ProveSession(ctx, dir, tr, a.Secrets, a.Keys, o)
		return err
	}
}

// WorkerModules is what an engine/jobs worker needs to prove this
// adapter's modules: weights, salts and announced commitments.
func (a *Adapter) WorkerModules() map[string]jobs.Module {
	out := make(map[string]jobs.Module, len(a.Modules))
	for _, m := range a.Modules {
		sec := a.Secrets[m.Name]
		out[m.Name] = jobs.Module{A: sec.A, B: sec.B, Salt: sec.Salt, Commitment: m.Commitment}
	}
	return out
}

// keyCache is a KeySource that loads each shape's keys once.
type keyCache struct {
	load func(circuits.Shape) (*prover.Keys, error)
	mu   sync.Mutex
	keys map[circuits.Shape]*prover.Keys
}

// Keys returns the keys of shape, loading them on first use.
func (c *keyCache) Keys(shape circuits.Shape) (*prover.Keys, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if k, ok := c.keys[shape]; ok {
		return k, nil
	}
	k, err := c.load(shape)
	if err != nil {
		return nil, err
	}
	c.keys[shape] = k
	return k, nil
}

// DevKeys is a KeySource of dev keys from store, made on first use and kept
// in memory afterwards. Dev keys are for tests and demos only: whoever made
// them can forge proofs, and verifiers refuse them unless told otherwise.
func DevKeys(store *prover.Store) session.KeySource {
	return &keyCache{load: store.LoadOrCreateDev, keys: map[circuits.Shape]*prover.Keys{}}
}

// StoredKeys is a KeySource of keys already in store (ceremony keys, for
// example), kept in memory after the first load.
func StoredKeys(store *prover.Store) session.KeySource {
	return &keyCache{load: store.Load, keys: map[circuits.Shape]*prover.Keys{}}
}
