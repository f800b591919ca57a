#!/usr/bin/python3
"""Baseline: json.load + prefix every `image` + json.dump (what users write today).

Usage: /usr/bin/python3 bench/baselines/rewrite_json.py CHAT_JSON OUT_JSON PREFIX [--indent N|none]

Loads the record file, sets image = PREFIX + image on every record that has a
string `image`, and writes the array back with json.dump (indent 2 by default,
as bench/gen_dataset.py and, by its size, the release write chat.json; 'none'
for json.dump's compact default). The issue measured 5.8-10.3 s and ~1.5 GB RSS on
CC3M's 212 MB chat.json. Run it with Debian's /usr/bin/python3 (`python3` here is
a pyenv shim that adds ~70 ms a start).
"""
import json
import sys


def main():
    args = sys.argv[1:]
    if args[:1] in (["-h"], ["--help"]):
        print(__doc__.strip())
        return 0
    indent = 2
    if "--indent" in args:
        i = args.index("--indent")
        value = args[i + 1] if i + 1 < len(args) else ""
        indent = None if value.lower() == "none" else int(value)
        del args[i:i + 2]
    if len(args) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    chat, out, prefix = args
    with open(chat, "rb") as f:
        records = json.load(f)
    changed = 0
    for r in records:
        image = r.get("image")
        if isinstance(image, str):
            r["image"] = prefix + image
            changed += 1
    with open(out, "w", encoding="utf-8") as f:
        json.dump(records, f, indent=indent)
    print("records: %d, images rewritten: %d" % (len(records), changed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
