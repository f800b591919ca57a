#!/usr/bin/python3
"""Generate synthetic CC3M-style images.zip archives for benchmarks.

Writes into OUTDIR, for --set small (the default):

  stored.zip     ENTRIES JPEG-like entries, ZIP_STORED (no ZIP64 at the defaults:
                 60,000 entries, ~1.39 GB).
  deflated.zip   the same entries, names and order, ZIP_DEFLATED at zlib level 6
                 (zipfile's default level); JPEG-like data barely compresses, ~0.994.
  small.info     key=value lines: entries, bytes (uncompressed total), and the size of
                 each archive.
  small.stamp    the parameters the archives were made with; a second run with the same
                 parameters does nothing (pass --force to regenerate).

and for --set big:

  big.zip        ENTRIES stored entries (default 595,375, ~6.54 GB, mean ~11 KB): ZIP64,
                 because of the entry count (more than 65,535) and of the offsets
                 (beyond 4 GiB), as the release's images.zip.
  big.info, big.stamp

Entries: names GCC_train_%09d.jpg in a flat archive, no folders. The ids are the first
ENTRIES of the sample gen_dataset.py draws for the same --seed (in its random order),
so with --entries 595375 and the same seed, big.zip holds exactly chat.json's images.
Sizes: lognormal (sigma 0.5, at least 1,024 bytes, or half the mean when that is smaller),
scaled so that the total is ENTRIES * --mean-bytes to within a few bytes.
Payload: FF D8 FF E0 and a 16-byte JFIF APP0 segment, then "scan data", then FF D9.
The scan data is random bytes with two touches that make deflate do real work, as it
does on real JPEGs (without them zlib would emit stored blocks and inflate would be a
memcpy): four byte values are folded onto four others (a skewed byte histogram, as
Huffman-coded scan data has), and about every 2,000 bytes there is a run of 4-24
copies of one byte. zlib level 6 then makes dynamic-Huffman blocks of ~0.994 of the
input. Dates are fixed (2023-04-01 00:00:00) and files are mode 0644: the same
parameters give the same bytes.

Everything is deterministic (random.Random(seed); no os.urandom). Standard library
only; run with Debian's /usr/bin/python3 (the `python3` on the developer machines is a
pyenv shim that adds ~70 ms a start). Time at the defaults on the 2-core machines:
--set small ~40 s (deflate at ~60 MB/s on one core is most of it), --set big ~1 min
(~9 s per GB written; 6.5 GB). Archives are written as NAME.part, fsynced, then renamed.
"""

import argparse
import json
import os
import random
import sys
import time
import zipfile

GEN_VERSION = 1
FULL_RECORDS = 595375          # gen_dataset.py's default: the CC3M release's record count
CC3M_ROWS = 3318333            # rows of CC-3M's training TSV
DEFAULTS = {"small": (60000, 23167), "big": (FULL_RECORDS, 10985)}  # entries, mean bytes
JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
JPEG_TAIL = b"\xff\xd9"
DATE = (2023, 4, 1, 0, 0, 0)
RUN_GAP = 2000                 # mean bytes of random data between two runs
RUN_LEN = (4, 24)              # bytes in a run of one value
# Fold 0x10..0x13 onto 0x20..0x23: a skewed histogram that Huffman coding can use.
SKEW = bytes(0x20 + (b - 0x10) if 0x10 <= b < 0x14 else b for b in range(256))


def entry_ids(seed, count):
    """The first `count` ids of gen_dataset.py's sample for `seed` (its first draw)."""
    rng = random.Random(seed)
    return rng.sample(range(CC3M_ROWS), max(count, FULL_RECORDS))[:count], rng


def entry_sizes(rng, count, mean):
    """Lognormal sizes, at least `floor` bytes, scaled so that they sum to ~count * mean."""
    fixed = len(JPEG_HEAD) + len(JPEG_TAIL)
    floor = max(fixed, min(1024, mean // 2))
    raw = [rng.lognormvariate(0, 0.5) for _ in range(count)]
    total = sum(raw) or 1.0
    want = count * mean
    # Scale the part above the floor, so the floor does not push the total up.
    scale = max(0.0, want - count * floor) / total
    sizes = [floor + int(r * scale) for r in raw]
    short = want - sum(sizes)
    for i in range(min(abs(short), count)):  # spread the rounding over the first entries
        sizes[i] += 1 if short > 0 else (-1 if sizes[i] > floor else 0)
    return sizes


def payload(rng, size):
    """A JPEG-like file of exactly `size` bytes (size >= 22)."""
    body = size - len(JPEG_HEAD) - len(JPEG_TAIL)
    parts = [JPEG_HEAD]
    n = 0
    while n < body:
        g = min(body - n, rng.randint(RUN_GAP // 2, RUN_GAP * 3 // 2))
        parts.append(rng.randbytes(g).translate(SKEW))
        n += g
        if n < body:
            k = min(body - n, rng.randint(*RUN_LEN))
            parts.append(bytes((rng.getrandbits(8),)) * k)
            n += k
    parts.append(JPEG_TAIL)
    return b"".join(parts)


def zinfo(name, method):
    zi = zipfile.ZipInfo(name, date_time=DATE)
    zi.compress_type = method
    zi.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
    return zi


def read_info(path):
    info = {}
    try:
        with open(path) as f:
            for line in f:
                k, _, v = line.strip().partition("=")
                info[k] = v
    except OSError:
        return None
    return info


def up_to_date(out, set_name, stamp, archives):
    stamp_path = os.path.join(out, set_name + ".stamp")
    try:
        with open(stamp_path) as f:
            if f.read().strip() != stamp:
                return False
    except OSError:
        return False
    info = read_info(os.path.join(out, set_name + ".info"))
    if info is None:
        return False
    for a in archives:
        p = os.path.join(out, a)
        if not os.path.exists(p) or str(os.path.getsize(p)) != info.get(a.replace(".zip", "_size")):
            return False
    return True


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="%(prog)s OUTDIR [--set small|big] [--entries N] [--mean-bytes B] [--seed S] [--force]")
    ap.add_argument("outdir", help="where the files go (created if needed)")
    ap.add_argument("--set", choices=("small", "big"), default="small",
                    help="small: stored.zip + deflated.zip; big: big.zip (default: %(default)s)")
    ap.add_argument("--entries", type=int, default=None,
                    help="entries per archive (default: %d for small, %d for big)"
                         % (DEFAULTS["small"][0], DEFAULTS["big"][0]))
    ap.add_argument("--mean-bytes", type=int, default=None,
                    help="mean entry size in bytes (default: %d for small, %d for big)"
                         % (DEFAULTS["small"][1], DEFAULTS["big"][1]))
    ap.add_argument("--seed", type=int, default=1, help="random seed (default: %(default)s)")
    ap.add_argument("--force", action="store_true", help="regenerate even when the stamp matches")
    a = ap.parse_args()
    entries = DEFAULTS[a.set][0] if a.entries is None else a.entries
    mean = DEFAULTS[a.set][1] if a.mean_bytes is None else a.mean_bytes
    if not 1 <= entries <= CC3M_ROWS:
        ap.error("--entries must be between 1 and %d" % CC3M_ROWS)
    min_mean = len(JPEG_HEAD) + len(JPEG_TAIL)
    if mean < min_mean:
        ap.error("--mean-bytes must be at least %d (the JPEG head and tail)" % min_mean)

    out = os.path.abspath(a.outdir)
    os.makedirs(out, exist_ok=True)
    archives = ("stored.zip", "deflated.zip") if a.set == "small" else ("big.zip",)
    stamp = json.dumps({"version": GEN_VERSION, "set": a.set, "entries": entries, "mean_bytes": mean,
                        "seed": a.seed, "level": 6, "run_gap": RUN_GAP, "run_len": RUN_LEN},
                       sort_keys=True)
    if not a.force and up_to_date(out, a.set, stamp, archives):
        print("gen_zip: %s: %s up to date (%s); --force regenerates" % (out, " ".join(archives), stamp))
        return 0
    for p in (a.set + ".stamp", a.set + ".info"):
        if os.path.exists(os.path.join(out, p)):
            os.remove(os.path.join(out, p))

    t0 = time.monotonic()
    ids, rng = entry_ids(a.seed, entries)
    sizes = entry_sizes(rng, entries, mean)
    methods = {"stored.zip": zipfile.ZIP_STORED, "deflated.zip": zipfile.ZIP_DEFLATED,
               "big.zip": zipfile.ZIP_STORED}
    zips = {}
    try:
        for name in archives:
            zips[name] = zipfile.ZipFile(os.path.join(out, name + ".part"), "w", allowZip64=True)
        total = 0
        for i, (num, size) in enumerate(zip(ids, sizes)):
            data = payload(rng, size)
            total += len(data)
            member = "GCC_train_%09d.jpg" % num
            for name in archives:
                if methods[name] == zipfile.ZIP_DEFLATED:
                    zips[name].writestr(zinfo(member, zipfile.ZIP_DEFLATED), data, compresslevel=6)
                else:
                    zips[name].writestr(zinfo(member, zipfile.ZIP_STORED), data)
            if (i + 1) % 50000 == 0 and entries >= 200000:
                print("gen_zip: %d/%d entries (%.0f s)" % (i + 1, entries, time.monotonic() - t0),
                      file=sys.stderr, flush=True)
    finally:
        for z in zips.values():
            z.close()
    info = ["entries=%d" % entries, "bytes=%d" % total]
    for name in archives:
        part = os.path.join(out, name + ".part")
        with open(part, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(part, os.path.join(out, name))
        info.append("%s=%d" % (name.replace(".zip", "_size"), os.path.getsize(os.path.join(out, name))))
    with open(os.path.join(out, a.set + ".info"), "w") as f:
        f.write("\n".join(info) + "\n")
    with open(os.path.join(out, a.set + ".stamp"), "w") as f:
        f.write(stamp + "\n")
    sizes_text = ", ".join("%s %.3f GB" % (n, os.path.getsize(os.path.join(out, n)) / 1e9) for n in archives)
    print("gen_zip: %s: %d entries, %d bytes (%.3f GB, mean %.0f bytes); %s; %.1f s"
          % (out, entries, total, total / 1e9, total / entries, sizes_text, time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
