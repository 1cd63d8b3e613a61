#!/usr/bin/python3
"""Writes one small GPT-2 model (the full 50257-token vocabulary, tiny width)
in every weights format kvrecycle reads, with real Python torch, so that the
C++ loader is tested against files it did not write itself:

  safetensors/           model.safetensors (un-prefixed names, no head, no masks)
  zip/                   pytorch_model.bin, torch.save's zip format
  legacy/                pytorch_model.bin, torch.save's legacy (pre-1.6) format
  legacy-protocol4/      the same with pickle protocol 4
  legacy-views/          legacy, tensors as strided views with offsets into shared storages
  *-sharded/             two shards of each kind plus the index
  f16-*/, bf16-*/        the weights in half / bfloat16, as safetensors and legacy .bin
  bad-*/                 malformed legacy files and sharded indexes (errors expected)

Like the old Hugging Face checkpoints, the .bin files hold the causal-mask
buffers (attn.bias as uint8, attn.masked_bias) and an lm_head.weight sharing
wte's storage. Every directory has a DialoGPT-style config.json.

  /usr/bin/python3 tests/tools/make_weight_fixtures.py OUT_DIR
  /usr/bin/python3 tests/tools/make_weight_fixtures.py --fuzz-seeds tests/fuzz/corpus/fuzz_torch_save

Needs Debian's python3-torch (a test dependency, see packaging/debian-packages.txt).
"""
import collections
import io
import json
import os
import pickle
import pickletools
import shutil
import struct
import sys

try:
    import torch
except ImportError:
    sys.exit("error: python3-torch is missing: run packaging/setup.sh "
             "(or apt-get install python3-torch); these fixtures need real torch")

N_LAYER, N_EMBD, N_HEAD, N_POSITIONS, VOCAB = 2, 64, 2, 1024, 50257
CONFIG = {
    "activation_function": "gelu_new",
    "architectures": ["GPT2LMHeadModel"],
    "attn_pdrop": 0.1,
    "bos_token_id": 50256,
    "embd_pdrop": 0.1,
    "eos_token_id": 50256,
    "initializer_range": 0.02,
    "layer_norm_epsilon": 1e-05,
    "model_type": "gpt2",
    "n_ctx": N_POSITIONS,
    "n_embd": N_EMBD,
    "n_head": N_HEAD,
    "n_layer": N_LAYER,
    "n_positions": N_POSITIONS,
    "resid_pdrop": 0.1,
    "summary_activation": None,
    "summary_first_dropout": 0.1,
    "summary_proj_to_labels": True,
    "summary_type": "cls_index",
    "summary_use_proj": True,
    "task_specific_params": {"conversational": {"max_length": 1000}},
    "vocab_size": VOCAB,
}
MAGIC_NUMBER = 0x1950A86A20F9469CFC6C


def weights(dtype=torch.float32):
    """Seeded weights, large enough (std 0.3) that every one shapes the logits."""
    g = torch.Generator().manual_seed(1234)

    def normal(*shape, std=0.3):
        return (torch.randn(*shape, generator=g) * std).to(dtype)

    e = N_EMBD
    w = collections.OrderedDict()
    w["wte.weight"] = normal(VOCAB, e)
    w["wpe.weight"] = normal(N_POSITIONS, e, std=0.05)
    for i in range(N_LAYER):
        p = f"h.{i}."
        w[p + "ln_1.weight"] = (1 + normal(e, std=0.1)).to(dtype)
        w[p + "ln_1.bias"] = normal(e, std=0.1)
        w[p + "attn.c_attn.weight"] = normal(e, 3 * e)
        w[p + "attn.c_attn.bias"] = normal(3 * e, std=0.1)
        w[p + "attn.c_proj.weight"] = normal(e, e)
        w[p + "attn.c_proj.bias"] = normal(e, std=0.1)
        w[p + "ln_2.weight"] = (1 + normal(e, std=0.1)).to(dtype)
        w[p + "ln_2.bias"] = normal(e, std=0.1)
        w[p + "mlp.c_fc.weight"] = normal(e, 4 * e)
        w[p + "mlp.c_fc.bias"] = normal(4 * e, std=0.1)
        w[p + "mlp.c_proj.weight"] = normal(4 * e, e)
        w[p + "mlp.c_proj.bias"] = normal(e, std=0.1)
    w["ln_f.weight"] = (1 + normal(e, std=0.1)).to(dtype)
    w["ln_f.bias"] = normal(e, std=0.1)
    return w


def old_checkpoint(w):
    """A GPT2LMHeadModel state dict as 2019-2020 checkpoints hold it."""
    sd = collections.OrderedDict()
    mask = torch.tril(torch.ones(N_POSITIONS, N_POSITIONS, dtype=torch.uint8))
    for name, t in w.items():
        sd["transformer." + name] = t
        if name.endswith("ln_1.bias"):
            layer = name.split(".")[1]
            sd[f"transformer.h.{layer}.attn.bias"] = mask.view(1, 1, N_POSITIONS, N_POSITIONS)
            sd[f"transformer.h.{layer}.attn.masked_bias"] = torch.tensor(-1e4)
    sd["lm_head.weight"] = sd["transformer.wte.weight"]  # tied: the same storage
    return sd


def write_config(d):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=2)


def save_bin(sd, path, legacy, protocol=2):
    torch.save(sd, path, _use_new_zipfile_serialization=not legacy, pickle_protocol=protocol)


SAFETENSORS_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
                      torch.uint8: "U8"}


def save_safetensors(sd, path):
    """The safetensors layout, written here in Python (not by kvrecycle)."""
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in sd.items():
        t = t.contiguous()
        raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[name] = {"dtype": SAFETENSORS_DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def save_sharded(sd, d, kind):
    """Two shards and the index, named as transformers names them."""
    names = list(sd)
    halves = [names[: len(names) // 2], names[len(names) // 2:]]
    stem, ext, index_name = (("model", "safetensors", "model.safetensors.index.json")
                             if kind == "safetensors" else
                             ("pytorch_model", "bin", "pytorch_model.bin.index.json"))
    weight_map = {}
    for i, half in enumerate(halves):
        shard = f"{stem}-{i + 1:05d}-of-00002.{ext}"
        part = collections.OrderedDict((n, sd[n]) for n in half)
        if kind == "safetensors":
            save_safetensors(part, os.path.join(d, shard))
        else:
            save_bin(part, os.path.join(d, shard), legacy=(kind == "legacy"))
        weight_map.update({n: shard for n in half})
    total = sum(t.numel() * t.element_size() for t in sd.values())
    with open(os.path.join(d, index_name), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)


def with_views(sd):
    """The same values, stored as views: transposed strides, offsets into shared storages."""
    out = collections.OrderedDict(sd)
    w = sd["transformer.h.0.attn.c_attn.weight"]
    out["transformer.h.0.attn.c_attn.weight"] = w.t().contiguous().t()  # strides (1, rows)
    biases = [n for n in sd if n.startswith("transformer.h.1.") and n.endswith(".bias")
              and not n.endswith(".attn.bias")]
    flat = torch.cat([sd[n].flatten() for n in biases])
    at = 0
    for n in biases:  # views at growing offsets into one storage
        out[n] = flat[at:at + sd[n].numel()].view(sd[n].shape)
        at += sd[n].numel()
    lnf = sd["transformer.ln_f.weight"]
    out["transformer.ln_f.weight"] = torch.stack([lnf, torch.zeros_like(lnf)], 1)[:, 0]  # stride 2
    wpe = sd["transformer.wpe.weight"]
    out["transformer.wpe.weight"] = torch.cat([torch.zeros(3, N_EMBD), wpe])[3:]  # offset 3 rows
    return out


# -- Hand-made legacy pickles, for what torch.save itself will not write -------

class FakeStorage:
    def __init__(self, key, storage_type, values, view=None, numel=None):
        self.key, self.storage_type, self.values, self.view = key, storage_type, values, view
        self.numel = values.numel() if numel is None else numel


class FakeTensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2,
                (self.storage, self.offset, tuple(self.size), tuple(self.stride), False,
                 collections.OrderedDict()))


class Evil:
    """What a malicious checkpoint holds: a call of os.system on load."""

    def __reduce__(self):
        return (os.system, ("echo this must never run",))


def write_legacy_by_hand(path, state, storages):
    """torch's _legacy_save, step by step, over FakeStorage/FakeTensor objects."""
    with open(path, "wb") as f:
        pickle.dump(MAGIC_NUMBER, f, protocol=2)
        pickle.dump(1001, f, protocol=2)
        pickle.dump({"protocol_version": 1001, "little_endian": True,
                     "type_sizes": {"short": 2, "int": 4, "long": 4}}, f, protocol=2)
        p = pickle.Pickler(f, protocol=2)
        p.persistent_id = lambda o: (("storage", o.storage_type, o.key, "cpu", o.numel, o.view)
                                     if isinstance(o, FakeStorage) else None)
        p.dump(state)
        roots = sorted({s.key: s for s in storages if s.view is None}.values(), key=lambda s: s.key)
        pickle.dump([s.key for s in roots], f, protocol=2)
        for s in roots:
            f.write(struct.pack("<q", s.numel))
            f.write(s.values.numpy().tobytes())


def storage_data_offset(path):
    """Byte offset of the first storage's element count: after the five pickles."""
    with open(path, "rb") as f:
        for _ in range(5):
            for _ in pickletools.genops(f):
                pass
        return f.tell()


def small_state(dtype=torch.float32):
    g = torch.Generator().manual_seed(5)
    wte = torch.randn(8, 4, generator=g).to(dtype)
    sd = collections.OrderedDict()
    sd["transformer.wte.weight"] = wte
    sd["transformer.h.0.attn.bias"] = torch.tril(torch.ones(4, 4, dtype=torch.uint8)).view(1, 1, 4, 4)
    sd["transformer.h.0.attn.masked_bias"] = torch.tensor(-1e4)
    sd["transformer.ln_f.weight"] = torch.ones(4, dtype=dtype)
    sd["lm_head.weight"] = wte
    return sd


def write_malformed(out):
    d = os.path.join(out, "bad-global")
    write_config(d)
    sd = small_state()
    sd["evil"] = Evil()
    save_bin(sd, os.path.join(d, "pytorch_model.bin"), legacy=True)

    d = os.path.join(out, "bad-opcode")  # a set: protocol 4's EMPTY_SET
    write_config(d)
    sd = small_state()
    sd["extra"] = {1, 2}
    save_bin(sd, os.path.join(d, "pytorch_model.bin"), legacy=True, protocol=4)

    d = os.path.join(out, "bad-truncated")
    write_config(d)
    path = os.path.join(d, "pytorch_model.bin")
    save_bin(small_state(), path, legacy=True)
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[:-10])

    d = os.path.join(out, "bad-count")  # the first storage's count one too many
    write_config(d)
    path = os.path.join(d, "pytorch_model.bin")
    save_bin(small_state(), path, legacy=True)
    at = storage_data_offset(path)
    with open(path, "r+b") as f:
        f.seek(at)
        (count,) = struct.unpack("<q", f.read(8))
        f.seek(at)
        f.write(struct.pack("<q", count + 1))

    d = os.path.join(out, "bad-view")  # a view past the end of its storage
    write_config(d)
    s = FakeStorage("0", torch.FloatStorage, torch.zeros(16))
    write_legacy_by_hand(os.path.join(d, "pytorch_model.bin"),
                         collections.OrderedDict(w=FakeTensor(s, 10, [4, 2], [2, 1])), [s])

    d = os.path.join(out, "bad-missing-shard")
    write_config(d)
    save_sharded(small_state(), d, "legacy")
    os.remove(os.path.join(d, "pytorch_model-00002-of-00002.bin"))

    d = os.path.join(out, "bad-absent-tensor")  # the index names the wrong shard
    write_config(d)
    save_sharded(small_state(), d, "legacy")
    index = os.path.join(d, "pytorch_model.bin.index.json")
    with open(index) as f:
        j = json.load(f)
    j["weight_map"]["lm_head.weight"] = "pytorch_model-00001-of-00002.bin"
    with open(index, "w") as f:
        json.dump(j, f, indent=2)


def write_fuzz_seeds(out):
    """A few KB each: real torch.save files with the features the parsers must handle."""
    os.makedirs(out, exist_ok=True)
    save_bin(small_state(), os.path.join(out, "state_dict_p2.pt"), legacy=True)
    save_bin(small_state(), os.path.join(out, "state_dict_p4.pt"), legacy=True, protocol=4)
    half = small_state(torch.float16)
    half["bf16"] = torch.arange(6, dtype=torch.bfloat16).view(2, 3)
    save_bin(half, os.path.join(out, "half_bf16.pt"), legacy=True)
    views = small_state()
    flat = torch.arange(24, dtype=torch.float32)
    views["t"] = flat.view(4, 6).t()
    views["offset"] = flat[5:17].view(3, 4)
    views["strided"] = flat[::3]
    views["empty"] = flat[3:3]
    save_bin(views, os.path.join(out, "views_offsets_strides.pt"), legacy=True)
    # A pre-1.6 storage view: (view_key, offset, size) in the persistent id.
    root = FakeStorage("10", torch.FloatStorage, torch.arange(12, dtype=torch.float32))
    view = FakeStorage("10", torch.FloatStorage, root.values, view=("11", 4, 6), numel=12)
    write_legacy_by_hand(os.path.join(out, "storage_view_pre16.pt"),
                         collections.OrderedDict(a=FakeTensor(root, 0, [3, 4], [4, 1]),
                                                 b=FakeTensor(view, 1, [2, 2], [2, 1])),
                         [root, view])
    save_bin(small_state(), os.path.join(out, "zip_state_dict.pt"), legacy=False)
    save_bin(views, os.path.join(out, "zip_views.pt"), legacy=False)
    sd = small_state()
    sd["evil"] = Evil()
    save_bin(sd, os.path.join(out, "bad_global.pt"), legacy=True)
    sd = small_state()
    sd["extra"] = {1, 2}
    save_bin(sd, os.path.join(out, "bad_set_opcode.pt"), legacy=True, protocol=4)


def main(argv):
    if len(argv) == 3 and argv[1] == "--fuzz-seeds":
        write_fuzz_seeds(argv[2])
        return
    if len(argv) != 2:
        sys.exit(__doc__)
    out = argv[1]
    shutil.rmtree(out, ignore_errors=True)
    w = weights()
    sd = old_checkpoint(w)

    def variant(name):
        d = os.path.join(out, name)
        write_config(d)
        return d

    save_safetensors(w, os.path.join(variant("safetensors"), "model.safetensors"))
    save_bin(sd, os.path.join(variant("zip"), "pytorch_model.bin"), legacy=False)
    save_bin(sd, os.path.join(variant("legacy"), "pytorch_model.bin"), legacy=True)
    save_bin(sd, os.path.join(variant("legacy-protocol4"), "pytorch_model.bin"), legacy=True,
             protocol=4)
    save_bin(with_views(sd), os.path.join(variant("legacy-views"), "pytorch_model.bin"),
             legacy=True)
    save_sharded(collections.OrderedDict(("transformer." + n, t) for n, t in w.items()),
                 variant("safetensors-sharded"), "safetensors")
    save_sharded(sd, variant("zip-sharded"), "zip")
    save_sharded(sd, variant("legacy-sharded"), "legacy")
    for dtype, label in ((torch.float16, "f16"), (torch.bfloat16, "bf16")):
        wl = weights(dtype)
        save_safetensors(wl, os.path.join(variant(f"{label}-safetensors"), "model.safetensors"))
        save_bin(old_checkpoint(wl), os.path.join(variant(f"{label}-legacy"), "pytorch_model.bin"),
                 legacy=True)
    write_malformed(out)
    print(f"weight fixtures written to {out} (torch {torch.__version__})")


if __name__ == "__main__":
    main(sys.argv)
