#!/usr/bin/python3
"""Checks kvrecycle's forward pass against an independent GPT-2 written here in
NumPy (float64), on the same model.safetensors: logits must agree within a
relative tolerance of 1e-4 (|ours - ref| <= 1e-4 * max(1, |ref|)).

    reference_gpt2_check.py KVRECYCLE_CLI MODELS_DIR WORK_DIR

Runs every model directory in MODELS_DIR. Needs Debian's python3-numpy.
"""
import json
import os
import struct
import subprocess
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64}
SEQUENCES = [
    [15496, 11, 703, 389, 345, 30],
    [50256],
    list(range(1000, 1090, 3)),
    [464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13] * 4,
]


def load_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        arr = np.frombuffer(raw[base + begin:base + end], dtype=DTYPES[info["dtype"]])
        key = name[len("transformer."):] if name.startswith("transformer.") else name
        tensors[key] = arr.reshape(info["shape"]).astype(np.float64)
    return tensors


def layer_norm(x, w, b, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))


def gpt2_logits(w, cfg, ids):
    n, e, heads = len(ids), cfg["n_embd"], cfg["n_head"]
    d = e // heads
    eps = cfg.get("layer_norm_epsilon", 1e-5)
    x = w["wte.weight"][ids] + w["wpe.weight"][np.arange(n)]
    causal = np.tril(np.ones((n, n), dtype=bool))
    for i in range(cfg["n_layer"]):
        p = f"h.{i}."
        h = layer_norm(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        qkv = h @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
        q, k, v = (qkv[:, j * e:(j + 1) * e].reshape(n, heads, d).transpose(1, 0, 2) for j in range(3))
        att = q @ k.transpose(0, 2, 1) / np.sqrt(d)
        att = np.where(causal, att, -np.inf)
        att = np.exp(att - att.max(-1, keepdims=True))
        att /= att.sum(-1, keepdims=True)
        ctx = (att @ v).transpose(1, 0, 2).reshape(n, e)
        x = x + ctx @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        h = layer_norm(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        h = gelu_tanh(h @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"])
        x = x + h @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
    x = layer_norm(x, w["ln_f.weight"], w["ln_f.bias"], eps)
    return x @ w.get("lm_head.weight", w["wte.weight"]).T


def main():
    cli, models_dir, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    failures, checked = 0, 0
    for model in sorted(os.listdir(models_dir)):
        mdir = os.path.join(models_dir, model)
        with open(os.path.join(mdir, "config.json")) as f:
            cfg = json.load(f)
        weights = load_safetensors(os.path.join(mdir, "model.safetensors"))
        for n, ids in enumerate(SEQUENCES):
            out = os.path.join(work, f"{model}-{n}.npy")
            subprocess.run([cli, "logits", "--model", mdir, "--ids", ",".join(map(str, ids)),
                            "--out", out], check=True, stdout=subprocess.DEVNULL)
            ours = np.load(out).astype(np.float64)
            ref = gpt2_logits(weights, cfg, np.array(ids))
            err = np.abs(ours - ref) / np.maximum(1.0, np.abs(ref))
            ok = ours.shape == ref.shape and err.max() <= 1e-4
            checked += 1
            failures += not ok
            print(f"{model} sequence {n} ({len(ids)} tokens): max relative error {err.max():.2e}, "
                  f"max |diff| {np.abs(ours - ref).max():.2e}: {'ok' if ok else 'FAIL'}")
    print(f"{checked - failures} passed, {failures} failed")
    sys.exit(1 if failures or not checked else 0)


if __name__ == "__main__":
    main()
