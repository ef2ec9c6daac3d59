package client_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/ceremony"
	"github.com/zklora/zklora/engine/prover"
	"github.com/zklora/zklora/engine/transcript"
	"github.com/zklora/zklora/net/client"
	"github.com/zklora/zklora/net/server"
	"github.com/zklora/zklora/net/wire"
)

// ceremonyShape is tiny, so that the loopback ceremony takes a second.
var ceremonyShape = circuits.Shape{D: 4, R: 2, O: 4}

// TestRunCeremonyLoopback runs the in-protocol key ceremony between B and a
// LoRAServer on loopback: both end with the same ceremony keys, A's new
// sessions announce them (key mode ceremony, the ceremony's vk), a proof
// made with A's keys verifies under B's, and a server without ceremony
// support or a shape A does not serve is refused.
func TestRunCeremonyLoopback(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	A, B := make([]int16, ceremonyShape.D*ceremonyShape.R), make([]int16, ceremonyShape.R*ceremonyShape.O)
	for i := range A {
		A[i] = int16(rng.IntN(1 << 16))
	}
	for i := range B {
		B[i] = int16(rng.IntN(1 << 16))
	}
	salt, err := prover.NewSalt()
	if err != nil {
		t.Fatal(err)
	}
	mod := server.Module{Name: "m", Shape: ceremonyShape, A: A, B: B, ShiftA: 10, ShiftB: 10, Scaling: 1,
		Commitment: make([]byte, 32), CircuitID: "dev-placeholder", VKFingerprint: "dev", KeyMode: "dev"}
	var (
		mu    sync.Mutex
		aKeys *prover.Keys
		aT    *ceremony.Transcript
	)
	done := func(tr *ceremony.Transcript, keys *prover.Keys) ([]server.Module, error) {
		if err := ceremony.CheckKeys(tr, keys); err != nil {
			return nil, err
		}
		cm, err := prover.Commitment(keys, A, B, salt)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		aKeys, aT = keys, tr
		mu.Unlock()
		m := mod
		m.Commitment, m.CircuitID, m.VKFingerprint, m.KeyMode = cm, keys.CircuitID, prover.VKFingerprint(keys.VK), string(keys.Mode)
		return []server.Module{m}, nil
	}
	noProve := func(context.Context, string, *transcript.Transcript, func(int, int, string)) error {
		return errors.New("not proving here")
	}
	srv, err := server.New(server.Config{Modules: []server.Module{mod}, Prove: noProve, OutDir: t.TempDir(),
		Ceremony: &server.CeremonyConfig{Done: done}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Shutdown(context.Background()) }()
	ctx := context.Background()
	c, err := client.Dial(ctx, srv.Addr().String(), client.Options{Pin: srv.Fingerprint()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	if _, _, err := c.RunCeremony(ctx, circuits.Shape{D: 4, R: 2, O: 8}, client.CeremonyOptions{}); err == nil {
		t.Fatal("A ran a ceremony for a shape it does not serve")
	}
	var steps []string
	tr, bKeys, err := c.RunCeremony(ctx, ceremonyShape, client.CeremonyOptions{Progress: func(s string) { steps = append(steps, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 6 {
		t.Errorf("progress steps %q", steps)
	}
	mu.Lock()
	gotA, gotT := aKeys, aT
	mu.Unlock()
	if gotA == nil || gotT.Hash() != tr.Hash() {
		t.Fatal("A did not finish the same ceremony")
	}
	if err := ceremony.CheckKeys(tr, gotA); err != nil {
		t.Fatalf("A's keys against B's transcript: %v", err)
	}
	if len(tr.Phase1) != 2 || len(tr.Phase2) != 2 {
		t.Fatalf("transcript has %d+%d contributions, want 2+2", len(tr.Phase1), len(tr.Phase2))
	}
	if _, err := tr.Verify(); err != nil {
		t.Fatal(err)
	}

	// New sessions announce the ceremony keys.
	sess, err := c.Init(ctx, wire.CombineAddDelta)
	if err != nil {
		t.Fatal(err)
	}
	mi := sess.Manifest.Modules[0]
	if mi.KeyMode != string(prover.KeyModeCeremony) || mi.VKFingerprint != prover.VKFingerprint(bKeys.VK) {
		t.Fatalf("session announces %s keys %s, want ceremony keys %s", mi.KeyMode, mi.VKFingerprint, prover.VKFingerprint(bKeys.VK))
	}

	// A proof with A's keys verifies under the vk B derived itself.
	X := make([]int16, 2*ceremonyShape.D)
	for i := range X {
		X[i] = int16(rng.IntN(1 << 16))
	}
	Z, err := circuits.MatMulExact(ceremonyShape, X, A, B)
	if err != nil {
		t.Fatal(err)
	}
	var beta, gamma fr.Element
	beta.SetUint64(3)
	gamma.SetUint64(7)
	st, err := circuits.ComputeStatement(ceremonyShape, X, Z, beta, gamma)
	if err != nil {
		t.Fatal(err)
	}
	proof, err := prover.Prove(gotA, st, A, B, salt)
	if err != nil {
		t.Fatal(err)
	}
	if err := prover.Verify(bKeys.VK, st, mi.Commitment, proof); err != nil {
		t.Fatalf("proof with A's ceremony keys under B's vk: %v", err)
	}
}
