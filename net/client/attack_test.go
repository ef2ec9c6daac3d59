package client_test

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/artifact"
	"github.com/zklora/zklora/engine/lora"
	"github.com/zklora/zklora/engine/prover"
	"github.com/zklora/zklora/engine/session"
	"github.com/zklora/zklora/engine/transcript"
	"github.com/zklora/zklora/net/client"
	"github.com/zklora/zklora/net/contributor"
	"github.com/zklora/zklora/net/identity"
	"github.com/zklora/zklora/net/server"
	"github.com/zklora/zklora/net/wire"
)

// runB plays B's session through a client dialled at addr pinned to pin and
// returns the verification report (artifacts are fetched into dir).
func runB(t *testing.T, e *env, addr, pin string) (*session.Report, string) {
	t.Helper()
	c, err := client.Dial(context.Background(), addr, client.Options{Pin: pin, CallTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	b := client.NewBaseModelClient(c, e.model, nil)
	if err := b.InitAndPatch(context.Background(), wire.CombineAddDelta); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{text1, text2} {
		if _, _, err := b.ForwardLoss(text); err != nil {
			t.Fatal(err)
		}
	}
	return finish(t, b)
}

// mustFail checks that the report is a rejection whose text names every
// fragment in want.
func mustFail(t *testing.T, rep *session.Report, want ...string) {
	t.Helper()
	if rep.OK {
		t.Fatalf("verification passed: %+v", rep)
	}
	msg := rep.Err().Error()
	t.Logf("rejected: %s", msg)
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Fatalf("rejection %q does not mention %q", msg, w)
		}
	}
}

// A man in the middle plays A towards B: it relays to the honest A, but
// changes one value in one row of one answer, and presents the root of the
// honest answers at end_inference so that A proves what A computed.
func TestAttackWrongZRow(t *testing.T) {
	e := newEnv(t, nil)
	const target, targetCall, targetRow = "transformer.h.1.attn.c_proj", 1, 2
	p := startMITM(t, e, func(r *wire.ForwardResponse) {
		if r.Module == target && r.Call == targetCall {
			r.Z.Data[targetRow*r.Z.Cols+5] += 1
		}
	})
	rep, _ := runB(t, e, p.addr(), p.id.Fingerprint())
	mustFail(t, rep, "transcript root differs", "module "+target+" call 1 row 2", "not the one A recorded")
}

// A serves answers from other weights than the ones it committed to, and
// proves them with a prover that skips A's own commitment check, claiming
// the announced commitment in the manifest.
func TestAttackOtherWeights(t *testing.T) {
	other := tinyAdapter(t, 99)
	oq, err := lora.QuantizeAdapter(other)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(e *env) {
		cheat, err := contributor.FromQuantized(oq, devKeys(t), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		mods := make([]server.Module, len(e.cfg.Modules))
		copy(mods, e.cfg.Modules)
		for i := range mods {
			sec := cheat.Secrets[mods[i].Name]
			mods[i].A, mods[i].B = sec.A, sec.B // serve W', announce C(W)
		}
		e.cfg.Modules = mods
		e.cfg.Prove = func(ctx context.Context, dir string, tr *transcript.Transcript, _ func(int, int, string)) error {
			return cheatProve(dir, tr, cheat.Secrets, devKeys(t))
		}
	})
	rep, _ := runB(t, e, e.srv.Addr().String(), e.srv.Fingerprint())
	mustFail(t, rep, "transformer.h.0.attn.c_attn", "commitment")
	if rep.Verified != 0 {
		t.Fatalf("%d modules verified with other weights", rep.Verified)
	}
}

// An honest A's own prover refuses to prove answers from other weights.
func TestOtherWeightsCannotBeProvenHonestly(t *testing.T) {
	other := tinyAdapter(t, 98)
	oq, err := lora.QuantizeAdapter(other)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(e *env) {
		mods := make([]server.Module, len(e.cfg.Modules))
		copy(mods, e.cfg.Modules)
		for i := range mods {
			mods[i].A, mods[i].B = oq[mods[i].Name].A, oq[mods[i].Name].B
		}
		e.cfg.Modules = mods
	})
	b := e.newB(t, wire.CombineAddDelta)
	if _, _, err := b.ForwardLoss(text1); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := b.EndInference(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitProof(ctx, 20*time.Millisecond, nil); err == nil {
		t.Fatal("A proved answers from weights it did not commit to")
	}
}

// A replays proofs from an earlier session: one module's proof and
// statement, or the whole directory.
func TestAttackReplayOtherSession(t *testing.T) {
	var mu sync.Mutex
	var first string
	mode := "module"
	e := newEnv(t, nil)
	honest := e.cfg.Prove
	e.srv.Shutdown(context.Background())
	e.cfg.OutDir = t.TempDir()
	e.cfg.Prove = func(ctx context.Context, dir string, tr *transcript.Transcript, progress func(int, int, string)) error {
		if err := honest(ctx, dir, tr, progress); err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if first == "" {
			first = dir + ".first"
			return copyDir(dir, first)
		}
		if mode == "module" {
			for _, rel := range []string{artifact.ProofPath("transformer.h.0.attn.c_proj"), artifact.StatementPath("transformer.h.0.attn.c_proj")} {
				if err := copyFile(filepath.Join(first, rel), filepath.Join(dir, rel)); err != nil {
					return err
				}
			}
			return nil
		}
		return copyDir(first, dir)
	}
	e.start()
	if rep, _ := runB(t, e, e.srv.Addr().String(), e.srv.Fingerprint()); !rep.OK {
		t.Fatalf("first session: %v", rep.Err())
	}
	rep, _ := runB(t, e, e.srv.Addr().String(), e.srv.Fingerprint())
	mustFail(t, rep, "transformer.h.0.attn.c_proj", "statement")
	if rep.Verified != 3 {
		t.Fatalf("%d modules verified, want the 3 not replayed", rep.Verified)
	}
	mu.Lock()
	mode = "whole"
	mu.Unlock()
	rep, _ = runB(t, e, e.srv.Addr().String(), e.srv.Fingerprint())
	mustFail(t, rep, "artifacts are for session")
}

// A leaves one used module unproven.
func TestAttackDropModuleProof(t *testing.T) {
	const dropped = "transformer.h.1.attn.c_attn"
	e := newEnv(t, func(e *env) {
		honest := e.cfg.Prove
		e.cfg.Prove = func(ctx context.Context, dir string, tr *transcript.Transcript, progress func(int, int, string)) error {
			if err := honest(ctx, dir, tr, progress); err != nil {
				return err
			}
			return dropModule(dir, dropped)
		}
	})
	rep, _ := runB(t, e, e.srv.Addr().String(), e.srv.Fingerprint())
	mustFail(t, rep, "module "+dropped+": missing")
	if rep.Verified != 3 {
		t.Fatalf("%d verified", rep.Verified)
	}
}

// The artifact directory is edited after it was fetched.
func TestAttackArtifactsEditedAfterTheFact(t *testing.T) {
	e := newEnv(t, nil)
	b := e.newB(t, wire.CombineAddDelta)
	if _, _, err := b.ForwardLoss(text1); err != nil {
		t.Fatal(err)
	}
	rep, dir := finish(t, b)
	if !rep.OK {
		t.Fatal(rep.Err())
	}
	const m = "transformer.h.0.attn.c_attn"
	edits := map[string]func(d string) error{
		"proof byte": func(d string) error {
			return editFile(filepath.Join(d, artifact.ProofPath(m)), func(b []byte) []byte { b[len(b)/2] ^= 1; return b })
		},
		"statement": func(d string) error {
			return editFile(filepath.Join(d, artifact.StatementPath(m)), func(b []byte) []byte {
				var st map[string]any
				if err := json.Unmarshal(b, &st); err != nil {
					t.Fatal(err)
				}
				if _, ok := st["zbar"]; !ok {
					t.Fatalf("statement has no zbar: %s", b)
				}
				st["zbar"] = "12345"
				out, _ := json.Marshal(st)
				return out
			})
		},
		"manifest rows": func(d string) error {
			return editManifest(d, func(man *artifact.Manifest) {
				for i := range man.Modules {
					if man.Modules[i].Name == m {
						man.Modules[i].Rows++
					}
				}
			})
		},
		"manifest nonce": func(d string) error {
			return editManifest(d, func(man *artifact.Manifest) { man.Nonce = hex.EncodeToString(make([]byte, 32)) })
		},
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			cp := filepath.Join(t.TempDir(), "art")
			if err := copyDir(dir, cp); err != nil {
				t.Fatal(err)
			}
			if err := edit(cp); err != nil {
				t.Fatal(err)
			}
			rep, err := b.Verify(cp, session.VerifyOptions{AllowDevKeys: true})
			if err != nil {
				t.Fatal(err)
			}
			if name == "manifest nonce" {
				mustFail(t, rep, "nonce")
			} else {
				mustFail(t, rep, m)
			}
		})
	}
}

// --- helpers

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

func copyDir(src, dst string) error {
	return filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		return copyFile(p, filepath.Join(dst, rel))
	})
}

func editFile(path string, f func([]byte) []byte) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return os.WriteFile(path, f(b), 0o644)
}

func editManifest(dir string, f func(*artifact.Manifest)) error {
	path := filepath.Join(dir, artifact.ManifestFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	man, err := artifact.DecodeManifest(b)
	if err != nil {
		return err
	}
	f(man)
	out, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o644)
}

func dropModule(dir, module string) error {
	if err := os.Remove(filepath.Join(dir, artifact.ProofPath(module))); err != nil {
		return err
	}
	return editManifest(dir, func(man *artifact.Manifest) {
		kept := man.Modules[:0]
		for _, m := range man.Modules {
			if m.Name != module {
				kept = append(kept, m)
			}
		}
		man.Modules = kept
	})
}

// cheatProve is engine/session.ProveSession without A's own check that each
// proof carries the announced commitment: the manifest claims the
// announced commitment whatever weights the proofs used.
func cheatProve(dir string, tr *transcript.Transcript, secrets map[string]session.ModuleSecret, ks session.KeySource) error {
	root := tr.Root()
	man := artifact.Manifest{FormatVersion: artifact.FormatVersion, Curve: "bn254", Backend: "groth16",
		SessionID: tr.SessionID, TranscriptRoot: hex.EncodeToString(root[:]), Nonce: hex.EncodeToString(tr.Nonce)}
	c := &artifact.Contents{VKs: map[string][]byte{}, Proofs: map[string][]byte{}, Statements: map[string][]byte{}}
	for _, name := range tr.UsedModules() {
		m, _ := tr.Module(name)
		keys, err := ks.Keys(m.Shape)
		if err != nil {
			return err
		}
		beta, gamma := session.Challenges(tr, m, root)
		X, Z, T := tr.ModuleRows(name)
		st, err := circuits.ComputeStatement(m.Shape, X, Z, beta, gamma)
		if err != nil {
			return err
		}
		sec := secrets[name]
		proof, err := prover.Prove(keys, st, sec.A, sec.B, sec.Salt)
		if err != nil {
			return err
		}
		pb, err := proof.MarshalBinary()
		if err != nil {
			return err
		}
		stJSON, _ := json.Marshal(st)
		vk, err := prover.EncodeVK(keys.VK)
		if err != nil {
			return err
		}
		c.Proofs[name], c.Statements[name], c.VKs[keys.CircuitID] = pb, stJSON, vk
		man.Modules = append(man.Modules, artifact.ModuleEntry{Name: name, Shape: m.Shape, Rows: T, CircuitID: keys.CircuitID,
			VKFingerprint: prover.VKFingerprint(keys.VK), KeyMode: string(keys.Mode), Commitment: hex.EncodeToString(m.Commitment),
			Beta: beta.String(), Gamma: gamma.String(),
			Proof: artifact.ProofPath(name), Statement: artifact.StatementPath(name), VK: artifact.VKPath(keys.CircuitID)})
	}
	c.Manifest = man
	return artifact.Write(dir, c)
}

// mitm is a man in the middle with its own identity, relaying to A.
type mitm struct {
	l  net.Listener
	id *identity.Identity
	wg sync.WaitGroup
}

func (p *mitm) addr() string { return p.l.Addr().String() }

func startMITM(t *testing.T, e *env, corrupt func(*wire.ForwardResponse)) *mitm {
	t.Helper()
	id, err := identity.New()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &mitm{l: l, id: id}
	up, err := identity.ClientConfig(e.srv.Fingerprint(), nil)
	if err != nil {
		t.Fatal(err)
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.relay(tls.Server(c, identity.ServerConfig(id)), e.srv.Addr().String(), up, corrupt)
			}()
		}
	}()
	t.Cleanup(func() { l.Close(); p.wg.Wait() })
	return p
}

func (p *mitm) relay(down *tls.Conn, upAddr string, upCfg *tls.Config, corrupt func(*wire.ForwardResponse)) {
	defer down.Close()
	upc, err := tls.Dial("tcp", upAddr, upCfg)
	if err != nil {
		return
	}
	defer upc.Close()
	var shadow *transcript.Transcript // the honest answers
	for {
		req, err := wire.ReadMessage(down, 0)
		if err != nil {
			return
		}
		if end, ok := req.(*wire.EndRequest); ok && shadow != nil {
			end.Root = shadow.Root()
		}
		if wire.WriteMessage(upc, req) != nil {
			return
		}
		for {
			resp, err := wire.ReadMessage(upc, 64<<20)
			if err != nil {
				return
			}
			switch r := resp.(type) {
			case *wire.InitResponse:
				var mods []transcript.Module
				for _, m := range r.Modules {
					mods = append(mods, transcript.Module{Name: m.Name, Shape: circuits.Shape{D: m.D, R: m.R, O: m.O}, Commitment: m.Commitment, VKFingerprint: m.VKFingerprint, KeyMode: m.KeyMode})
				}
				shadow, _ = transcript.New(r.SessionID, mods)
			case *wire.ForwardResponse:
				fr := req.(*wire.ForwardRequest)
				_ = shadow.Append(transcript.Call{Module: r.Module, Index: r.Call, Rows: r.Z.Rows, X: fr.X.Data, Z: r.Z.Data})
				r.Z.Data = append([]int64(nil), r.Z.Data...)
				corrupt(r)
			}
			if wire.WriteMessage(down, resp) != nil {
				return
			}
			if fc, ok := resp.(*wire.FetchChunk); ok && !fc.Final {
				continue // a fetch streams chunks up to the final one
			}
			break
		}
	}
}
