package session

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/artifact"
	"github.com/zklora/zklora/engine/prover"
	"github.com/zklora/zklora/engine/transcript"
)

// VerifyOptions tunes VerifyDir.
type VerifyOptions struct {
	// AllowDevKeys accepts keys made by an in-process setup. Such keys are
	// only for tests and demos: whoever ran the setup can forge proofs.
	AllowDevKeys bool
}

// pending is a module whose checks passed so far, waiting for the proof check.
type pending struct {
	idx   int
	st    circuits.Statement
	cm    []byte
	proof *prover.Proof
}

// VerifyDir checks the artifact directory dir against B's transcript tr and
// returns a per-module report. The returned error is non-nil only if the
// report could not be produced at all; a rejected session is a report with
// OK false (see Report.Err).
func VerifyDir(dir string, tr *transcript.Transcript, opts VerifyOptions) (*Report, error) {
	rep := &Report{SessionID: tr.SessionID, Modules: []ModuleReport{}}
	defer rep.finish()
	used := tr.UsedModules()
	usedSet := map[string]bool{}
	for _, name := range used {
		usedSet[name] = true
		_, _, T := tr.ModuleRows(name)
		rep.Modules = append(rep.Modules, ModuleReport{Name: name, Status: StatusMissing, Rows: T, Calls: tr.CallCount(name), Error: "no proof for this module"})
	}
	rep.NotCovered = notCovered(tr)
	if len(used) == 0 {
		rep.fail("the transcript records no LoRA call")
		return rep, nil
	}
	if len(tr.Nonce) == 0 {
		rep.fail("the transcript has no end-of-session nonce")
		return rep, nil
	}
	contents, err := artifact.Read(dir)
	if err != nil {
		rep.fail("%v", err)
		return rep, nil
	}
	man := &contents.Manifest
	rep.Proofs = len(man.Modules)
	if extra, err := artifact.Extra(dir, man); err != nil {
		rep.fail("%v", err)
	} else if len(extra) > 0 {
		rep.fail("proof files not named by the manifest: %v", extra)
	}
	root := tr.Root()
	switch {
	case man.SessionID != tr.SessionID:
		rep.fail("artifacts are for session %q, the transcript for %q", man.SessionID, tr.SessionID)
	case man.TranscriptRoot != hex.EncodeToString(root[:]):
		rep.fail("transcript root differs: artifacts %s, B's transcript %x", man.TranscriptRoot, root)
	case man.Nonce != hex.EncodeToString(tr.Nonce):
		rep.fail("end-of-session nonce differs from B's")
	}
	if len(rep.Errors) > 0 {
		for i := range rep.Modules {
			rep.Modules[i].Status, rep.Modules[i].Error = StatusFailed, "session-level check failed"
		}
		return rep, nil
	}

	byIndex := map[string]int{}
	for i, m := range rep.Modules {
		byIndex[m.Name] = i
	}
	groups := map[string][]pending{} // by circuit id
	vks := map[string]*prover.VerifyingKey{}
	for _, e := range man.Modules {
		i, ok := byIndex[e.Name]
		if !ok {
			rep.Modules = append(rep.Modules, ModuleReport{Name: e.Name, Status: StatusExtra, Error: "a proof for a module the session did not use"})
			continue
		}
		mr := &rep.Modules[i]
		mr.KeyMode, mr.Ceremony, mr.Commitment = e.KeyMode, e.Ceremony, e.Commitment
		p, err := checkModule(tr, root, &e, contents, vks, opts)
		if err != nil {
			mr.Status, mr.Error = StatusFailed, err.Error()
			continue
		}
		p.idx = i
		groups[e.CircuitID] = append(groups[e.CircuitID], p)
		mr.Status, mr.Error = "pending", ""
	}
	ids := make([]string, 0, len(groups))
	for id := range groups {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		verifyGroup(vks[id], groups[id], rep)
	}
	rep.KeyMode = keyModes(rep)
	rep.Covered = covered(rep)
	return rep, nil
}

// checkModule runs every check of one module except the proof itself.
func checkModule(tr *transcript.Transcript, root [32]byte, e *artifact.ModuleEntry, c *artifact.Contents, vks map[string]*prover.VerifyingKey, opts VerifyOptions) (pending, error) {
	m, _ := tr.Module(e.Name)
	if e.Shape != m.Shape {
		return pending{}, fmt.Errorf("shape %s differs from the %s announced at init", e.Shape, m.Shape)
	}
	if e.Commitment != hex.EncodeToString(m.Commitment) {
		return pending{}, fmt.Errorf("commitment differs from the one announced at init")
	}
	if m.VKFingerprint != "" && e.VKFingerprint != m.VKFingerprint {
		return pending{}, fmt.Errorf("verifying key %s differs from the %s announced at init", e.VKFingerprint, m.VKFingerprint)
	}
	if m.KeyMode != "" && e.KeyMode != m.KeyMode {
		return pending{}, fmt.Errorf("key mode %q differs from the %q announced at init", e.KeyMode, m.KeyMode)
	}
	switch prover.KeyMode(e.KeyMode) {
	case prover.KeyModeCeremony:
	case prover.KeyModeDev:
		if !opts.AllowDevKeys {
			return pending{}, fmt.Errorf("proof made with dev keys, which its maker could forge; pass --allow-dev-keys to accept them for testing")
		}
	default:
		return pending{}, fmt.Errorf("unknown key mode %q", e.KeyMode)
	}
	if want := prover.CircuitID(e.Shape); e.CircuitID != want {
		return pending{}, fmt.Errorf("circuit id %s is not the id %s of shape %s", e.CircuitID, want, e.Shape)
	}
	vk, ok := vks[e.CircuitID]
	if !ok {
		var err error
		if vk, err = prover.DecodeVK(c.VKs[e.CircuitID], e.Shape); err != nil {
			return pending{}, err
		}
		vks[e.CircuitID] = vk
	}
	if fp := vk.Fingerprint(); fp != e.VKFingerprint {
		return pending{}, fmt.Errorf("verifying key fingerprint %s differs from the manifest's %s", fp, e.VKFingerprint)
	}
	beta, gamma := Challenges(tr, m, root)
	if e.Beta != circuits.FrDecimal(&beta) || e.Gamma != circuits.FrDecimal(&gamma) {
		return pending{}, fmt.Errorf("challenges differ from those derived from B's transcript")
	}
	X, Z, T := tr.ModuleRows(e.Name)
	if e.Rows != T {
		return pending{}, fmt.Errorf("manifest covers %d rows, B's transcript has %d", e.Rows, T)
	}
	st, err := circuits.ComputeStatement(e.Shape, X, Z, beta, gamma)
	if err != nil {
		return pending{}, err
	}
	var claimed circuits.Statement
	if err := json.Unmarshal(c.Statements[e.Name], &claimed); err != nil {
		return pending{}, fmt.Errorf("statement file: %w", err)
	}
	if !claimed.Equal(st) {
		return pending{}, fmt.Errorf("statement does not match B's transcript")
	}
	proof, err := prover.DecodeProof(c.Proofs[e.Name])
	if err != nil {
		return pending{}, err
	}
	cm, _ := hex.DecodeString(e.Commitment)
	if !bytes.Equal(proof.Commitment(), cm) {
		return pending{}, fmt.Errorf("%w", prover.ErrCommitmentMismatch)
	}
	return pending{st: st, cm: cm, proof: proof}, nil
}

// verifyGroup verifies all proofs of one circuit, batched when there are
// several; on a batch failure each proof is checked alone to name the culprit.
func verifyGroup(vk *prover.VerifyingKey, ps []pending, rep *Report) {
	mark := func(p pending, err error) {
		mr := &rep.Modules[p.idx]
		if err != nil {
			mr.Status, mr.Error = StatusFailed, err.Error()
		} else {
			mr.Status, mr.Error = StatusVerified, ""
		}
	}
	if len(ps) > 1 {
		items := make([]prover.BatchItem, len(ps))
		for i, p := range ps {
			items[i] = prover.BatchItem{Statement: p.st, Commitment: p.cm, Proof: p.proof}
		}
		if err := prover.BatchVerify(vk, items); err == nil {
			for _, p := range ps {
				mark(p, nil)
			}
			return
		}
	}
	for _, p := range ps {
		mark(p, prover.Verify(vk, p.st, p.cm, p.proof))
	}
}

func keyModes(rep *Report) string {
	modes := map[string]bool{}
	for _, m := range rep.Modules {
		if m.KeyMode != "" {
			modes[m.KeyMode] = true
		}
	}
	var out []string
	for k := range modes {
		out = append(out, k)
	}
	sort.Strings(out)
	if len(out) == 1 {
		return out[0]
	}
	return fmt.Sprint(out)
}

func covered(rep *Report) []string {
	var out []string
	for _, m := range rep.Modules {
		if m.Status == StatusVerified {
			out = append(out, fmt.Sprintf("%s: all %d rows over %d calls: Z = X·A·B exactly, for the committed A, B", m.Name, m.Rows, m.Calls))
		}
	}
	return out
}

// notCovered states what B used that the proofs do not speak for.
func notCovered(tr *transcript.Transcript) []string {
	return []string{
		"B's own base-model computation (B ran it locally)",
		"B's quantization of its inputs and dequantization of the answers (B's own code)",
		"that the committed adapter is any particular published or trained adapter (only that it did not change during the session)",
	}
}
