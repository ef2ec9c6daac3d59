#!/usr/bin/python3
"""Time the Go GPT-2 forward and the PyTorch one side by side.

Builds engine/gpt2's test binary (with the given build tags), then
alternates rounds of BenchmarkForwardDistilGPT2 (--iters forwards per round)
and of gpt2_forward.py (median of --iters after warm-up), so that both see
the same machine load. Prints one JSON object with the per-round figures,
their medians and the ratio Go / PyTorch. Run from the repository root
(make bench-model does).
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


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--go", default=os.environ.get("GO", "go"))
    p.add_argument("--tags", default="openblas")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--iters", type=int, default=7)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()

    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(a.threads), GOMAXPROCS=str(a.threads))
    with tempfile.TemporaryDirectory() as tmp:
        binary = os.path.join(tmp, "gpt2.test")
        cmd = [a.go, "test", "-c", "-o", binary]
        if a.tags:
            cmd += ["-tags", a.tags]
        subprocess.run(cmd + ["./engine/gpt2"], check=True, env=env)
        go_ms, go_gflops, torch_ms, torch_runs = [], [], [], []
        for _ in range(a.rounds):
            out = subprocess.run(
                [binary, "-test.run", "^$", "-test.bench", "^BenchmarkForwardDistilGPT2$",
                 "-test.benchtime", f"{a.iters}x", "-test.v"],
                check=True, env=env, capture_output=True, text=True).stdout
            m = re.search(r"([\d.]+) GFLOP/s\s+([\d.]+) ms/forward", out)
            if not m:
                sys.exit("could not parse the Go benchmark output:\n" + out)
            go_gflops.append(float(m.group(1)))
            go_ms.append(float(m.group(2)))
            backend = re.search(r"backend (\S+),", out)
            res = subprocess.run(
                ["/usr/bin/python3", os.path.join(HERE, "gpt2_forward.py"),
                 "--threads", str(a.threads), "--reps", str(a.iters)],
                check=True, env=env, capture_output=True, text=True).stdout
            r = json.loads(res)
            torch_ms.append(r["median_ms"])
            torch_runs.append(r)
    go_med, torch_med = statistics.median(go_ms), statistics.median(torch_ms)
    print(json.dumps({
        "go_backend": backend.group(1) if backend else a.tags or "pure-go",
        "threads": a.threads,
        "go_ms_per_round": go_ms, "torch_ms_per_round": torch_ms,
        "go_median_ms": go_med, "torch_median_ms": torch_med,
        "go_gflops_per_s": round(statistics.median(go_gflops), 2),
        "torch_gflops_per_s": round(statistics.median(r["gflops_per_s"] for r in torch_runs), 2),
        "ratio_go_over_torch": round(go_med / torch_med, 3),
        "torch": torch_runs[0]["torch"], "torch_blas": torch_runs[0]["blas"],
        "loadavg": os.getloadavg(),
    }, indent=1))


if __name__ == "__main__":
    main()
