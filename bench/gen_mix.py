#!/usr/bin/python3
"""Generate LLaVA-1.5's playground/data at full scale, for bench/bench_audit.sh.

Usage: gen_mix.py OUTDIR [--records N] [--seed S] [--force]

The `mix` layout of tests/fixtures/make_layouts.py (same records, same folders) at the
real size. Writes into OUTDIR:

  playground/data/llava_v1_5_mix665k.json
                 N records (default 665,298, the real file's count) in the proportions of
                 the real mix (coco 364,100, vg 86,417, gqa 72,140, ocr_vqa 80,000, textvqa
                 21,953, text-only 40,688), each coco image in ~3 records; longer
                 conversations than the test fixture's, ~1.45 KB a record (~0.96 GB at full
                 size; the release's file is ~1.03 GB), as json.dump(indent=2) writes them.
  playground/data/{coco/train2017,gqa/images,ocr_vqa/images,textvqa/train_images,
                   vg/VG_100K,vg/VG_100K_2}/
                 97% of the images the mix references (3% of each folder missing), plus
                 images it does not reference, so that each folder holds as many files as
                 the full download (118,287, 148,854, 207,572, 25,119, 64,346, 43,903,
                 scaled with N): ~596K files at full size, 4 bytes each (FF D8 FF D9: a JPEG
                 start and end marker).
  missing.txt    the missing image values, sorted (the expected answer).
  gen_mix.stamp  the parameters; a second run with the same ones does nothing (--force
                 regenerates).

OUTDIR must not be in the repository (use /tmp). Standard library only; run it with
Debian's /usr/bin/python3 (`python3` on the developer machines is a pyenv shim).
Takes about a minute at full size and ~2.4 GB of disk.
"""

import argparse
import json
import os
import random
import shutil
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "fixtures"))
from make_layouts import MIX_FILE, MIX_MISSING, MIX_SOURCES, mix_plan, mix_records, pick, write_files, write_records  # noqa: E402

GEN_VERSION = 1
FULL_RECORDS = sum(c for _, c in MIX_SOURCES)  # 665,298
# Files in each folder of the full downloads LLaVA-1.5's README points to.
FULL_FOLDERS = {"coco/train2017": 118287, "gqa/images": 148854, "ocr_vqa/images": 207572,
                "textvqa/train_images": 25119, "vg/VG_100K": 64346, "vg/VG_100K_2": 43903}
VERBOSITY = 2  # ~1.45 KB a record
IMAGE_BYTES = b"\xff\xd8\xff\xd9"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                 usage="%(prog)s OUTDIR [--records N] [--seed S] [--force]")
    ap.add_argument("outdir")
    ap.add_argument("--records", type=int, default=FULL_RECORDS, help="records (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default: %(default)s)")
    ap.add_argument("--force", action="store_true", help="regenerate even when the stamp matches")
    a = ap.parse_args()
    if a.records < 50:
        ap.error("--records must be at least 50")
    out = os.path.abspath(a.outdir)
    if (out + "/").startswith(REPO + "/"):
        ap.error("OUTDIR must be outside the repository (it gets ~600K files)")
    stamp_path = os.path.join(out, "gen_mix.stamp")
    partial = os.path.join(out, "gen_mix.partial")
    data = os.path.join(out, "playground", "data")
    stamp = json.dumps({"version": GEN_VERSION, "records": a.records, "seed": a.seed}, sort_keys=True)

    if not a.force and os.path.exists(stamp_path):
        with open(stamp_path) as f:
            if f.read().strip() == stamp and os.path.exists(os.path.join(data, MIX_FILE)):
                print("gen_mix: %s is up to date (%s); --force regenerates" % (out, stamp))
                return 0
    if os.path.exists(os.path.join(out, "playground")):
        if not (os.path.exists(stamp_path) or os.path.exists(partial)):
            ap.error("%s/playground was not made by gen_mix.py; remove it or choose another OUTDIR" % out)
        print("gen_mix: removing the old %s/playground" % out)
        shutil.rmtree(os.path.join(out, "playground"))
    os.makedirs(data)
    for p in (stamp_path, os.path.join(out, "missing.txt")):
        if os.path.exists(p):
            os.remove(p)
    open(partial, "w").close()

    t0 = time.monotonic()
    rng = random.Random("mix/%d" % a.seed)
    fill = {f: round(c * a.records / FULL_RECORDS) for f, c in FULL_FOLDERS.items()}
    plan, folders = mix_plan(rng, a.records, fill)
    path = os.path.join(data, MIX_FILE)
    write_records(path, mix_records(rng, plan, VERBOSITY))
    size = os.path.getsize(path)
    t1 = time.monotonic()
    print("gen_mix: %s: %d records, %d bytes (%.1f MB, %.0f bytes a record); %.1f s"
          % (MIX_FILE, a.records, size, size / 1e6, size / a.records, t1 - t0))

    referenced = [v for f in sorted(folders) for v in folders[f][0]]
    gone = pick(rng, referenced, MIX_MISSING)
    files = [v for v in referenced if v not in gone] + [v for f in sorted(folders) for v in folders[f][1]]
    del plan
    write_files(data, files, IMAGE_BYTES)
    print("gen_mix: %d image files (%d of the %d distinct images referenced, %d others); %d missing; %.1f s"
          % (len(files), len(referenced) - len(gone), len(referenced), len(files) - len(referenced) + len(gone),
             len(gone), time.monotonic() - t1))
    with open(os.path.join(out, "missing.txt"), "w") as f:
        f.write("".join(v + "\n" for v in sorted(gone)))
    with open(stamp_path, "w") as f:
        f.write(stamp + "\n")
    os.remove(partial)
    return 0


if __name__ == "__main__":
    sys.exit(main())
