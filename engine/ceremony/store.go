package ceremony

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/fsutil"
	"github.com/zklora/zklora/engine/prover"
)

// StoreSubdir is the directory of a prover.Store that holds finished
// ceremony transcripts, one per circuit id.
const StoreSubdir = "ceremonies"

// TranscriptPath returns where a store keeps the final transcript of shape.
func TranscriptPath(store *prover.Store, s circuits.Shape) string {
	return filepath.Join(store.Dir(), StoreSubdir, prover.CircuitID(s)+".ceremony")
}

// SaveToStore records a finished ceremony in store: the final transcript
// (written first, crash-safe) and then its keys, which replace any keys
// stored for the shape. The keys must come from the transcript (CheckKeys).
func SaveToStore(store *prover.Store, t *Transcript, keys *prover.Keys) error {
	if err := CheckKeys(t, keys); err != nil {
		return err
	}
	path := TranscriptPath(store, t.Shape)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("ceremony: %w", err)
	}
	b, err := t.Encode()
	if err != nil {
		return err
	}
	if err := fsutil.WriteBytesAtomic(path, 0o644, b); err != nil {
		return fmt.Errorf("ceremony: %w", err)
	}
	return store.Save(keys)
}

// LoadFromStore loads the ceremony keys of shape and the transcript they
// came from, and checks that they belong together (CheckKeys). Dev keys, or
// keys without their transcript, are an error; none stored wraps
// prover.ErrKeysNotFound. It does not re-run Verify (the transcript was
// verified when it was finalized); callers that want to can.
func LoadFromStore(store *prover.Store, s circuits.Shape) (*prover.Keys, *Transcript, error) {
	keys, err := store.Load(s)
	if err != nil {
		return nil, nil, err
	}
	if keys.Mode != prover.KeyModeCeremony {
		return nil, nil, fmt.Errorf("ceremony: the store holds %s keys for shape %s, not ceremony keys", keys.Mode, s)
	}
	t, err := ReadFile(TranscriptPath(store, s))
	if err != nil {
		return nil, nil, fmt.Errorf("ceremony: transcript of the stored keys: %w", err)
	}
	if err := CheckKeys(t, keys); err != nil {
		return nil, nil, err
	}
	return keys, t, nil
}

// LoadOrRunLocal returns the stored ceremony keys of shape, or, if the
// store has no keys for it, runs a local ceremony (RunLocal) and stores it.
// Stored dev keys or a broken ceremony record are an error, not a reason to
// replace keys that manifests may pin.
func LoadOrRunLocal(store *prover.Store, s circuits.Shape, parties int) (*prover.Keys, *Transcript, error) {
	keys, t, err := LoadFromStore(store, s)
	if err == nil || !errors.Is(err, prover.ErrKeysNotFound) {
		return keys, t, err
	}
	keys, t, err = RunLocal(s, parties)
	if err != nil {
		return nil, nil, err
	}
	if err := SaveToStore(store, t, keys); err != nil {
		return nil, nil, err
	}
	return keys, t, nil
}
