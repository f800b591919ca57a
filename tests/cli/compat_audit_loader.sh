#!/usr/bin/env bash
# `audit` against LLaVA's loader on a LLaVA-1.5 playground/data tree (issue 15): for
# every record, the loader does Image.open(os.path.join(image_folder, image)).convert('RGB')
# with image_folder = playground/data. The tree is damaged the ways users report: files
# gone, empty, cut short, an HTML page saved as .jpg, OCR-VQA images on disk as X.gif
# (or X.png) for a record's X.jpg, and GIF/PNG content under a .jpg name (which loads).
# The set of images audit calls unusable must be exactly the set the loader fails on:
# with --deep and with --deep=decode; without --deep, the loader's failures less the
# files that are there but cut short or not images (which only --deep reads).
#   compat_audit_loader.sh LLAVA_VERIFY
set -euo pipefail
LV=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
"$PY" "$HERE/../fixtures/make_layouts.py" tree mix --records 3000 >/dev/null
D=tree/playground/data
"$PY" - "$D" <<'PY'
import io, json, os, random, sys
from PIL import Image
root = sys.argv[1]
rng = random.Random(15)
recs = json.load(open(os.path.join(root, "llava_v1_5_mix665k.json")))
there = sorted({r["image"] for r in recs if "image" in r and os.path.exists(os.path.join(root, r["image"]))})
rng.shuffle(there)
def img(fmt):
    b = io.BytesIO(); Image.new("RGB", (24, 16), (9, 99, 199)).save(b, fmt); return b.getvalue()
k = 0
def take(n):
    global k
    k += n
    return there[k - n:k]
for v in take(20): os.remove(os.path.join(root, v))
for v in take(10): open(os.path.join(root, v), "wb").close()
for i, v in enumerate(take(25)):
    p = os.path.join(root, v); data = open(p, "rb").read()
    open(p, "wb").write(data[: max(4, len(data) // 2 - i)])
for v in take(5): open(os.path.join(root, v), "wb").write(b"<!DOCTYPE html><html><body>Not Found</body></html>\n")
ocr = [v for v in there[k:] if v.startswith("ocr_vqa/")][:12]
for i, v in enumerate(ocr[:8]):      # on disk under another extension
    p = os.path.join(root, v); os.remove(p)
    fmt, ext = (("GIF", ".gif"), ("PNG", ".png"))[i % 2]
    open(p[:-4] + ext, "wb").write(img(fmt))
for v in ocr[8:]:                    # GIF content named .jpg: loads
    open(os.path.join(root, v), "wb").write(img("GIF"))
PY
# The loader's answer for every distinct image.
"$PY" - "$D" > loader.txt <<'PY'
import json, os, sys
from PIL import Image
root = sys.argv[1]
bad = set()
for r in json.load(open(os.path.join(root, "llava_v1_5_mix665k.json"))):
    if "image" not in r: continue
    try:
        Image.open(os.path.join(root, r["image"])).convert("RGB")
    except Exception:
        bad.add(r["image"])
print("\n".join(sorted(bad)))
PY
fail=0
compare() {  # compare LABEL REPORT_DIR [EXCEPT_FILE]
  "$PY" - "$2/report.json" loader.txt "${3:-/dev/null}" "$1" <<'PY' || fail=1
import json, sys
report, loader, except_file, label = sys.argv[1:]
got = {m["image"] for m in json.load(open(report))["missing"]}
want = set(open(loader).read().split()) - set(open(except_file).read().split())
if got != want:
    print(f"FAIL {label}: audit-only {sorted(got - want)[:5]} ({len(got - want)}), loader-only {sorted(want - got)[:5]} ({len(want - got)})")
    sys.exit(1)
print(f"ok   {label}: audit and the loader agree on {len(got)} unusable images")
PY
}
"$LV" audit tree --allow-unknown-hashes --deep --report-dir deep >/dev/null || true
compare "audit --deep" deep
"$LV" audit tree --allow-unknown-hashes --deep=decode --report-dir decode >/dev/null || true
compare "audit --deep=decode" decode
"$LV" audit tree --allow-unknown-hashes --report-dir plain >/dev/null || true
# Without --deep, files that are there but do not load (cut short, HTML) are not read.
"$PY" - "$D" loader.txt > unread.txt <<'PY'
import os, sys
root = sys.argv[1]
for v in open(sys.argv[2]).read().split():
    p = os.path.join(root, v)
    if os.path.isfile(p) and os.path.getsize(p) > 0: print(v)
PY
compare "audit (no --deep; $(wc -l < unread.txt) cut-short or non-image files not read)" plain unread.txt
"$PY" -c '
import json, sys
r = json.load(open("deep/report.json"))["record_files"][0]
print("states:", r["states"], "content_differs_from_extension:", r["content_differs_from_extension"])
assert r["states"]["other_extension"] == 8, r["states"]
assert r["content_differs_from_extension"] == 4, r
'
exit $fail
