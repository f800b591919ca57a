#!/usr/bin/python3
"""CC3M-sized JPEGs for bench/bench_deep.sh: OUTDIR/images/GCC_train_N.jpg and OUTDIR/chat.json.

Usage: gen_jpegs.py OUTDIR [--files N] [--seed S]    (default 60,000 files, seed 7)

40 distinct noise JPEGs of 160x120 to 300x200 at quality 60-85 (8-40 KB, ~23 KB on
average, as CC3M's resized images), made with Pillow (Debian python3-pil); each file is
one of them with a comment segment (FF FE) naming it, so no two files are equal and
every one is a whole JPEG that --deep walks to its end marker. Deterministic.
"""
import argparse
import io
import json
import os
import random

from PIL import Image


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--files", type=int, default=60000)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    bases = []
    for _ in range(40):
        w, h = rng.choice([(160, 120), (200, 150), (240, 180), (300, 200)])
        im = Image.frombytes("RGB", (w, h), bytes(rng.getrandbits(8) for _ in range(w * h * 3)))
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=rng.choice([60, 75, 85]))
        bases.append(buf.getvalue())
    os.makedirs(os.path.join(a.out, "images"), exist_ok=True)
    records = []
    for k in range(a.files):
        base = bases[k % len(bases)]
        data = base[:2] + b"\xff\xfe\x00\x10" + b"%014d" % k + base[2:]
        name = "GCC_train_%09d.jpg" % k
        fd = os.open(os.path.join(a.out, "images", name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, data)
        os.close(fd)
        records.append({"id": str(k), "image": name, "conversations": []})
    with open(os.path.join(a.out, "chat.json"), "w") as f:
        json.dump(records, f)


if __name__ == "__main__":
    main()
