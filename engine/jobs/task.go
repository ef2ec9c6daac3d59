package jobs

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/prover"
)

// Wire format versions.
const (
	taskVersion   = 1
	resultVersion = 1
)

// Size caps, checked before decoding.
const (
	maxTaskBytes   = circuits.MaxStatementJSON + 64<<10
	maxResultBytes = 64 << 10
	maxErrorLen    = 4 << 10
)

// Domain-separation labels.
const (
	keyLabel    = "zklora/v1/job-key"
	macKeyLabel = "zklora/v1/job-mac-key"
	macLabel    = "zklora/v1/job-mac"
)

// taskWire is a task as it travels (JSON):
//
//	{"version":1,"key":"<64 hex>","module":"…","circuit_id":"…","vk_fingerprint":"…",
//	 "commitment":"<hex>","statement":{…},"mac":"<64 hex>"}
type taskWire struct {
	Version       int             `json:"version"`
	Key           string          `json:"key"`
	Module        string          `json:"module"`
	CircuitID     string          `json:"circuit_id"`
	VKFingerprint string          `json:"vk_fingerprint"`
	Commitment    string          `json:"commitment"`
	Statement     json.RawMessage `json:"statement"`
	MAC           string          `json:"mac"`
}

// task is a decoded task whose key matches its contents (its MAC is checked
// by the worker, which holds the salt).
type task struct {
	Key           string
	Module        string
	CircuitID     string
	VKFingerprint string
	Commitment    []byte
	Statement     circuits.Statement
	MAC           []byte
}

// jobKey is the task's idempotent key: SHA-256 over a label and the
// length-prefixed module name, circuit id, vk fingerprint, commitment and
// canonical statement JSON.
func jobKey(module, circuitID, vkFingerprint string, commitment, statementJSON []byte) string {
	h := sha256.New()
	h.Write([]byte(keyLabel))
	for _, b := range [][]byte{[]byte(module), []byte(circuitID), []byte(vkFingerprint), commitment, statementJSON} {
		writeLP(h, b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func writeLP(h hash.Hash, b []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(b)))
	h.Write(n[:])
	h.Write(b)
}

// taskMAC authenticates a task key under a key derived from the module's
// secret salt (never the salt itself).
func taskMAC(salt prover.Salt, key string) []byte {
	k := sha256.Sum256(append([]byte(macKeyLabel), salt[:]...))
	m := hmac.New(sha256.New, k[:])
	m.Write([]byte(macLabel))
	m.Write([]byte(key))
	return m.Sum(nil)
}

// encodeTask builds the task of job and returns it with its key.
func encodeTask(j prover.Job) ([]byte, string, error) {
	if j.Keys == nil || j.Keys.VK == nil {
		return nil, "", fmt.Errorf("job %s: no keys", j.Name)
	}
	if len(j.Commitment) != prover.CommitmentSize {
		return nil, "", fmt.Errorf("job %s: the announced commitment is missing (a remote worker needs it to find its weights)", j.Name)
	}
	st, err := json.Marshal(j.Statement)
	if err != nil {
		return nil, "", fmt.Errorf("job %s: %w", j.Name, err)
	}
	fp := prover.VKFingerprint(j.Keys.VK)
	key := jobKey(j.Name, j.Keys.CircuitID, fp, j.Commitment, st)
	b, err := json.Marshal(taskWire{
		Version: taskVersion, Key: key, Module: j.Name, CircuitID: j.Keys.CircuitID, VKFingerprint: fp,
		Commitment: hex.EncodeToString(j.Commitment), Statement: st,
		MAC: hex.EncodeToString(taskMAC(j.Salt, key)),
	})
	if err != nil {
		return nil, "", err
	}
	return b, key, nil
}

// decodeTask decodes a task strictly and checks that its key is the hash
// of its contents.
func decodeTask(b []byte) (*task, error) {
	if len(b) > maxTaskBytes {
		return nil, fmt.Errorf("task of %d bytes, more than %d", len(b), maxTaskBytes)
	}
	var w taskWire
	if err := strictJSON(b, &w); err != nil {
		return nil, fmt.Errorf("task: %w", err)
	}
	if w.Version != taskVersion {
		return nil, fmt.Errorf("task: version %d, this build reads %d", w.Version, taskVersion)
	}
	t := &task{Module: w.Module, CircuitID: w.CircuitID, VKFingerprint: w.VKFingerprint, Key: w.Key}
	var err error
	if t.Commitment, err = hex.DecodeString(w.Commitment); err != nil || len(t.Commitment) != prover.CommitmentSize {
		return nil, errors.New("task: bad commitment")
	}
	if t.MAC, err = hex.DecodeString(w.MAC); err != nil || len(t.MAC) != sha256.Size {
		return nil, errors.New("task: bad MAC")
	}
	if err := t.Statement.UnmarshalJSON(w.Statement); err != nil {
		return nil, fmt.Errorf("task: %w", err)
	}
	canon, err := json.Marshal(t.Statement)
	if err != nil {
		return nil, fmt.Errorf("task: %w", err)
	}
	if jobKey(t.Module, t.CircuitID, t.VKFingerprint, t.Commitment, canon) != t.Key {
		return nil, errors.New("task: the key is not the hash of the task")
	}
	return t, nil
}

// resultWire is a worker's answer to one task (JSON): a proof, or an error
// that fails the task.
type resultWire struct {
	Version int    `json:"version"`
	Key     string `json:"key"`
	Proof   []byte `json:"proof,omitempty"` // base64 in JSON
	Error   string `json:"error,omitempty"`
	Worker  string `json:"worker"`
	Attempt uint64 `json:"attempt"`
	ProveMS int64  `json:"prove_ms,omitempty"`
}

func decodeResult(b []byte) (*resultWire, error) {
	if len(b) > maxResultBytes {
		return nil, fmt.Errorf("result of %d bytes, more than %d", len(b), maxResultBytes)
	}
	var r resultWire
	if err := strictJSON(b, &r); err != nil {
		return nil, fmt.Errorf("result: %w", err)
	}
	if r.Version != resultVersion {
		return nil, fmt.Errorf("result: version %d, this build reads %d", r.Version, resultVersion)
	}
	if (len(r.Proof) == 0) == (r.Error == "") {
		return nil, errors.New("result: want exactly one of a proof and an error")
	}
	return &r, nil
}

// strictJSON decodes one JSON object into v, refusing unknown fields and
// trailing data.
func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}
