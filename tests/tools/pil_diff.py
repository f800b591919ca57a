#!/usr/bin/python3
"""Differential fuzzing of --deep=decode against Pillow: random damage (1-3 edits:
bytes xor-ed, set, inserted or removed, cuts, runs copied from elsewhere) to the
whole images of tests/fixtures/make_images.py (--extended bases included), PIL's
verdict on each file against decode_check's (tests/tools/decode_check.cpp).

Usage: pil_diff.py DECODE_CHECK [--rounds N] [--per-round K] [--seed S] [--keep DIR]

Prints each disagreement (PIL's exception, decode_check's reason) and a summary;
exits 1 when there is any. Files that disagree are copied to DIR with --keep.
"""
import argparse
import importlib.util
import io
import os
import random
import shutil
import subprocess
import sys
import tempfile
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("make_images", os.path.join(HERE, "..", "fixtures", "make_images.py"))
mi = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mi)
from PIL import Image  # noqa: E402


def pil_ok(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with Image.open(path) as im:
                im.convert("RGB")
            return True, ""
        except Exception as e:  # what PIL raises is the answer
            return False, f"{type(e).__name__}: {e}"


def mutate(data, rng, anywhere=False):
    d = bytearray(data)
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        if len(d) < 2:
            break
        kind = rng.random()
        at = rng.randrange(len(d)) if anywhere or rng.random() < 0.3 else rng.randrange(min(len(d), 4096))
        if kind < 0.30:
            d[at] ^= 1 << rng.randrange(8)
        elif kind < 0.50:
            d[at] = rng.choice([0, 0xFF, rng.randrange(256)])
        elif kind < 0.62:
            d[at:at] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 5)))
        elif kind < 0.74:
            del d[at:at + rng.randrange(1, 9)]
        elif kind < 0.88:
            del d[rng.randrange(1, len(d)):]
        else:
            src = rng.randrange(len(d))
            n = rng.randrange(1, 33)
            d[at:at + n] = d[src:src + n]
    return bytes(d)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("decode_check")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--per-round", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep")
    ap.add_argument("--big", action="store_true", help="also the bases over 200 KB (64 KiB reads matter there)")
    ap.add_argument("--anywhere", action="store_true", help="edits anywhere in the file (default: mostly in its first 4 KiB)")
    args = ap.parse_args()
    pic = mi.Pictures(args.seed)
    whole = mi.whole_images(pic)
    whole.update(mi.extended_bases(mi.Pictures(args.seed * 7919 + 17)))
    # Keep the inputs small: the big ones only as often as the rest.
    bases = sorted(n for n in whole if (args.big or len(whole[n]) < 200_000) and not n.endswith(".tiff"))
    rng = random.Random(args.seed)
    total = bad = loads = 0
    for rnd in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            names = []
            for k in range(args.per_round):
                base = rng.choice(bases)
                name = f"r{rnd}_{k}_{base}"
                with open(os.path.join(tmp, name), "wb") as f:
                    f.write(mutate(whole[base], rng, args.anywhere))
                names.append(name)
            out = subprocess.run([args.decode_check] + [os.path.join(tmp, n) for n in names],
                                 capture_output=True, text=True, check=True).stdout.splitlines()
            ours = {line.split("\t")[0]: line.split("\t", 2) for line in out}
            for n in names:
                total += 1
                ok, why = pil_ok(os.path.join(tmp, n))
                loads += ok
                got = ours[n]
                if ok != (got[1] == "ok"):
                    bad += 1
                    print(f"{n}\tPIL {'ok' if ok else 'error: ' + why[:80]}\tdecode {got[1]}: {got[2][:100]}")
                    if args.keep:
                        os.makedirs(args.keep, exist_ok=True)
                        shutil.copy(os.path.join(tmp, n), args.keep)
    print(f"pil_diff: {total} files (PIL loads {loads}), {total - bad} agree, {bad} disagree")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
