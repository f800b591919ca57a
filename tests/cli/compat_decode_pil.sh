#!/usr/bin/env bash
# `missing --deep=decode` against PIL, the loader LLaVA trains with, file by file: the
# corpus of tests/fixtures/make_images.py --extended for seeds 1-4 (4 x ~1,016 files:
# whole images of each format and mode; cuts, flipped, set, inserted and removed bytes
# at many offsets; bad lengths and CRCs; padding; non-images; other formats under .jpg;
# cases aimed at Pillow's own readers: PNG chunk handlers and zlib streams that end
# early, GIF extensions and LZW codes, JPEG markers, BMP bit fields and run-length
# data, WebP containers; PIL's verdict on each is in expected.tsv), and one image
# between PIL's two pixel limits (PIL loads it and warns).
# Fails when:
#   - a file's verdict differs from PIL's and is not in KNOWN below (each with why;
#     docs/robustness.md lists them), or a KNOWN file agrees now;
#   - agreement is under 99.9%;
#   - the image PIL warns about is not in the report's warnings, or is not present.
# Prints, as information, the files PIL loads that `missing --deep` (the structure
# walk) calls corrupt.
#   bash compat_decode_pil.sh /path/to/llava-verify      (KEEP=1 keeps the corpus)
set -u
export LC_ALL=C.UTF-8 TZ=UTC
LV=$(realpath "${1:?usage: bash compat_decode_pil.sh /path/to/llava-verify}") || exit 2
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
if ! "$PY" -c 'import PIL' 2>/dev/null; then
  echo "compat_decode_pil: $PY has no PIL (Debian: python3-pil): skipping" >&2
  exit 0
fi
S=$(mktemp -d "${TMPDIR:-/tmp}/lv-decode-pil.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then trap 'echo "scratch folder kept: $S"' EXIT; else trap 'rm -rf "$S"' EXIT; fi
failed=0
for seed in 1 2 3 4; do
  "$PY" "$HERE/../fixtures/make_images.py" "$S/$seed" --seed "$seed" --extended 2>"$S/gen.err" || { cat "$S/gen.err"; echo "FAIL: make_images.py"; exit 1; }
  for level in decode structure; do
    deep=--deep=$level
    [ "$level" = structure ] && deep=--deep
    timeout 100 "$LV" missing "$S/$seed/records.json" --images "$S/$seed/images" "$deep" --json "$S/$seed/$level.json" \
      >"$S/out" 2>"$S/err"
    rc=$?
    if { [ "$rc" != 0 ] && [ "$rc" != 1 ]; } || grep -q 'Sanitizer\|runtime error' "$S/err"; then
      echo "FAIL: seed $seed: missing $deep exited $rc"; sed 's/^/    /' "$S/err"; exit 1
    fi
  done
done
"$PY" - "$S" <<'PY' || failed=1
import json, os, sys
S = sys.argv[1]
SEEDS = ("1", "2", "3", "4")
# Known disagreements, seed/name: why. (None: every file of the corpus agrees.)
KNOWN = {}
total = agree = loads = 0
seen = set()
problems, walk_refuses = [], []
for seed in SEEDS:
    pil = {}
    for line in open(os.path.join(S, seed, "expected.tsv"), encoding="utf-8"):
        name, verdict, text = line.rstrip("\n").split("\t")
        pil[name] = (verdict, text)
    levels = {}
    for level in ("decode", "structure"):
        report = json.load(open(os.path.join(S, seed, level + ".json"), encoding="utf-8"))
        levels[level] = {m["image"]: m.get("detail", "") for m in report["missing"]}
        for m in report["missing"]:
            if m["state"] != "corrupt":
                problems.append(f"seed {seed}: --deep={level}: {m['image']}: state {m['state']}, expected corrupt")
    ours, walk = levels["decode"], levels["structure"]
    for name, (verdict, text) in sorted(pil.items()):
        total += 1
        key = f"{seed}/{name}"
        if verdict == "ok":
            loads += 1
            if name in walk:
                walk_refuses.append(f"{key}: {walk[name][:110]}")
        got = "error" if name in ours else "ok"
        if got == verdict:
            agree += 1
            if key in KNOWN:
                problems.append(f"{key} is a known disagreement and agrees now: update KNOWN")
            continue
        seen.add(key)
        line = f"{key}: PIL {verdict} ({text[:90]}), --deep=decode {got} ({ours.get(name, '')[:90]})"
        if key in KNOWN:
            print(f"known disagreement: {line}: {KNOWN[key]}")
        else:
            problems.append("disagreement: " + line)
for key in KNOWN:
    if key not in seen and not any(p.startswith(key) for p in problems):
        problems.append(f"{key} is listed in KNOWN but was not seen")
share = agree / total
print(f"compat_decode_pil: {total} files (PIL loads {loads}), --deep=decode agrees with PIL on {agree} ({100 * share:.2f}%)")
print(f"  information: the structure walk (--deep) calls {len(walk_refuses)} of the {loads} files PIL loads corrupt"
      + (":" if walk_refuses else ""))
for w in walk_refuses:
    print("    " + w)
if share < 0.999:
    problems.append(f"agreement {100 * share:.2f}% is under 99.9%")
for p in problems:
    print("FAIL: " + p)
sys.exit(1 if problems else 0)
PY
# Between PIL's limits: 9,500 x 9,500 = 90,250,000 pixels (a 1-bit PNG of a few KB).
mkdir -p "$S/big/images"
"$PY" - "$S/big" <<'PY' || { echo "FAIL: PIL refused the 90M-pixel image"; exit 1; }
import json, os, sys, warnings
from PIL import Image
d = sys.argv[1]
p = os.path.join(d, "images", "big.png")
Image.new("1", (9500, 9500), 1).save(p)
json.dump([{"id": "big", "image": "big.png"}], open(os.path.join(d, "records.json"), "w"))
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    Image.open(p).convert("RGB")
assert any("DecompressionBomb" in type(x.message).__name__ for x in w), w
PY
"$LV" missing "$S/big/records.json" --images "$S/big/images" --deep=decode --json "$S/big/report.json" >/dev/null 2>"$S/big/err"
rc=$?
"$PY" - "$S/big/report.json" "$rc" "$S/big/err" <<'PY' || failed=1
import json, sys
r = json.load(open(sys.argv[1]))
err = open(sys.argv[3]).read()
detail = "9500 x 9500 = 90,250,000 pixels: PIL warns above 89,478,485 (DecompressionBombWarning)"
ok = (sys.argv[2] == "0" and r["summary"]["present"] == 1 and r["summary"]["warnings"] == 1
      and r["warnings"] == [{"image": "big.png", "detail": detail}]
      and err == f"llava-verify: warning: big.png: {detail}\n")
print(("ok  " if ok else "FAIL: ") + "the 90,250,000-pixel PNG: present, with PIL's warning" + ("" if ok else f": exit {sys.argv[2]}, {r['summary']}, {r['warnings']}, stderr {err!r}"))
sys.exit(0 if ok else 1)
PY
exit $failed
