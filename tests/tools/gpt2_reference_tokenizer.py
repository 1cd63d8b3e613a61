#!/usr/bin/python3
"""Reference GPT-2 tokenizer, written after OpenAI's gpt-2 encoder.py (the
algorithm Hugging Face's GPT2Tokenizer also follows), used to produce the golden
ids in tests/data/tokenizer_cases.json.

    /usr/bin/python3 tests/tools/gpt2_reference_tokenizer.py TOKENIZER_DIR \
        < tests/tools/tokenizer_inputs.json > tests/data/tokenizer_cases.json

TOKENIZER_DIR holds encoder.json + vocab.bpe (or vocab.json + merges.txt).
Needs Debian's python3-regex. `<|endoftext|>` is split out first, as HF does.
"""
import json
import os
import sys

import regex

PATTERN = regex.compile(
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")
EOT = "<|endoftext|>"


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def load(directory):
    def pick(*names):
        for name in names:
            path = os.path.join(directory, name)
            if os.path.exists(path):
                return path
        sys.exit(f"no {names} in {directory}")
    with open(pick("vocab.json", "encoder.json"), encoding="utf-8") as f:
        encoder = json.load(f)
    with open(pick("merges.txt", "vocab.bpe"), encoding="utf-8") as f:
        lines = f.read().split("\n")
    merges = [tuple(l.split()) for l in lines[1:] if l.strip()]
    return encoder, {m: i for i, m in enumerate(merges)}


def bpe(token, ranks, cache):
    if token in cache:
        return cache[token]
    word = tuple(token)
    while len(word) > 1:
        pairs = {(word[i], word[i + 1]) for i in range(len(word) - 1)}
        best = min(pairs, key=lambda p: ranks.get(p, float("inf")))
        if best not in ranks:
            break
        first, second = best
        merged, i = [], 0
        while i < len(word):
            if i < len(word) - 1 and word[i] == first and word[i + 1] == second:
                merged.append(first + second)
                i += 2
            else:
                merged.append(word[i])
                i += 1
        word = tuple(merged)
    cache[token] = word
    return word


def encode(text, encoder, ranks, cache, byte_map):
    ids = []
    for n, part in enumerate(text.split(EOT)):
        if n > 0:
            ids.append(encoder[EOT])
        for piece in PATTERN.findall(part):
            mapped = "".join(byte_map[b] for b in piece.encode("utf-8"))
            ids.extend(encoder[t] for t in bpe(mapped, ranks, cache))
    return ids


def main():
    encoder, ranks = load(sys.argv[1])
    byte_map, cache = bytes_to_unicode(), {}
    texts = json.load(sys.stdin)
    cases = [{"text": t, "ids": encode(t, encoder, ranks, cache, byte_map)} for t in texts]
    rows = ",\n ".join(json.dumps(c, ensure_ascii=False) for c in cases)
    sys.stdout.write("[\n " + rows + "\n]\n")


if __name__ == "__main__":
    main()
