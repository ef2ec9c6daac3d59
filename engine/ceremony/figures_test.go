package ceremony

import (
	"os"
	"testing"
	"time"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/prover"
)

// TestFiguresRunLocal times an in-process two-party ceremony (RunLocal), a
// full Verify of its transcript and one proof with its keys, at the shape
// in ZKLORA_CEREMONY_FIGURES (for example 768x8x2304). It is skipped
// unless that variable is set.
func TestFiguresRunLocal(t *testing.T) {
	v := os.Getenv("ZKLORA_CEREMONY_FIGURES")
	if v == "" || testing.Short() {
		t.Skip("set ZKLORA_CEREMONY_FIGURES=DxRxO to run")
	}
	s, err := circuits.ParseShape(v)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	keys, tr, err := RunLocal(s, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("RunLocal(%s, 2): %.1f s, domain %d", s, time.Since(start).Seconds(), tr.Domain)
	b, err := tr.Encode()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("transcript %d bytes (phase-1 contribution %d, phase-2 %d)", len(b), len(tr.Phase1[0].Data), len(tr.Phase2[0].Data))
	start = time.Now()
	got, err := tr.Verify()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Verify: %.1f s", time.Since(start).Seconds())
	if err := CheckKeys(tr, got); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if err := proveAndVerify(t, keys, got, newSession(t, s, 9)); err != nil {
		t.Fatal(err)
	}
	t.Logf("prove+verify with ceremony keys: %.1f s", time.Since(start).Seconds())
}

// TestFiguresTwoParty times each step of the two-party exchange that the
// in-protocol ceremony runs (A contributes first to each phase, B
// verifies what A adds and contributes last, A finalizes, B verifies the
// keys), with every transcript passed through its encoding as over the
// wire, at the shape in ZKLORA_CEREMONY_FIGURES. Skipped unless set.
func TestFiguresTwoParty(t *testing.T) {
	v := os.Getenv("ZKLORA_CEREMONY_FIGURES")
	if v == "" || testing.Short() {
		t.Skip("set ZKLORA_CEREMONY_FIGURES=DxRxO to run")
	}
	s, err := circuits.ParseShape(v)
	if err != nil {
		t.Fatal(err)
	}
	total := time.Now()
	step := func(name string, f func() error) {
		t.Helper()
		start := time.Now()
		if err := f(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("%-44s %7.2f s", name, time.Since(start).Seconds())
	}
	var a, b *Party
	send := func(from *Party) *Transcript {
		t.Helper()
		var out *Transcript
		step("  encode+decode transcript", func() error {
			enc, err := from.Transcript().Encode()
			if err != nil {
				return err
			}
			t.Logf("  transcript %s: %d bytes", from.Transcript().Phase, len(enc))
			out, err = Decode(enc)
			return err
		})
		return out
	}
	step("A: init (compile, domain)", func() (err error) { a, err = NewParty(s); return })
	step("A: phase-1 contribution", func() error { _, err := a.Contribute(); return err })
	tr := send(a)
	step("B: verify A's phase-1 contribution", func() (err error) { b, err = JoinParty(tr); return })
	step("B: phase-1 contribution", func() error { _, err := b.Contribute(); return err })
	tr = send(b)
	step("A: verify B's phase-1 contribution", func() error { return a.Accept(tr) })
	step("A: seal phase 1, initial phase-2 state", func() error { return a.StartPhase2(nil) })
	step("A: phase-2 contribution", func() error { _, err := a.Contribute(); return err })
	tr = send(a)
	step("B: verify initial state and A's phase 2", func() error { return b.Accept(tr) })
	step("B: phase-2 contribution", func() error { _, err := b.Contribute(); return err })
	tr = send(b)
	step("A: verify B's phase-2 contribution", func() error { return a.Accept(tr) })
	var keys *prover.Keys
	step("A: finalize (seal phase 2, keys)", func() (err error) { keys, err = a.Finalize(nil); return })
	tr = send(a)
	step("B: verify the final transcript and keys", func() error { return b.Accept(tr) })
	t.Logf("whole two-party ceremony %s (domain %d): %.1f s", s, a.Transcript().Domain, time.Since(total).Seconds())
	if err := CheckKeys(b.Transcript(), keys); err != nil {
		t.Fatal(err)
	}
}
