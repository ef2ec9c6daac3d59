package bench

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/zklora/zklora/engine/prover"
	"github.com/zklora/zklora/gpu"
)

// DetectMachine describes the machine the process runs on. It never
// fails: what it cannot find it leaves empty or "unknown".
func DetectMachine() Machine {
	m := Machine{
		CPU: cpuModel(), Cores: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		MemoryGiB: memTotalGiB(), GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH,
		Commit: commit(), Gnark: prover.GnarkVersion(), LoadBefore: LoadAverage(), LoadAvgBefore: LoadAverages(),
		GPU: "none", GPUDriver: "none",
	}
	if info, err := gpu.Available(); err == nil && len(info.Devices) > 0 {
		names := make([]string, len(info.Devices))
		for i, d := range info.Devices {
			names[i] = d.Name
		}
		m.GPU = strings.Join(names, ", ")
		m.GPUDriver = info.Driver
	} else if err != nil {
		m.GPU = "none (" + err.Error() + ")"
	}
	return m
}

// CPUModel returns the CPU's model name from /proc/cpuinfo, or "unknown".
func CPUModel() string { return cpuModel() }

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func memTotalGiB() float64 {
	kb := procStatusKB("/proc/meminfo", "MemTotal")
	return float64(kb) / (1 << 20)
}

// LoadAverage returns the 1-minute load average, or 0 where unknown.
func LoadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// LoadAverages returns the 1-, 5- and 15-minute load averages as
// /proc/loadavg writes them ("0.52 0.61 0.70"), or "unknown".
func LoadAverages() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// commit is the VCS revision from the build information, else from git
// in the working directory; "-dirty" marks uncommitted changes to
// tracked files.
func commit() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" && dirty {
			return rev + "-dirty"
		}
		if rev != "" {
			return rev
		}
	}
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	rev := strings.TrimSpace(string(out))
	// Tracked files changed since HEAD: the binary may include them.
	if exec.Command("git", "diff", "--quiet", "HEAD").Run() != nil {
		rev += "-dirty"
	}
	return rev
}
