#!/usr/bin/env bash
# missing and rewrite against an independent truth: the fixture generator's own
# expected.json, and Python's json module (the parser the trainer uses).
# Usage: compat_python_fixture.sh /path/to/llava-verify
set -u
LV=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
export LC_ALL=C.UTF-8
S=$(mktemp -d "${TMPDIR:-/tmp}/lv-pyfix.XXXXXX")
trap 'rm -rf "$S"' EXIT
cd "$S" || exit 2
"$PY" "$HERE/../fixtures/make_llava_fixture.py" d --records 400 >/dev/null || { echo "fixture failed"; exit 2; }
cd d || exit 2

passed=0
failed=0
check() {  # check LABEL: runs the rest as a command, which must succeed
  local label=$1
  shift
  if out=$("$@" 2>&1); then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $label"
    echo "$out" | sed 's/^/    /'
  fi
}

# Compares a `missing --json` report with a section of expected.json.
compare_missing() {  # compare_missing SECTION REPORT [KEYS...]
  "$PY" - "$@" <<'PY'
import json, sys
section, report, keys = sys.argv[1], sys.argv[2], sys.argv[3:]
want = json.load(open("expected.json"))[section]
got = json.load(open(report))
bad = [f"{k}: expected {want[k]}, got {got['summary'][k]}" for k in keys if got["summary"][k] != want[k]]
if "missing_images" in want:
    names = sorted({m["image"] for m in got["missing"] if m["state"] == "missing"})
    if names != sorted(want["missing_images"]):
        bad.append(f"missing names differ: {names} vs {sorted(want['missing_images'])}")
if "corrupt_images" in want:
    names = sorted(m["image"] for m in got["missing"] if m["state"] == "corrupt")
    if names != sorted(want["corrupt_images"]):
        bad.append(f"corrupt names differ: {names}")
if "damaged_images" in want:
    names = sorted(m["image"] for m in got["missing"] if m["state"] == "damaged")
    if names != sorted(want["damaged_images"]):
        bad.append(f"damaged names differ: {names}")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
}

"$LV" missing chat.json --images images --json r1.json >/dev/null
check "missing: folder" compare_missing chat_images r1.json records distinct_images present missing empty
"$LV" missing chat.json --images images --images images.zip --json r2.json >/dev/null
check "missing: folder then zip" compare_missing chat_images_and_zip r2.json records distinct_images present missing empty damaged
"$LV" missing chat.json --images images --deep --json r3.json >/dev/null
check "missing: --deep" compare_missing chat_images_deep r3.json present missing empty corrupt
"$LV" missing chat.json --images img2dataset --meta metadata.json --json r4.json >/dev/null
check "missing: img2dataset joined on URL" compare_missing chat_img2dataset_by_url r4.json present missing
"$LV" missing instruct.json --images coco --json r5.json >/dev/null 2>&1
check "missing: instruct with text-only, repeats and hostile values" compare_missing instruct_coco r5.json \
  records with_image without_image invalid distinct_images present missing duplicate_ids duplicate_images

# rewrite: Python loads input and output; they differ in the image values only.
same_but_images() {  # same_but_images IN OUT EXPECTED_PYTHON_EXPRESSION_FOR_NEW_IMAGE
  "$PY" - "$@" <<'PY'
import json, sys
a, b, expr = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
if len(a) != len(b):
    sys.exit(f"{len(a)} records in, {len(b)} out")
for i, (x, y) in enumerate(zip(a, b)):
    if set(x) != set(y) or list(x) != list(y):
        sys.exit(f"record {i}: keys differ")
    for k in x:
        if k != "image" and x[k] != y[k]:
            sys.exit(f"record {i}: {k} changed")
    if "image" in x:
        want = eval(expr, {"old": x["image"]})
        if want is not None and y["image"] != want:
            sys.exit(f"record {i}: image {y['image']!r}, expected {want!r}")
PY
}
"$LV" rewrite chat.json --out p.json --prefix '/data/cc3m/' >/dev/null
check "rewrite --prefix: only image values change" same_but_images chat.json p.json '"/data/cc3m/" + old'
"$LV" rewrite instruct.json --out pi.json --prefix 'r\"oot/' >/dev/null
check "rewrite --prefix with quote and backslash, instruct shapes" same_but_images instruct.json pi.json \
  'None if not isinstance(old, str) or old.startswith("/") or ".." in old else "r\\\"oot/" + old'
"$LV" rewrite chat.json --out s.json --images images --images images.zip --zip-dest /x >/dev/null
check "rewrite --images: folder then zip" same_but_images chat.json s.json \
  'None'
"$LV" rewrite chat.json --out same.json --prefix '' >/dev/null
check "rewrite: identity is byte-identical" cmp chat.json same.json
"$LV" rewrite chat.json --out kept.json --images images --images images.zip --drop-missing >/dev/null
drop_check() {
  "$PY" - <<'PY'
import json, sys
a, b = json.load(open("chat.json")), json.load(open("kept.json"))
e = json.load(open("expected.json"))["chat_images_and_zip"]
gone = set(e["missing_images"]) | set(e["damaged_images"])
kept = [r for r in a if r["image"] not in gone]
if [r["id"] for r in kept] != [r["id"] for r in b]:
    sys.exit("kept records differ")
PY
}
check "rewrite --drop-missing: the others stay, in order" drop_check

# --rename-to-gcc: records that name img2dataset files get LLaVA's names, through the URL.
"$PY" - <<'PY'
import json, os
recs = []
for name in sorted(os.listdir("img2dataset/00000")):
    if name.endswith(".json"):
        side = json.load(open("img2dataset/00000/" + name))
        recs.append({"id": side["key"], "image": "00000/" + side["key"] + ".jpg"})
recs.append({"id": "none", "image": "00000/999999999.jpg"})
json.dump(recs, open("i2d.json", "w"), indent=1)
PY
"$LV" rewrite i2d.json --out gcc.json --rename-to-gcc --images img2dataset:img2dataset --meta metadata.json >/dev/null
rename_check() {
  "$PY" - <<'PY'
import json, sys
url_to_image = {m["url"]: m["image"] for m in json.load(open("metadata.json"))}
before, after = json.load(open("i2d.json")), json.load(open("gcc.json"))
for b, a in zip(before, after):
    side = "img2dataset/" + b["image"][:-4] + ".json"
    try:
        want = url_to_image[json.load(open(side))["url"]]
    except FileNotFoundError:
        want = b["image"]  # no such file: left as it was
    if a["image"] != want:
        sys.exit(f"{b['image']}: got {a['image']}, expected {want}")
PY
}
check "rewrite --rename-to-gcc: img2dataset keys to GCC names through the URL" rename_check

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
