#!/usr/bin/python3
"""Time a distilgpt2-shaped GPT-2 forward pass in PyTorch on the CPU.

The PyTorch side of `make bench-model`: the same computation as
engine/gpt2's BenchmarkForwardDistilGPT2 (GPT2LMHeadModel in eval mode:
embeddings, pre-LN blocks with causal softmax attention scaled by
1/sqrt(head_dim), gelu_new MLP, ln_f, lm_head tied to wte; full T×V logits),
written with plain torch ops so that it needs only Debian's python3-torch.
Weights are random; the timing does not depend on their values.

Torch's BLAS must be OpenBLAS (apt-get install libopenblas0-pthread), not
Debian's reference BLAS. Prints one JSON object: the median of --reps timed
forwards after --warmup untimed ones.
"""
import argparse
import json
import math
import os
import statistics
import time

import torch
import torch.nn.functional as F


def build(vocab, npos, n, layers, inner, gen):
    def rnd(*shape, std=0.02):
        return torch.randn(*shape, generator=gen) * std

    w = {"wte": rnd(vocab, n), "wpe": rnd(npos, n), "lnf_g": torch.ones(n), "lnf_b": torch.zeros(n), "blocks": []}
    for _ in range(layers):
        w["blocks"].append({
            "ln1_g": torch.ones(n), "ln1_b": torch.zeros(n),
            "attn_w": rnd(n, 3 * n), "attn_b": rnd(3 * n),
            "proj_w": rnd(n, n), "proj_b": rnd(n),
            "ln2_g": torch.ones(n), "ln2_b": torch.zeros(n),
            "fc_w": rnd(n, inner), "fc_b": rnd(inner),
            "mproj_w": rnd(inner, n), "mproj_b": rnd(n),
        })
    return w


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def forward(w, tokens, nhead, eps):
    T = tokens.shape[0]
    n = w["wte"].shape[1]
    hd = n // nhead
    x = w["wte"][tokens] + w["wpe"][:T]
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    neg = torch.finfo(x.dtype).min
    for b in w["blocks"]:
        h = F.layer_norm(x, (n,), b["ln1_g"], b["ln1_b"], eps)
        qkv = torch.addmm(b["attn_b"], h, b["attn_w"])  # Conv1D: x·W + b
        q, k, v = qkv.split(n, dim=1)
        q = q.view(T, nhead, hd).transpose(0, 1)
        k = k.view(T, nhead, hd).transpose(0, 1)
        v = v.view(T, nhead, hd).transpose(0, 1)
        s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hd)
        s = torch.where(mask, s, torch.tensor(neg, dtype=s.dtype))
        a = torch.matmul(torch.softmax(s, dim=-1), v).transpose(0, 1).reshape(T, n)
        x = x + torch.addmm(b["proj_b"], a, b["proj_w"])
        h = F.layer_norm(x, (n,), b["ln2_g"], b["ln2_b"], eps)
        f = gelu_new(torch.addmm(b["fc_b"], h, b["fc_w"]))
        x = x + torch.addmm(b["mproj_b"], f, b["mproj_w"])
    x = F.layer_norm(x, (n,), w["lnf_g"], w["lnf_b"], eps)
    return F.linear(x, w["wte"])  # tied lm_head: x·wteᵀ, T×V


def forward_flops(vocab, n, layers, inner, T):
    """Same count as gpt2.Config.ForwardFLOPs."""
    proj = n * 3 * n + n * n + n * inner + inner * n
    return layers * (2 * T * proj + 4 * T * T * n) + 2 * T * n * vocab


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tokens", type=int, default=128)
    p.add_argument("--vocab", type=int, default=50257)
    p.add_argument("--positions", type=int, default=1024)
    p.add_argument("--n-embd", type=int, default=768)
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--heads", type=int, default=12)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--reps", type=int, default=7)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    gen = torch.Generator().manual_seed(a.seed)
    inner = 4 * a.n_embd
    w = build(a.vocab, a.positions, a.n_embd, a.layers, inner, gen)
    tokens = torch.randint(0, a.vocab, (a.tokens,), generator=gen)
    times = []
    with torch.inference_mode():
        for _ in range(a.warmup):
            forward(w, tokens, a.heads, 1e-5)
        for _ in range(a.reps):
            t0 = time.perf_counter()
            out = forward(w, tokens, a.heads, 1e-5)
            times.append(time.perf_counter() - t0)
    assert out.shape == (a.tokens, a.vocab) and torch.isfinite(out).all()
    med = statistics.median(times)
    flops = forward_flops(a.vocab, a.n_embd, a.layers, inner, a.tokens)
    # Debian's torch links the generic libblas.so.3; apt's alternatives say
    # which library that is (OpenBLAS once libopenblas0-pthread is installed).
    blas = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    print(json.dumps({
        "impl": "pytorch", "torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas,
        "tokens": a.tokens, "n_embd": a.n_embd, "layers": a.layers, "vocab": a.vocab,
        "reps": a.reps, "median_ms": round(med * 1e3, 2), "min_ms": round(min(times) * 1e3, 2),
        "times_ms": [round(t * 1e3, 2) for t in times],
        "gflop": round(flops / 1e9, 3), "gflops_per_s": round(flops / med / 1e9, 2),
    }))


if __name__ == "__main__":
    main()
