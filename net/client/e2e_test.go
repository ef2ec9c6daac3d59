package client_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/zklora/zklora/engine/lora"
	"github.com/zklora/zklora/engine/session"
	"github.com/zklora/zklora/engine/tokenizer"
	"github.com/zklora/zklora/net/client"
	"github.com/zklora/zklora/net/wire"
)

func encode(t testing.TB, text string) []int {
	t.Helper()
	tok, err := tokenizer.New()
	if err != nil {
		t.Fatal(err)
	}
	ids, err := tok.Encode(text)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

const text1 = "The quick brown fox jumps over the lazy dog."
const text2 = "Verifiable inference with LoRA adapters, proven after the fact."

func TestEndToEndAddDelta(t *testing.T) {
	e := newEnv(t, nil)
	b := e.newB(t, wire.CombineAddDelta)
	for _, text := range []string{text1, text2} {
		loss, n, err := b.ForwardLoss(text)
		if err != nil {
			t.Fatal(err)
		}
		if want := e.localLoss(t, text, lora.CombineAddDelta); loss != want {
			t.Fatalf("remote quantized loss %v != local quantized loss %v (%d tokens)", loss, want, n)
		}
	}
	rep, dir := finish(t, b)
	if !rep.OK || rep.Verified != 4 || rep.Failed != 0 {
		t.Fatalf("report: %+v (%v)", rep, rep.Err())
	}
	// Without --allow-dev-keys the same artifacts are refused.
	rep, err := b.Verify(dir, session.VerifyOptions{})
	if err != nil || rep.OK {
		t.Fatalf("dev keys accepted without the flag: %+v %v", rep, err)
	}
}

func TestEndToEndReplace(t *testing.T) {
	e := newEnv(t, nil)
	b := e.newB(t, wire.CombineReplace)
	loss, _, err := b.ForwardLoss(text1)
	if err != nil {
		t.Fatal(err)
	}
	if want := e.localLoss(t, text1, lora.CombineReplace); loss != want {
		t.Fatalf("remote replace loss %v != local %v", loss, want)
	}
	if want := e.localLoss(t, text1, lora.CombineAddDelta); loss != want {
		t.Fatalf("replace loss %v != add_delta loss %v", loss, want)
	}
	rep, _ := finish(t, b)
	if !rep.OK || rep.Verified != 4 {
		t.Fatalf("report: %+v (%v)", rep, rep.Err())
	}
}

func TestThreeInterleavedSessions(t *testing.T) {
	e := newEnv(t, nil)
	const n = 3
	var bs [n]*client.BaseModelClient
	for i := range bs {
		bs[i] = e.newB(t, wire.CombineAddDelta)
	}
	// Lockstep rounds: every session makes a forward pass in each round,
	// concurrently, so their calls interleave on A.
	for round := 0; round < 3; round++ {
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range bs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				text := fmt.Sprintf("session %d round %d: %s", i, round, strings.Repeat("token ", i+round))
				_, _, errs[i] = bs[i].ForwardLoss(text)
			}(i)
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	var wg sync.WaitGroup
	reps := make([]*session.Report, n)
	for i := range bs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			reps[i], _ = finish(t, bs[i])
		}(i)
	}
	wg.Wait()
	ids := map[string]bool{}
	for i, rep := range reps {
		if rep == nil || !rep.OK || rep.Verified != 4 {
			t.Fatalf("session %d: %+v", i, rep)
		}
		ids[rep.SessionID] = true
	}
	if len(ids) != n {
		t.Fatalf("sessions share ids: %v", ids)
	}
}
