package ceremony

import (
	"os"
	"testing"
	"time"

	"github.com/zklora/zklora/circuits"
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
