package session

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/artifact"
	"github.com/zklora/zklora/engine/prover"
	"github.com/zklora/zklora/engine/transcript"
)

// memKeys is an in-memory KeySource of dev keys.
type memKeys struct {
	mu   sync.Mutex
	keys map[circuits.Shape]*prover.Keys
}

func (m *memKeys) Keys(s circuits.Shape) (*prover.Keys, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if k, ok := m.keys[s]; ok {
		return k, nil
	}
	k, err := prover.DevSetup(s)
	if err != nil {
		return nil, err
	}
	if m.keys == nil {
		m.keys = map[circuits.Shape]*prover.Keys{}
	}
	m.keys[s] = k
	return k, nil
}

var (
	testShape = circuits.Shape{D: 8, R: 2, O: 6}
	sharedKS  = &memKeys{}
	allowDev  = VerifyOptions{AllowDevKeys: true}
)

// provenSession builds and proves a synthetic session into a fresh directory.
func provenSession(t *testing.T, seed uint64) (string, *Synthetic) {
	t.Helper()
	syn, err := NewSynthetic(SyntheticOptions{Shape: testShape, Tokens: 7, Modules: 3, Seed: seed, CallRows: 3}, sharedKS)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := ProveSession(context.Background(), dir, syn.Transcript, syn.Secrets, sharedKS, ProveOptions{}); err != nil {
		t.Fatal(err)
	}
	return dir, syn
}

// copyOf returns an independent copy of tr (as B would hold its own).
func copyOf(t *testing.T, tr *transcript.Transcript) *transcript.Transcript {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tr")
	if err := tr.Save(p); err != nil {
		t.Fatal(err)
	}
	c, err := transcript.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustOK(t *testing.T, dir string, tr *transcript.Transcript) *Report {
	t.Helper()
	rep, err := VerifyDir(dir, tr, allowDev)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Err() != nil {
		t.Fatalf("valid session rejected: %v", rep.Err())
	}
	return rep
}

func mustFail(t *testing.T, dir string, tr *transcript.Transcript, opts VerifyOptions, want string) *Report {
	t.Helper()
	rep, err := VerifyDir(dir, tr, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || rep.Err() == nil {
		t.Fatalf("tampered session accepted (want failure mentioning %q)", want)
	}
	if want != "" && !strings.Contains(rep.Err().Error(), want) {
		t.Fatalf("failure %q does not mention %q", rep.Err(), want)
	}
	return rep
}

func TestValidSessionVerifies(t *testing.T) {
	dir, syn := provenSession(t, 1)
	rep := mustOK(t, dir, copyOf(t, syn.Transcript))
	if rep.Proofs != 3 || rep.Verified != 3 || rep.Failed != 0 || rep.KeyMode != "dev" {
		t.Fatalf("report %+v", rep)
	}
	for _, m := range rep.Modules {
		if m.Rows != 7 || m.Calls != 3 {
			t.Fatalf("module report %+v", m)
		}
	}
}

func TestTamperedZInBTranscript(t *testing.T) {
	dir, syn := provenSession(t, 2)
	rng := rand.New(rand.NewPCG(2, 2))
	for i := 0; i < 20; i++ {
		b := copyOf(t, syn.Transcript)
		c := &b.Calls[rng.IntN(len(b.Calls))]
		c.Z[rng.IntN(len(c.Z))] += int64(1 + rng.IntN(1000))
		mustFail(t, dir, b, allowDev, "transcript root differs")
	}
}

// A server that answered one row wrongly and recorded the wrong answer
// consistently cannot prove: the statement is false.
func TestWrongAnswerCannotBeProven(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for i := 0; i < 5; i++ {
		syn, err := NewSynthetic(SyntheticOptions{Shape: testShape, Tokens: 5, Modules: 1, Seed: uint64(10 + i)}, sharedKS)
		if err != nil {
			t.Fatal(err)
		}
		c := &syn.Transcript.Calls[0]
		c.Z[rng.IntN(len(c.Z))]--
		_, err = ProveSession(context.Background(), t.TempDir(), syn.Transcript, syn.Secrets, sharedKS, ProveOptions{})
		if err == nil {
			t.Fatal("a wrong answer was proven")
		}
	}
}

func editStatement(t *testing.T, dir, module string, edit func(st *circuits.Statement)) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(artifact.StatementPath(module)))
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var st circuits.Statement
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	edit(&st)
	out, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTamperedStatement(t *testing.T) {
	_, syn := provenSession(t, 4)
	b := copyOf(t, syn.Transcript)
	m := syn.Transcript.UsedModules()[1]
	for name, edit := range map[string]func(st *circuits.Statement){
		"xbar":  func(st *circuits.Statement) { st.Xbar[3].SetUint64(12345) },
		"zbar":  func(st *circuits.Statement) { st.Zbar.SetUint64(1) },
		"gamma": func(st *circuits.Statement) { st.Gamma.SetUint64(7) },
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := ProveSession(context.Background(), dir, syn.Transcript, syn.Secrets, sharedKS, ProveOptions{}); err != nil {
				t.Fatal(err)
			}
			editStatement(t, dir, m, edit)
			rep := mustFail(t, dir, b, allowDev, "statement does not match")
			if rep.Verified != 2 {
				t.Fatalf("the other modules should still verify: %+v", rep)
			}
		})
	}
}

func TestFlippedProofBytes(t *testing.T) {
	dir, syn := provenSession(t, 5)
	b := copyOf(t, syn.Transcript)
	m := syn.Transcript.UsedModules()[0]
	p := filepath.Join(dir, filepath.FromSlash(artifact.ProofPath(m)))
	orig, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 5))
	for i := 0; i < 16; i++ {
		bad := append([]byte(nil), orig...)
		bad[rng.IntN(len(bad))] ^= byte(1 << rng.IntN(8))
		if err := os.WriteFile(p, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		mustFail(t, dir, b, allowDev, m)
	}
	if err := os.WriteFile(p, orig[:len(orig)-5], 0o644); err != nil {
		t.Fatal(err)
	}
	mustFail(t, dir, b, allowDev, m)
}

// A proof made with other weights or another salt carries another
// commitment than the one announced at init.
func TestOtherWeightsOrSalt(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(s *ModuleSecret)
	}{
		{"other salt", func(s *ModuleSecret) { s.Salt[31] ^= 1 }},
		{"other weights", func(s *ModuleSecret) { s.A = append([]int16(nil), s.A...); s.A[0]++ }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, syn := provenSession(t, 6)
			b := copyOf(t, syn.Transcript)
			m := syn.Transcript.UsedModules()[0]
			sec := syn.Secrets[m]
			tc.mutate(&sec)
			// Recompute that module's answers with the other weights so that
			// the statement is true for them, and prove it.
			tr := copyOf(t, syn.Transcript)
			for i := range tr.Calls {
				c := &tr.Calls[i]
				if c.Module == m {
					z, err := circuits.MatMulExact(testShape, c.X, sec.A, sec.B)
					if err != nil {
						t.Fatal(err)
					}
					c.Z = z
				}
			}
			keys, _ := sharedKS.Keys(testShape)
			mod, _ := tr.Module(m)
			beta, gamma := Challenges(tr, mod, tr.Root())
			X, Z, _ := tr.ModuleRows(m)
			st, err := circuits.ComputeStatement(testShape, X, Z, beta, gamma)
			if err != nil {
				t.Fatal(err)
			}
			proof, err := prover.Prove(keys, st, sec.A, sec.B, sec.Salt)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := proof.MarshalBinary()
			if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(artifact.ProofPath(m))), raw, 0o644); err != nil {
				t.Fatal(err)
			}
			mustFail(t, dir, b, allowDev, m)
			// And A's own prover refuses to write such a session.
			secrets := map[string]ModuleSecret{}
			for k, v := range syn.Secrets {
				secrets[k] = v
			}
			secrets[m] = sec
			if _, err := ProveSession(context.Background(), t.TempDir(), tr, secrets, sharedKS, ProveOptions{}); err == nil || !strings.Contains(err.Error(), "commitment") {
				t.Fatalf("prover accepted other weights: %v", err)
			}
		})
	}
}

func TestStatementPresentedAsOtherModule(t *testing.T) {
	dir, syn := provenSession(t, 7)
	b := copyOf(t, syn.Transcript)
	used := syn.Transcript.UsedModules()
	m0, m1 := used[0], used[1]
	swap := func(rel func(string) string) {
		p0 := filepath.Join(dir, filepath.FromSlash(rel(m0)))
		p1 := filepath.Join(dir, filepath.FromSlash(rel(m1)))
		d0, _ := os.ReadFile(p0)
		d1, _ := os.ReadFile(p1)
		_ = os.WriteFile(p0, d1, 0o644)
		_ = os.WriteFile(p1, d0, 0o644)
	}
	swap(artifact.ProofPath)
	swap(artifact.StatementPath)
	rep := mustFail(t, dir, b, allowDev, m0)
	if rep.Failed < 2 {
		t.Fatalf("both swapped modules must fail: %+v", rep)
	}
}

func TestProofFromAnotherSession(t *testing.T) {
	dir1, syn1 := provenSession(t, 8)
	dir2, _ := provenSession(t, 9)
	b := copyOf(t, syn1.Transcript)
	m := syn1.Transcript.UsedModules()[2]
	// Same module name, same shape, same keys: only the session differs.
	for _, rel := range []string{artifact.ProofPath(m), artifact.StatementPath(m)} {
		d, err := os.ReadFile(filepath.Join(dir2, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir1, filepath.FromSlash(rel)), d, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mustFail(t, dir1, b, allowDev, m)
	// The whole directory of another session fails at the session level.
	mustFail(t, dir2, b, allowDev, "session")
}

func rewriteManifest(t *testing.T, dir string, edit func(m *artifact.Manifest)) {
	t.Helper()
	p := filepath.Join(dir, artifact.ManifestFile)
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var m artifact.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	edit(&m)
	out, _ := json.Marshal(&m)
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestMissingAndExtraModule(t *testing.T) {
	t.Run("missing", func(t *testing.T) {
		dir, syn := provenSession(t, 10)
		b := copyOf(t, syn.Transcript)
		m := syn.Transcript.UsedModules()[1]
		rewriteManifest(t, dir, func(man *artifact.Manifest) {
			var keep []artifact.ModuleEntry
			for _, e := range man.Modules {
				if e.Name != m {
					keep = append(keep, e)
				}
			}
			man.Modules = keep
		})
		_ = os.Remove(filepath.Join(dir, filepath.FromSlash(artifact.ProofPath(m))))
		rep := mustFail(t, dir, b, allowDev, "no proof")
		if rep.Verified != 2 {
			t.Fatalf("%+v", rep)
		}
	})
	t.Run("extra", func(t *testing.T) {
		dir, syn := provenSession(t, 11)
		b := copyOf(t, syn.Transcript)
		used := syn.Transcript.UsedModules()
		rewriteManifest(t, dir, func(man *artifact.Manifest) {
			e := man.Modules[0]
			e.Name = "synthetic.extra"
			e.Proof, e.Statement = artifact.ProofPath(e.Name), artifact.StatementPath(e.Name)
			man.Modules = append(man.Modules, e)
		})
		for _, rel := range []func(string) string{artifact.ProofPath, artifact.StatementPath} {
			d, _ := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel(used[0]))))
			_ = os.WriteFile(filepath.Join(dir, filepath.FromSlash(rel("synthetic.extra"))), d, 0o644)
		}
		mustFail(t, dir, b, allowDev, "did not use")
	})
	t.Run("stray proof file", func(t *testing.T) {
		dir, syn := provenSession(t, 12)
		b := copyOf(t, syn.Transcript)
		_ = os.WriteFile(filepath.Join(dir, artifact.ProofsDir, "stray.proof"), []byte("x"), 0o644)
		mustFail(t, dir, b, allowDev, "not named by the manifest")
	})
}

func TestDevKeysNeedFlag(t *testing.T) {
	dir, syn := provenSession(t, 13)
	mustFail(t, dir, copyOf(t, syn.Transcript), VerifyOptions{}, "allow-dev-keys")
}

func TestUnknownFormatVersion(t *testing.T) {
	dir, syn := provenSession(t, 14)
	rewriteManifest(t, dir, func(m *artifact.Manifest) { m.FormatVersion = 99 })
	mustFail(t, dir, copyOf(t, syn.Transcript), allowDev, "format version")
}

func TestCorruptVKAndManifest(t *testing.T) {
	dir, syn := provenSession(t, 15)
	b := copyOf(t, syn.Transcript)
	man, err := os.ReadFile(filepath.Join(dir, artifact.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var m artifact.Manifest
	_ = json.Unmarshal(man, &m)
	vkPath := filepath.Join(dir, filepath.FromSlash(m.Modules[0].VK))
	vk, _ := os.ReadFile(vkPath)
	_ = os.WriteFile(vkPath, vk[:len(vk)/2], 0o644)
	mustFail(t, dir, b, allowDev, "")
	_ = os.WriteFile(vkPath, vk, 0o644)
	mustOK(t, dir, b)
	_ = os.WriteFile(filepath.Join(dir, artifact.ManifestFile), man[:len(man)/3], 0o644)
	mustFail(t, dir, b, allowDev, "manifest")
}

// swapRunner proves locally, then returns the proofs rotated by one (each
// job gets another module's proof) or one proof short.
type swapRunner struct{ short bool }

func (r swapRunner) ProveJobs(ctx context.Context, jobs []prover.Job, opts prover.ManyOptions) ([]*prover.Proof, error) {
	ps, err := LocalRunner{}.ProveJobs(ctx, jobs, opts)
	if err != nil {
		return nil, err
	}
	if r.short {
		return ps[1:], nil
	}
	return append(ps[1:], ps[0]), nil
}

// TestRunnerResultsChecked: whatever runner proves the jobs, ProveSession
// checks each proof's commitment and the count before writing anything.
func TestRunnerResultsChecked(t *testing.T) {
	syn, err := NewSynthetic(SyntheticOptions{Shape: testShape, Tokens: 3, Modules: 2, Seed: 41}, sharedKS)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []swapRunner{{}, {short: true}} {
		dir := t.TempDir()
		_, err := ProveSession(context.Background(), dir, syn.Transcript, syn.Secrets, sharedKS, ProveOptions{Runner: r})
		if err == nil || !(strings.Contains(err.Error(), "commitment differs") || strings.Contains(err.Error(), "returned 1 proofs for 2")) {
			t.Fatalf("runner %+v: %v", r, err)
		}
		if _, serr := os.Stat(filepath.Join(dir, artifact.ManifestFile)); serr == nil {
			t.Fatalf("runner %+v: a manifest was written", r)
		}
	}
}
