#!/usr/bin/python3
"""Independent NumPy (float64) reference for GPT-2 with an optional PEFT LoRA adapter.

Written from the GPT-2 equations, not from zklora's Go code. Reads the
Hugging Face files directly (config.json, model.safetensors, adapter_config.json,
adapter_model.safetensors; the safetensors header is parsed here with json and
numpy.frombuffer), takes token ids from a JSON file (no tokenizer in Python),
and writes golden logits and losses. See README.md for the output format.

Usage:
  gpt2_ref.py --model DIR/base [--adapter DIR/adapter] --ids ids.json \
              --out testdata/golden/NAME [--preset tiny --seed 1]
"""

import argparse
import hashlib
import json
import math
import os
import struct
import sys

import numpy as np

GOLDEN_FORMAT = "zklora-golden-v1"


# ---------------------------------------------------------------- safetensors

def read_safetensors(path):
    """Returns {name: float64 array} for the F32/F16/BF16 tensors of a file."""
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) < 8:
        raise ValueError(f"{path}: too short")
    (n,) = struct.unpack("<Q", buf[:8])
    if n > 100 << 20 or 8 + n > len(buf):
        raise ValueError(f"{path}: bad header length {n}")
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    data = memoryview(buf)[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        shape = tuple(info["shape"])
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        raw = data[begin:end]
        dt = info["dtype"]
        size = {"F32": 4, "F16": 2, "BF16": 2}.get(dt)
        if size is None:
            continue  # not a weight this reference needs (e.g. integer buffers)
        if count * size != end - begin or end > len(data):
            raise ValueError(f"{path}: {name}: shape {shape} does not match data_offsets")
        if dt == "F32":
            a = np.frombuffer(raw, dtype="<f4", count=count)
        elif dt == "F16":
            a = np.frombuffer(raw, dtype="<f2", count=count)
        else:
            a = (np.frombuffer(raw, dtype="<u2", count=count).astype(np.uint32) << 16).view("<f4")
        out[name] = a.astype(np.float64).reshape(shape)
    return out


# ---------------------------------------------------------------- model

def layer_norm(x, w, b, eps):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)  # biased, as torch
    return (x - mu) / np.sqrt(var + eps) * w + b


def gelu_new(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


class LoRA:
    """PEFT LoRA: y += scaling * (x @ A.T) @ B.T, A = lora_A [r,in], B = lora_B [out,r]."""

    def __init__(self, adapter_dir):
        with open(os.path.join(adapter_dir, "adapter_config.json")) as f:
            cfg = json.load(f)
        if cfg.get("peft_type") != "LORA":
            raise ValueError("not a LoRA adapter")
        if cfg.get("use_dora"):
            raise ValueError("DoRA not supported by this reference")
        r, alpha = cfg["r"], cfg["lora_alpha"]
        self.scaling = alpha / math.sqrt(r) if cfg.get("use_rslora") else alpha / r
        tensors = read_safetensors(os.path.join(adapter_dir, "adapter_model.safetensors"))
        self.mods = {}
        prefix = "base_model.model."
        for name, a in tensors.items():
            if not name.endswith(".lora_A.weight"):
                continue
            mod = name[len(prefix):-len(".lora_A.weight")]
            if mod.startswith("transformer."):
                mod = mod[len("transformer."):]
            b = tensors[name.replace(".lora_A.", ".lora_B.")]
            if a.shape[0] != r or b.shape[1] != r:
                raise ValueError(f"{name}: rank mismatch")
            self.mods[mod] = (a, b)
        targets = cfg["target_modules"]
        for mod in self.mods:
            if not any(mod == t or mod.endswith("." + t) for t in targets):
                raise ValueError(f"{mod} not matched by target_modules {targets}")

    def delta(self, mod, x):
        if mod not in self.mods:
            return 0.0
        a, b = self.mods[mod]
        return self.scaling * ((x @ a.T) @ b.T)


class GPT2:
    def __init__(self, model_dir):
        with open(os.path.join(model_dir, "config.json")) as f:
            cfg = json.load(f)
        if cfg.get("activation_function", "gelu_new") != "gelu_new":
            raise ValueError("only gelu_new is implemented")
        self.n_embd = cfg["n_embd"]
        self.n_head = cfg["n_head"]
        self.n_layer = cfg["n_layer"]
        self.eps = cfg["layer_norm_epsilon"]
        self.n_positions = cfg["n_positions"]
        raw = read_safetensors(os.path.join(model_dir, "model.safetensors"))
        self.w = {}
        for name, a in raw.items():
            if name.startswith("transformer."):
                name = name[len("transformer."):]
            self.w[name] = a

    def conv1d(self, name, x, lora):
        # HF Conv1D: weight [in, out]; y = x @ W + b.
        y = x @ self.w[name + ".weight"] + self.w[name + ".bias"]
        if lora is not None:
            y = y + lora.delta(name, x)
        return y

    def forward(self, ids, lora=None):
        ids = np.asarray(ids, dtype=np.int64)
        T, n, H = len(ids), self.n_embd, self.n_head
        if T > self.n_positions:
            raise ValueError("sequence longer than n_positions")
        hd = n // H
        x = self.w["wte.weight"][ids] + self.w["wpe.weight"][np.arange(T)]
        causal = np.tril(np.ones((T, T), dtype=bool))
        for i in range(self.n_layer):
            p = f"h.{i}."
            a = layer_norm(x, self.w[p + "ln_1.weight"], self.w[p + "ln_1.bias"], self.eps)
            qkv = self.conv1d(p + "attn.c_attn", a, lora)
            q, k, v = (qkv[:, j * n:(j + 1) * n].reshape(T, H, hd).transpose(1, 0, 2) for j in range(3))
            s = q @ k.transpose(0, 2, 1) / math.sqrt(hd)
            s = np.where(causal, s, -np.inf)
            s = s - s.max(axis=-1, keepdims=True)
            e = np.exp(s)
            att = e / e.sum(axis=-1, keepdims=True)
            y = (att @ v).transpose(1, 0, 2).reshape(T, n)
            x = x + self.conv1d(p + "attn.c_proj", y, lora)
            m = layer_norm(x, self.w[p + "ln_2.weight"], self.w[p + "ln_2.bias"], self.eps)
            h = gelu_new(self.conv1d(p + "mlp.c_fc", m, lora))
            x = x + self.conv1d(p + "mlp.c_proj", h, lora)
        x = layer_norm(x, self.w["ln_f.weight"], self.w["ln_f.bias"], self.eps)
        return x @ self.w["wte.weight"].T  # lm_head tied to wte


def next_token_loss(logits, ids):
    """HF causal-LM loss with labels=input_ids: mean over t of -log p(ids[t+1] | ids[..t])."""
    z = logits[:-1]
    mx = z.max(axis=-1, keepdims=True)
    lse = (mx + np.log(np.exp(z - mx).sum(axis=-1, keepdims=True)))[:, 0]
    tgt = z[np.arange(len(ids) - 1), np.asarray(ids[1:])]
    return float(np.mean(lse - tgt))


# ---------------------------------------------------------------- main

def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="directory with config.json and model.safetensors")
    ap.add_argument("--adapter", help="directory with adapter_config.json and adapter_model.safetensors")
    ap.add_argument("--ids", required=True, help='JSON {"texts":[{"text":...,"ids":[...]}]}')
    ap.add_argument("--out", required=True, help="output path without extension (writes .json and .logits.f32)")
    ap.add_argument("--preset", default="", help="fixture preset, recorded in the index")
    ap.add_argument("--seed", type=int, default=-1, help="fixture seed, recorded in the index")
    args = ap.parse_args(argv)

    model = GPT2(args.model)
    lora = LoRA(args.adapter) if args.adapter else None
    with open(args.ids) as f:
        texts = json.load(f)["texts"]

    vocab = model.w["wte.weight"].shape[0]
    blob = bytearray()
    cases = []

    def put(a):
        a = np.ascontiguousarray(a, dtype="<f4")
        off = len(blob)
        blob.extend(a.tobytes())
        return {"offset": off, "shape": list(a.shape)}

    for t in texts:
        ids = [int(i) for i in t["ids"]]
        if len(ids) < 2 or min(ids) < 0 or max(ids) >= vocab:
            raise ValueError(f"bad ids for {t['text']!r}: {ids}")
        logits = model.forward(ids)
        case = {"text": t["text"], "ids": ids, "loss": next_token_loss(logits, ids),
                "max_abs_logit": float(np.abs(logits).max()), "logits": put(logits)}
        if lora is not None:
            ll = model.forward(ids, lora)
            case["loss_lora"] = next_token_loss(ll, ids)
            case["logits_lora_last"] = put(ll[-1:])
            case["max_abs_logit_change_last"] = float(np.abs(ll[-1] - logits[-1]).max())
        cases.append(case)

    base = os.path.basename(args.out)
    index = {
        "format": GOLDEN_FORMAT,
        "generator": "scripts/golden/gpt2_ref.py (NumPy float64, logits stored as float32)",
        "fixture": {
            "preset": args.preset,
            "seed": args.seed,
            "model_sha256": sha256(os.path.join(args.model, "model.safetensors")),
            "adapter_sha256": sha256(os.path.join(args.adapter, "adapter_model.safetensors")) if args.adapter else None,
        },
        "lora_scaling": lora.scaling if lora else None,
        "vocab_size": vocab,
        "logits_file": base + ".logits.f32",
        "logits_dtype": "float32 little-endian, row-major; offsets in bytes",
        "cases": cases,
    }
    with open(args.out + ".logits.f32", "wb") as f:
        f.write(blob)
    with open(args.out + ".json", "w") as f:
        json.dump(index, f, indent=2)
        f.write("\n")
    for c in cases:
        msg = f"{c['text']!r}: loss {c['loss']:.6f}"
        if "loss_lora" in c:
            msg += f", with LoRA {c['loss_lora']:.6f} (Δ {c['loss_lora'] - c['loss']:+.6f})"
        print(msg)


if __name__ == "__main__":
    main(sys.argv[1:])
