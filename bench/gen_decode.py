#!/usr/bin/python3
"""Images for bench/bench_decode.sh: OUTDIR/images/IMG_N.{jpg,png} and OUTDIR/chat.json.

Usage: gen_decode.py OUTDIR [--files N] [--seed S]    (default 20,000 files, seed 11)

300-500 px photographs' stand-ins, as the issue's decode target names them: 60 distinct
smooth-plus-noise pictures (so they compress like photographs), each saved as a baseline
JPEG (quality 75-90), a progressive JPEG, or a PNG (one in ten); each file is one of them
with a comment (JPEG FF FE) or tEXt chunk (PNG) naming it, so no two files are equal and
every one is whole (PIL loads it). Made with Pillow (Debian python3-pil). Deterministic.
"""
import argparse
import io
import json
import os
import random
import struct
import zlib

from PIL import Image, ImageFilter


def picture(rng, w, h):
    # A gradient with noise: JPEG and PNG sizes like photographs', quick to make.
    base = Image.linear_gradient("L").resize((w, h))
    r, g, b = (base.point(lambda v, k=k: (v * k + rng.randrange(256)) % 256) for k in (1, 2, 3))
    noise = Image.effect_noise((w, h), 24).filter(ImageFilter.SMOOTH)
    return Image.merge("RGB", (Image.blend(r, noise, 0.25), g, Image.blend(b, noise, 0.15)))


def png_with_text(data, text):
    chunk = b"tEXt" + b"Comment\x00" + text
    blob = struct.pack(">I", len(chunk) - 4) + chunk + struct.pack(">I", zlib.crc32(chunk) & 0xFFFFFFFF)
    return data[:33] + blob + data[33:]  # after the signature and IHDR


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--files", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=11)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    bases = []
    for i in range(60):
        w, h = rng.randrange(300, 501), rng.randrange(300, 501)
        im = picture(rng, w, h)
        buf = io.BytesIO()
        if i % 10 == 9:
            im.save(buf, "PNG")
            bases.append(("png", buf.getvalue()))
        else:
            im.save(buf, "JPEG", quality=rng.choice([75, 85, 90]), progressive=(i % 3 == 1))
            bases.append(("jpg", buf.getvalue()))
    os.makedirs(os.path.join(a.out, "images"), exist_ok=True)
    records = []
    for k in range(a.files):
        ext, base = bases[k % len(bases)]
        tag = b"%014d" % k
        data = png_with_text(base, tag) if ext == "png" else base[:2] + b"\xff\xfe\x00\x10" + tag + base[2:]
        name = "IMG_%09d.%s" % (k, ext)
        with open(os.path.join(a.out, "images", name), "wb") as f:
            f.write(data)
        records.append({"id": str(k), "image": name, "conversations": []})
    with open(os.path.join(a.out, "chat.json"), "w") as f:
        json.dump(records, f)


if __name__ == "__main__":
    main()
