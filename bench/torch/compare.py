#!/usr/bin/python3
"""Time the Go GPT-2 forward and the PyTorch one side by side.

Builds engine/gpt2's test binary once per Go build (--builds: "openblas"
for -tags openblas, "default" for the default build with its AVX2 assembly
kernel, "purego" for the portable Go kernel), then runs rounds that
alternate BenchmarkForwardDistilGPT2 in each build (--iters forwards per
round after one warm-up) and gpt2_forward.py (median of --iters after
warm-up), so that all of them see the same machine load. Prints one JSON
object: per-round figures, medians over rounds, and each Go build's ratio
to PyTorch. Run from the repository root (make bench-model does).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TAGS = {"openblas": "openblas", "default": "", "purego": "purego"}


def run_go(binary, iters, env):
    out = subprocess.run(
        [binary, "-test.run", "^$", "-test.bench", "^BenchmarkForwardDistilGPT2$",
         "-test.benchtime", f"{iters}x", "-test.v"],
        check=True, env=env, capture_output=True, text=True).stdout
    m = re.search(r"([\d.]+) GFLOP/s\s+([\d.]+) ms/forward", out)
    b = re.search(r"backend (\S+),", out)
    if not m or not b:
        sys.exit("could not parse the Go benchmark output:\n" + out)
    return float(m.group(2)), float(m.group(1)), b.group(1)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--go", default=os.environ.get("GO", "go"))
    p.add_argument("--builds", default="openblas,default",
                   help="comma-separated Go builds: " + ", ".join(TAGS))
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--iters", type=int, default=7)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    builds = [b for b in a.builds.split(",") if b]
    for b in builds:
        if b not in TAGS:
            sys.exit(f"unknown build {b!r} (want one of {', '.join(TAGS)})")

    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(a.threads), GOMAXPROCS=str(a.threads))
    res = {b: {"ms": [], "gflops": []} for b in builds}
    torch_ms, torch_runs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        bins = {}
        for b in builds:
            bins[b] = os.path.join(tmp, f"gpt2-{b}.test")
            cmd = [a.go, "test", "-c", "-o", bins[b]]
            if TAGS[b]:
                cmd += ["-tags", TAGS[b]]
            subprocess.run(cmd + ["./engine/gpt2"], check=True, env=env)
        for _ in range(a.rounds):
            for b in builds:
                ms, gf, backend = run_go(bins[b], a.iters, env)
                res[b]["ms"].append(ms)
                res[b]["gflops"].append(gf)
                res[b]["backend"] = backend
            out = subprocess.run(
                ["/usr/bin/python3", os.path.join(HERE, "gpt2_forward.py"),
                 "--threads", str(a.threads), "--reps", str(a.iters)],
                check=True, env=env, capture_output=True, text=True).stdout
            r = json.loads(out)
            torch_ms.append(r["median_ms"])
            torch_runs.append(r)
    torch_med = statistics.median(torch_ms)
    report = {"threads": a.threads, "rounds": a.rounds, "iters": a.iters,
              "torch": {"version": torch_runs[0]["torch"], "blas": torch_runs[0]["blas"],
                        "ms_per_round": torch_ms, "median_ms": torch_med,
                        "gflops_per_s": round(torch_runs[0]["gflop"] * 1e3 / torch_med, 2)},
              "go": {}}
    for b in builds:
        med = statistics.median(res[b]["ms"])
        report["go"][b] = {"backend": res[b]["backend"], "ms_per_round": res[b]["ms"],
                           "median_ms": med, "gflops_per_s": round(statistics.median(res[b]["gflops"]), 2),
                           "ratio_to_torch": round(med / torch_med, 3)}
    report["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
