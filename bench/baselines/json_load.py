#!/usr/bin/python3
"""Baseline: json.load a record file and visit every record's `image` value.

Usage: /usr/bin/python3 bench/baselines/json_load.py CHAT_JSON

The floor of any Python script that reads a LLaVA record file: it parses the whole
array into Python objects (the issue measured 4.3 s and ~1.5 GB RSS on CC3M's
212 MB chat.json). Prints the record count and how many have a string `image`.
Run it with Debian's /usr/bin/python3: `python3` on the developer machines is a
pyenv shim that adds ~70 ms a start.
"""
import json
import sys


def main():
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(sys.argv) == 2 else 2
    with open(sys.argv[1], "rb") as f:
        records = json.load(f)
    with_image = 0
    for r in records:
        if isinstance(r.get("image"), str):
            with_image += 1
    print("records: %d" % len(records))
    print("with an image: %d" % with_image)
    return 0


if __name__ == "__main__":
    sys.exit(main())
