#!/usr/bin/python3
"""Generate a synthetic LLaVA-CC3M-Pretrain-595K data set for benchmarks.

Writes into OUTDIR:

  chat.json      one JSON array of RECORDS records in the CC3M shape:
                   {"id": "GCC_train_%09d", "image": "GCC_train_%09d.jpg",
                    "conversations": [
                      {"from": "human", "value": "Provide a brief description of the given image.\\n<image>"},
                      {"from": "gpt", "value": CAPTION}]}
                 serialized exactly as Python's json.dump(records, f, indent=INDENT)
                 does (ensure_ascii, item separator "," + newline, key separator ": ";
                 with --indent none: json.dump's compact defaults ", " and ": ", all on one line).
  metadata.json  one record per image: id, image, url, caption (the same caption),
                 blip_caption (absent in ~10% of the records, as in the release).
  images/        a flat folder holding round(RECORDS * PRESENT) of the images, each a
                 4-byte file (FF D8 FF D9: a JPEG start and end marker, so even
                 `missing --deep` accepts it); the others are missing.
  missing.txt    the names of the missing images, sorted (the expected answer).
  gen.stamp      the parameters the files were made with; a second run with the same
                 parameters does nothing (pass --force to regenerate).

Why indent=2 by default: the release's chat.json is ~211 MB for 595,375 records, about
356 bytes a record. With indent=2 the fixed part of a record is 289 bytes, leaving a
~67-character caption, which is what CC-3M captions look like ("olive oil is a healthy
ingredient used liberally ." is 50). Written compact, the captions would have to
average ~152 characters, twice CC-3M's. Either way the caption lengths are calibrated
so that the file is --target-mb * RECORDS / 595375 MB (default 212 MB at full size).

Ids are a deterministic random sample of 0..3,318,332 (the rows of CC-3M's training
TSV) in random order; everything depends only on --seed and the other parameters.
Standard library only; run with Debian's /usr/bin/python3 (the `python3` on the
developer machines is a pyenv shim that adds ~70 ms a start).
"""

import argparse
import json
import os
import random
import shutil
import sys
import time

GEN_VERSION = 1
FULL_RECORDS = 595375
CC3M_ROWS = 3318333
PROMPT = "Provide a brief description of the given image.\n<image>"
IMAGE_BYTES = b"\xff\xd8\xff\xd9"

# Words with CC-3M's flavour (lower case, hypernymized: "actor", "person", "city").
WORDS = (
    "a an the of in on at with and for to from by over under near during after "
    "person actor actress man woman people child boy girl family team player artist "
    "dog cat horse bird animal fish flower tree plant forest mountain river lake sea "
    "beach island city street road bridge building house room kitchen table chair "
    "car vehicle train boat aircraft bicycle shop market restaurant food dish cake "
    "coffee wine water sky cloud sunset sunrise night morning winter summer autumn "
    "spring snow rain light view landscape portrait illustration vector cartoon "
    "design pattern background texture icon logo poster photo image picture style "
    "wedding party festival concert event game match season football basketball "
    "red blue green yellow white black golden colorful beautiful old new modern "
    "vintage traditional small large little big happy young abstract classic "
    "standing sitting walking running playing looking holding wearing smiling "
    "performs attends arrives poses celebrates during premiere championship "
    "ingredient healthy used liberally decorated background isolated close up "
    "stock silhouette seamless hand drawn watercolor painting sketch collection set"
).split()
DOMAINS = ("i.pinimg.com", "images.example-photos.com", "cdn.newsimg.net", "www.travelblog.org",
           "media.shopfront.co.uk", "static.pictures.io", "farm4.photostore.com", "www.dailyphoto.net")


def caption(rng, length):
    """Words until the caption is at least `length` characters; CC-3M style ' .' ending half the time."""
    words = []
    n = -1
    while n < length:
        w = rng.choice(WORDS)
        words.append(w)
        n += len(w) + 1
    if rng.random() < 0.5:
        words.append(".")
    return " ".join(words)


def caption_length(rng, mean):
    """A length around `mean`, skewed like real captions (many short, some long)."""
    # lognormvariate(0, 0.4) averages exp(0.08) = 1.083; the words overshoot the
    # length by ~4 characters on average (half a word, and the " ." ending).
    return max(8, int(rng.lognormvariate(0, 0.4) / 1.083 * (mean - 4)))


def dumps_array(items, indent):
    """Yields the text json.dump(items, f, indent=indent) would write, item by item."""
    if indent is None:
        yield "["
        for i, item in enumerate(items):
            yield (", " if i else "") + json.dumps(item)
        yield "]"
        return
    pad = " " * indent
    yield "["
    for i, item in enumerate(items):
        text = json.dumps(item, indent=indent).replace("\n", "\n" + pad)
        yield ("," if i else "") + "\n" + pad + text
    yield "\n]" if items else "]"


def write_json(path, items, indent):
    tmp = path + ".part"
    with open(tmp, "w", encoding="ascii", buffering=1 << 20) as f:
        for piece in dumps_array(items, indent):
            f.write(piece)
    os.replace(tmp, path)
    return os.path.getsize(path)


def record_overhead(indent):
    """Bytes of one chat.json record (and its separator) besides the caption."""
    r = {"id": "GCC_train_000000000", "image": "GCC_train_000000000.jpg",
         "conversations": [{"from": "human", "value": PROMPT}, {"from": "gpt", "value": ""}]}
    two = "".join(dumps_array([r, r], indent))
    one = "".join(dumps_array([r], indent))
    return len(two) - len(one)


def make_images(folder, names):
    """One small file per name; os.open/os.write relative to the folder's fd (fast)."""
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    try:
        for name in names:
            fd = os.open(name, flags, 0o644, dir_fd=dfd)
            os.write(fd, IMAGE_BYTES)
            os.close(fd)
    finally:
        os.close(dfd)


def count_entries(folder):
    try:
        with os.scandir(folder) as it:
            return sum(1 for _ in it)
    except OSError:
        return -1


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="%(prog)s OUTDIR [--records N] [--present F] [--seed S] [--indent N|none] [--target-mb MB] [--force]")
    ap.add_argument("outdir", help="where the files go (created if needed)")
    ap.add_argument("--records", type=int, default=FULL_RECORDS, help="records in chat.json (default: %(default)s)")
    ap.add_argument("--present", type=float, default=0.85,
                    help="fraction of the images written to images/ (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default: %(default)s)")
    ap.add_argument("--indent", default="2",
                    help="json.dump indent of chat.json and metadata.json: a number, or 'none' for "
                         "json.dump's compact default (default: %(default)s)")
    ap.add_argument("--target-mb", type=float, default=212.0,
                    help="size of chat.json in MB (10^6 bytes) at %d records; scaled with --records "
                         "(default: %%(default)s)" % FULL_RECORDS)
    ap.add_argument("--no-images", action="store_true", help="write the JSON files only")
    ap.add_argument("--force", action="store_true", help="regenerate even when the stamp matches")
    a = ap.parse_args()
    if a.records < 0 or a.records > CC3M_ROWS:
        ap.error("--records must be between 0 and %d" % CC3M_ROWS)
    if not 0.0 <= a.present <= 1.0:
        ap.error("--present must be between 0 and 1")
    indent = None if a.indent.lower() == "none" else int(a.indent)

    out = os.path.abspath(a.outdir)
    os.makedirs(out, exist_ok=True)
    chat = os.path.join(out, "chat.json")
    meta = os.path.join(out, "metadata.json")
    images = os.path.join(out, "images")
    listing = os.path.join(out, "missing.txt")
    stamp_path = os.path.join(out, "gen.stamp")
    n_present = round(a.records * a.present)
    stamp = json.dumps({"version": GEN_VERSION, "records": a.records, "present": a.present, "seed": a.seed,
                        "indent": indent, "target_mb": a.target_mb, "images": not a.no_images,
                        "present_count": n_present}, sort_keys=True)

    if not a.force and os.path.exists(stamp_path):
        with open(stamp_path) as f:
            old = f.read().strip()
        ok = old == stamp and all(os.path.exists(p) for p in (chat, meta, listing))
        if ok and not a.no_images:
            ok = count_entries(images) == n_present
        if ok:
            print("gen_dataset: %s is up to date (%s); --force regenerates" % (out, stamp))
            return 0
    if os.path.exists(stamp_path):
        os.remove(stamp_path)

    t0 = time.monotonic()
    rng = random.Random(a.seed)
    numbers = rng.sample(range(CC3M_ROWS), a.records)  # distinct ids, random order
    present = set(rng.sample(range(a.records), n_present))

    mean = max(10.0, a.target_mb * 1e6 / FULL_RECORDS - record_overhead(indent))
    records = []
    metas = []
    for i, num in enumerate(numbers):
        ident = "GCC_train_%09d" % num
        cap = caption(rng, caption_length(rng, mean))
        records.append({"id": ident, "image": ident + ".jpg",
                        "conversations": [{"from": "human", "value": PROMPT}, {"from": "gpt", "value": cap}]})
        m = {"id": ident, "image": ident + ".jpg",
             "url": "http://%s/%d/%08x.jpg" % (rng.choice(DOMAINS), 2010 + num % 9, rng.getrandbits(32)),
             "caption": cap}
        if rng.random() >= 0.10:
            m["blip_caption"] = caption(rng, caption_length(rng, 40))
        metas.append(m)

    chat_bytes = write_json(chat, records, indent)
    meta_bytes = write_json(meta, metas, indent)
    missing = sorted(r["image"] for i, r in enumerate(records) if i not in present)
    with open(listing + ".part", "w") as f:
        f.write("".join(m + "\n" for m in missing))
    os.replace(listing + ".part", listing)
    t1 = time.monotonic()
    print("gen_dataset: chat.json %d records, %d bytes (%.1f MB, %.1f bytes/record, captions ~%.0f chars, indent %s);"
          " metadata.json %d bytes; %.1f s" % (a.records, chat_bytes, chat_bytes / 1e6,
                                              chat_bytes / max(1, a.records), mean, indent, meta_bytes, t1 - t0))

    if not a.no_images:
        names = [records[i]["image"] for i in sorted(present)]
        del records, metas
        make_images(images, names)
        print("gen_dataset: images/ %d files present, %d missing (%.1f s)"
              % (len(names), a.records - len(names), time.monotonic() - t1))
    with open(stamp_path, "w") as f:
        f.write(stamp + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
