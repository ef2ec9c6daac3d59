package transcript

import (
	"math/rand/v2"
	"sync"
	"testing"
)

// TestConcurrentAppend appends from several goroutines (run with -race) and
// checks the root equals the sequential one.
func TestConcurrentAppend(t *testing.T) {
	mods := testModules()
	rng := rand.New(rand.NewPCG(3, 3))
	var calls []Call
	for i := 0; i < 40; i++ {
		calls = append(calls, randCall(rng, mods[i%2], uint32(i/2), 1+i%3))
	}
	seq, _ := New("s", mods)
	for _, c := range calls {
		if err := seq.Append(c); err != nil {
			t.Fatal(err)
		}
	}
	par, _ := New("s", mods)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(calls); i += 4 {
				if err := par.Append(calls[i]); err != nil {
					t.Error(err)
				}
				_ = par.UsedModules()
				_, _, _ = par.ModuleRows(calls[i].Module)
			}
		}(w)
	}
	wg.Wait()
	if par.Root() != seq.Root() {
		t.Fatal("concurrent appends gave a different root")
	}
}

func BenchmarkRoot(b *testing.B) {
	m := Module{Name: "m", Shape: testModules()[0].Shape}
	m.Shape.D, m.Shape.R, m.Shape.O = 768, 8, 2304
	tr, _ := New("s", []Module{m})
	rng := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 64; i++ {
		if err := tr.Append(randCall(rng, m, uint32(i), 16)); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(64 * 16 * (2*768 + 8*2304))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = tr.Root()
	}
}
