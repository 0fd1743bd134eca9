#!/usr/bin/python3
"""Generates a dependent series of unified diffs over a real source tree, for patch_bench.sh.

usage: gen_patch_series.py SRC_TREE OUT_DIR COUNT [POOL]

Each patch edits 3 files picked from a pool of POOL (default 300) text files of SRC_TREE, two
places per file, against the state left by the previous patches, so the series only applies in
order. Patches carry a mail header like git format-patch mails. Writes OUT_DIR/NNNN.patch.
"""
import difflib
import os
import random
import sys


def candidates(src):
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if os.path.islink(path) or not name.endswith(".h"):
                continue
            with open(path, "rb") as f:
                data = f.read()
            if len(data) < 2000 or not data.endswith(b"\n") or b"\r" in data or b"\0" in data:
                continue
            yield os.path.relpath(path, src), data.decode("latin-1")


def edit(lines, rng, tag):
    new = list(lines)
    for _ in range(2):
        pos = rng.randrange(len(new))
        if rng.random() < 0.5:
            new[pos] = "/* %s */ %s" % (tag, new[pos])
        else:
            new.insert(pos, "/* %s: added */\n" % tag)
    return new


def main():
    src, out, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    pool_size = int(sys.argv[4]) if len(sys.argv) > 4 else 300
    rng = random.Random(4242)
    everything = list(candidates(src))
    pool = rng.sample(everything, min(pool_size, len(everything)))
    # str.splitlines() also breaks at \f, \x85...: split at "\n" only.
    state = {rel: [line + "\n" for line in text.split("\n")[:-1]] for rel, text in pool}
    names = [rel for rel, _ in pool]
    os.makedirs(out, exist_ok=True)
    for k in range(1, count + 1):
        parts = ["From: bench <bench@example.org>\nSubject: [PATCH] bench change %d\n\n"
                 "Generated change number %d.\n---\n" % (k, k)]
        for rel in rng.sample(names, 3):
            old = state[rel]
            new = edit(old, rng, "bench %d" % k)
            parts.append("diff --git a/%s b/%s\n" % (rel, rel))
            parts.extend(difflib.unified_diff(old, new, "a/" + rel, "b/" + rel, n=3))
            state[rel] = new
        with open(os.path.join(out, "%04d.patch" % k), "w", encoding="latin-1") as f:
            f.write("".join(parts))


if __name__ == "__main__":
    main()
