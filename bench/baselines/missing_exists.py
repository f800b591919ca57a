#!/usr/bin/python3
"""Baseline: json.load + one os.path.exists per record (what most users write).

Usage: /usr/bin/python3 bench/baselines/missing_exists.py CHAT_JSON IMAGES_DIR

Loads the whole record file with json.load, then checks IMAGES_DIR/<image> with
os.path.exists for each distinct `image` value. Prints the counts and the number
of distinct missing images as "missing: N" (the line llava-verify missing also
prints). The issue measured 7.3 s and ~1.5 GB RSS on CC3M (595,375 records,
~506,000 images present). Run it with Debian's /usr/bin/python3 (`python3` here is
a pyenv shim that adds ~70 ms a start). Exit status 1 when images are missing.
"""
import json
import os
import sys


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip())
        return 0 if len(sys.argv) == 2 and sys.argv[1] in ("-h", "--help") else 2
    chat, images = sys.argv[1], sys.argv[2]
    with open(chat, "rb") as f:
        records = json.load(f)
    seen = set()
    missing = 0
    for r in records:
        image = r.get("image")
        if not isinstance(image, str) or image in seen:
            continue
        seen.add(image)
        if not os.path.exists(os.path.join(images, image)):
            missing += 1
    print("records: %d" % len(records))
    print("distinct images: %d" % len(seen))
    print("missing: %d" % missing)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
