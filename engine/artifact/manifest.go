// Package artifact reads and writes a session's artifact directory
// (DESIGN §5): one directory per session, self-describing and versioned.
//
//	DIR/manifest.json                 the Manifest below (written last)
//	DIR/keys/<circuit id>.vk          gnark verifying keys (binary)
//	DIR/proofs/<module>.proof         one Groth16 proof per used module (binary)
//	DIR/statements/<module>.json      the public statement each proof is for
//
// Every file is written crash-safe (engine/fsutil). The package treats
// proofs, keys and statements as opaque encoded bytes; engine/session gives
// them meaning. Reading is strict: unknown format versions, unknown JSON
// fields, paths outside the directory and oversized files are errors.
package artifact

import (
	"encoding/hex"
	"fmt"
	"regexp"

	"github.com/zklora/zklora/circuits"
)

// FormatVersion is the version of the artifact directory format.
const FormatVersion = 1

// Fixed names inside an artifact directory.
const (
	ManifestFile  = "manifest.json"
	KeysDir       = "keys"
	ProofsDir     = "proofs"
	StatementsDir = "statements"
)

// Manifest is manifest.json: what a session's proofs claim and where they are.
type Manifest struct {
	FormatVersion  int           `json:"format_version"`
	Curve          string        `json:"curve"`
	Backend        string        `json:"backend"`
	SessionID      string        `json:"session_id"`
	TranscriptRoot string        `json:"transcript_root"` // hex SHA-256 Merkle root of the session transcript
	Nonce          string        `json:"nonce"`           // hex, B's end-of-session nonce
	CreatedAt      string        `json:"created_at,omitempty"`
	Modules        []ModuleEntry `json:"modules"`
}

// ModuleEntry describes one module's proof.
type ModuleEntry struct {
	Name          string         `json:"name"`
	Shape         circuits.Shape `json:"shape"`
	Rows          int            `json:"rows"` // T, rows of the session covered by the proof
	CircuitID     string         `json:"circuit_id"`
	VKFingerprint string         `json:"vk_fingerprint"`
	KeyMode       string         `json:"key_mode"`
	Ceremony      string         `json:"ceremony,omitempty"` // hash of the ceremony transcript for ceremony keys
	Commitment    string         `json:"commitment"`         // hex, compressed BN254 G1
	Beta          string         `json:"beta"`               // decimal Fr
	Gamma         string         `json:"gamma"`              // decimal Fr
	Proof         string         `json:"proof"`              // relative path
	Statement     string         `json:"statement"`          // relative path
	VK            string         `json:"vk"`                 // relative path
}

var (
	moduleNameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,255}$`)
	circuitIDRE  = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}$`)
)

// ProofPath is the relative path of a module's proof.
func ProofPath(module string) string { return ProofsDir + "/" + module + ".proof" }

// StatementPath is the relative path of a module's statement.
func StatementPath(module string) string { return StatementsDir + "/" + module + ".json" }

// VKPath is the relative path of a circuit's verifying key.
func VKPath(circuitID string) string { return KeysDir + "/" + circuitID + ".vk" }

// Validate checks the manifest's structure (not the proofs): known version,
// well-formed names, unique modules, and paths that are exactly the
// canonical ones, so that a manifest can never point outside its directory.
func (m *Manifest) Validate() error {
	if m.FormatVersion != FormatVersion {
		return fmt.Errorf("manifest: unknown format version %d (this zklora reads version %d)", m.FormatVersion, FormatVersion)
	}
	if m.Curve != "bn254" || m.Backend != "groth16" {
		return fmt.Errorf("manifest: unsupported curve/backend %q/%q (want bn254/groth16)", m.Curve, m.Backend)
	}
	if m.SessionID == "" || len(m.SessionID) > 256 {
		return fmt.Errorf("manifest: bad session id")
	}
	if b, err := hex.DecodeString(m.TranscriptRoot); err != nil || len(b) != 32 {
		return fmt.Errorf("manifest: transcript_root must be 32 bytes of hex")
	}
	if _, err := hex.DecodeString(m.Nonce); err != nil {
		return fmt.Errorf("manifest: nonce is not hex")
	}
	seen := make(map[string]bool, len(m.Modules))
	for i := range m.Modules {
		e := &m.Modules[i]
		if !moduleNameRE.MatchString(e.Name) || e.Name == "." || e.Name == ".." {
			return fmt.Errorf("manifest: module %d: bad name %q", i, e.Name)
		}
		if seen[e.Name] {
			return fmt.Errorf("manifest: module %q listed twice", e.Name)
		}
		seen[e.Name] = true
		if err := e.Shape.Validate(); err != nil {
			return fmt.Errorf("manifest: module %q: %w", e.Name, err)
		}
		if e.Rows < 1 {
			return fmt.Errorf("manifest: module %q: rows %d", e.Name, e.Rows)
		}
		if !circuitIDRE.MatchString(e.CircuitID) {
			return fmt.Errorf("manifest: module %q: bad circuit id %q", e.Name, e.CircuitID)
		}
		if e.Proof != ProofPath(e.Name) || e.Statement != StatementPath(e.Name) || e.VK != VKPath(e.CircuitID) {
			return fmt.Errorf("manifest: module %q: non-canonical file paths", e.Name)
		}
		if b, err := hex.DecodeString(e.Commitment); err != nil || len(b) != 32 {
			return fmt.Errorf("manifest: module %q: commitment must be 32 bytes of hex", e.Name)
		}
	}
	return nil
}

// Module returns the entry for name.
func (m *Manifest) Module(name string) (*ModuleEntry, bool) {
	for i := range m.Modules {
		if m.Modules[i].Name == name {
			return &m.Modules[i], true
		}
	}
	return nil, false
}
