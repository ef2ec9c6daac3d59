package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/ceremony"
	"github.com/zklora/zklora/engine/prover"
	"github.com/zklora/zklora/engine/transcript"
	"github.com/zklora/zklora/net/client"
	"github.com/zklora/zklora/net/contributor"
	"github.com/zklora/zklora/net/server"
	"github.com/zklora/zklora/net/wire"
)

// ceremonyKeySource is A's key source when A takes part in key ceremonies:
// the keys of a ceremony finished while serving (set), else the store's
// keys for the shape (ceremony keys if a ceremony ran before), else dev
// keys made on first use.
type ceremonyKeySource struct {
	store *prover.Store
	mu    sync.Mutex
	keys  map[circuits.Shape]*prover.Keys
}

func newCeremonyKeySource(store *prover.Store) *ceremonyKeySource {
	return &ceremonyKeySource{store: store, keys: map[circuits.Shape]*prover.Keys{}}
}

// Keys returns the keys of shape s.
func (k *ceremonyKeySource) Keys(s circuits.Shape) (*prover.Keys, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if keys, ok := k.keys[s]; ok {
		return keys, nil
	}
	keys, err := k.store.Load(s)
	if errors.Is(err, prover.ErrKeysNotFound) {
		keys, err = k.store.LoadOrCreateDev(s)
	}
	if err != nil {
		return nil, err
	}
	k.keys[s] = keys
	return keys, nil
}

func (k *ceremonyKeySource) set(keys *prover.Keys) {
	k.mu.Lock()
	k.keys[keys.Shape] = keys
	k.mu.Unlock()
}

// serverCeremony is A's part in the in-protocol ceremonies: a finished
// ceremony is stored (transcript and keys), its keys replace the shape's in
// ks (so that the sessions opened from now on are proven with them), and the
// shape's modules are committed again under them.
func serverCeremony(store *prover.Store, ks *ceremonyKeySource, ad *contributor.Adapter) *server.CeremonyConfig {
	return &server.CeremonyConfig{Done: func(t *ceremony.Transcript, keys *prover.Keys) ([]server.Module, error) {
		if err := ceremony.SaveToStore(store, t, keys); err != nil {
			return nil, err
		}
		var mods []server.Module
		for _, m := range ad.Modules {
			if m.Shape != keys.Shape {
				continue
			}
			sec := ad.Secrets[m.Name]
			cm, err := prover.Commitment(keys, sec.A, sec.B, sec.Salt)
			if err != nil {
				return nil, err
			}
			m.Commitment, m.CircuitID, m.VKFingerprint, m.KeyMode = cm, keys.CircuitID, prover.VKFingerprint(keys.VK), string(keys.Mode)
			mods = append(mods, m)
		}
		ks.set(keys)
		return mods, nil
	}}
}

// ensureCeremonies is B's side of infer --ceremony: it reads A's
// announcements (opening a session it then leaves idle) and, for every
// shape whose announced keys are not those of a ceremony B finished with
// A (recorded in B's store), runs the two-party ceremony with A and
// records it. It returns the number of ceremonies run.
func ensureCeremonies(ctx context.Context, c *client.Client, store *prover.Store, log io.Writer, quiet bool) (int, error) {
	sess, err := c.Init(ctx, wire.CombineAddDelta)
	if err != nil {
		return 0, err
	}
	var need []circuits.Shape
	seen := map[circuits.Shape]bool{}
	for _, m := range sess.Manifest.Modules {
		s := circuits.Shape{D: m.D, R: m.R, O: m.O}
		if seen[s] {
			continue
		}
		seen[s] = true
		if ceremonyVK(store, s) != m.VKFingerprint || m.KeyMode != string(prover.KeyModeCeremony) {
			need = append(need, s)
		}
	}
	for _, s := range need {
		start := time.Now()
		if !quiet {
			fmt.Fprintf(log, "ceremony %s with A:\n", s)
		}
		t, keys, err := c.RunCeremony(ctx, s, client.CeremonyOptions{Progress: func(step string) {
			if !quiet {
				fmt.Fprintf(log, "  %6.1fs  %s\n", time.Since(start).Seconds(), step)
			}
		}})
		if err != nil {
			return 0, fmt.Errorf("ceremony %s: %w", s, err)
		}
		if err := ceremony.SaveToStore(store, t, keys); err != nil {
			return 0, err
		}
		if !quiet {
			fmt.Fprintf(log, "  %6.1fs  done: ceremony %s, vk %s\n", time.Since(start).Seconds(), t.Hash(), keys.VK.Fingerprint())
		}
	}
	return len(need), nil
}

// ceremonyVK returns the vk fingerprint of B's finished ceremony for s, or
// "" if B has none.
func ceremonyVK(store *prover.Store, s circuits.Shape) string {
	t, err := ceremony.ReadFile(ceremony.TranscriptPath(store, s))
	if err != nil || t.Phase != ceremony.PhaseFinal {
		return ""
	}
	return hex.EncodeToString(t.VKFingerprint[:])
}

// checkCeremonyKeys checks that every module of B's session transcript was
// announced with the keys of a ceremony B took part in (B's store).
func checkCeremonyKeys(trPath string, store *prover.Store) error {
	if _, err := os.Stat(trPath); err != nil {
		return err
	}
	tr, err := transcript.Load(trPath)
	if err != nil {
		return err
	}
	for _, m := range tr.Modules {
		if m.KeyMode != string(prover.KeyModeCeremony) || m.VKFingerprint != ceremonyVK(store, m.Shape) {
			return fmt.Errorf("module %s: A announced %s keys %s, not those of B's ceremony for %s", m.Name, m.KeyMode, m.VKFingerprint, m.Shape)
		}
	}
	return nil
}

// openKeyStore opens (creating) the key store at dir.
func openKeyStore(dir string) (*prover.Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return prover.OpenStore(dir)
}
