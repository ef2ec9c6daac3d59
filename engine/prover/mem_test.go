package prover

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/zklora/zklora/circuits"
)

const memChildEnv = "ZKLORA_PROVER_MEM_CHILD"

// maxRSS returns the process's peak resident set size in bytes (Linux
// reports ru_maxrss in KiB).
func maxRSS(t testing.TB) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return ru.Maxrss << 10
}

// TestProveMemory measures the peak RSS of a fresh process that loads the
// 768×8×2304 keys from a store and proves once (run in a child process so
// the setup and other tests do not count). It fails above 1 GiB.
func TestProveMemory(t *testing.T) {
	if os.Getenv(memChildEnv) != "" {
		proveMemoryChild(t)
		return
	}
	if testing.Short() {
		t.Skip("needs the 768×8×2304 keys (several seconds of setup)")
	}
	benchKeys(t, bigShape) // make sure the store has them
	cmd := exec.Command(os.Args[0], "-test.run=^TestProveMemory$", "-test.v")
	cmd.Env = append(os.Environ(), memChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var loaded, peak int64
	for _, line := range strings.Split(string(out), "\n") {
		if i := strings.Index(line, "RSS "); i >= 0 {
			f := strings.Fields(line[i+4:])
			if len(f) == 2 {
				loaded, _ = strconv.ParseInt(f[0], 10, 64)
				peak, _ = strconv.ParseInt(f[1], 10, 64)
			}
		}
	}
	if peak == 0 {
		t.Fatalf("child reported nothing:\n%s", out)
	}
	t.Logf("peak RSS after loading keys %d MiB, after proving %d MiB (proving added %d MiB; model estimate %d MiB)",
		loaded>>20, peak>>20, (peak-loaded)>>20, EstimateProveMemory(benchKeys(t, bigShape))>>20)
	if peak > 1<<30 {
		t.Errorf("peak RSS %d MiB exceeds 1 GiB", peak>>20)
	}
}

func proveMemoryChild(t *testing.T) {
	s := bigShape
	if v := os.Getenv(memChildEnv); v != "1" {
		var err error
		if s, err = circuits.ParseShape(v); err != nil {
			t.Fatal(err)
		}
	}
	k := benchKeys(t, s)
	f := newFixture(t, s, 16, 4)
	loaded := maxRSS(t)
	mustProve(t, k, f.st, f.A, f.B, mustSalt(t))
	t.Logf("RSS %d %d", loaded, maxRSS(t))
}
