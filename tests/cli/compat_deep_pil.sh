#!/usr/bin/env bash
# `missing --deep` against PIL, the loader LLaVA trains with: for every file of
# tests/fixtures/make_images.py's corpus (whole images of each format, cuts at
# many offsets, flipped bytes, bad lengths and CRCs, non-images), that script
# records whether `Image.open(path).convert('RGB')` succeeds (Pillow's
# defaults), and --deep's report is compared with it:
#   (a) a file PIL loads is never called corrupt: each one is printed with
#       --deep's detail, and the test fails;
#   (b) of the files PIL cannot load, the count --deep calls corrupt; the ones
#       it misses are listed as information (a walk of the structure cannot
#       see every decode error, e.g. a flipped byte inside entropy-coded data).
# Also fails when the corpus is not the same on a second run (its expectations
# would be unstable), or when the report is not one a whole run writes.
#
#   bash compat_deep_pil.sh /path/to/llava-verify       (KEEP=1 keeps the corpus,
#                                                        VERBOSE=1 prints every file)
set -u
export LC_ALL=C.UTF-8 TZ=UTC
LV=$(realpath "${1:?usage: bash compat_deep_pil.sh /path/to/llava-verify}") || exit 2
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
if ! "$PY" -c 'import PIL' 2>/dev/null; then
  echo "compat_deep_pil: $PY has no PIL (Debian: python3-pil): skipping" >&2
  exit 0
fi

S=$(mktemp -d "${TMPDIR:-/tmp}/lv-deep-pil.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
  trap 'echo "scratch folder kept: $S"' EXIT
else
  trap 'rm -rf "$S"' EXIT
fi

for d in d d2; do
  if ! "$PY" "$HERE/../fixtures/make_images.py" "$S/$d" 2>"$S/gen.err"; then
    cat "$S/gen.err"
    echo "FAIL: make_images.py did not run"
    exit 1
  fi
done
failed=0
if ! diff -r -q "$S/d" "$S/d2"; then
  echo "FAIL: make_images.py wrote other bytes on a second run: its expectations are not stable"
  failed=1
fi

timeout 100 "$LV" missing "$S/d/records.json" --images "$S/d/images" --deep --json "$S/report.json" \
  >"$S/out" 2>"$S/err"
rc=$?
if [ "$rc" != 0 ] && [ "$rc" != 1 ]; then
  echo "FAIL: missing --deep exited $rc"
  sed 's/^/    /' "$S/err"
  exit 1
fi
if grep -q 'Sanitizer\|runtime error' "$S/err" || [ ! -s "$S/report.json" ]; then
  echo "FAIL: missing --deep: a sanitizer report, or no JSON report"
  sed 's/^/    /' "$S/err"
  exit 1
fi

"$PY" - "$S/d/expected.tsv" "$S/report.json" "${VERBOSE:-0}" <<'PY' || failed=1
import json, sys

tsv, report, verbose = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
pil = {}
for line in open(tsv, encoding="utf-8"):
    name, verdict, text = line.rstrip("\n").split("\t")
    pil[name] = (verdict, text)
got = json.load(open(report, encoding="utf-8"))

problems = []
s = got["summary"]
for key, want in [("records", len(pil)), ("distinct_images", len(pil)), ("missing", 0), ("empty", 0), ("invalid", 0)]:
    if s[key] != want:
        problems.append(f"summary {key}: {s[key]}, expected {want}")
if s["present"] + s["corrupt"] != len(pil):
    problems.append(f"summary: present {s['present']} + corrupt {s['corrupt']} is not {len(pil)}")
deep = {}
for m in got["missing"]:
    if m["image"] not in pil or m["state"] != "corrupt" or m["image"] in deep:
        problems.append(f"unexpected entry: {m['image']!r} {m['state']} {m.get('detail', '')!r}")
    deep[m["image"]] = m.get("detail", "")
if len(deep) != s["corrupt"]:
    problems.append(f"{len(deep)} corrupt entries, the summary says {s['corrupt']}")

# Known disagreements, each with why (docs/robustness.md, "--deep against PIL"): a file
# here that --deep stops calling corrupt, or one not here that it calls corrupt, fails.
# (None since session 6: a JPEG whose scan runs to the end of the file with no FF D9,
# which a structure walk cannot tell from a cut, is decided by decoding that one file.)
KNOWN = set()
loads = [n for n in pil if pil[n][0] == "ok"]
errors = [n for n in pil if pil[n][0] == "error"]
known = [n for n in loads if n in deep and n in KNOWN]
for n in known:
    print(f"known disagreement: {n}: PIL loads it, --deep calls it corrupt: {deep[n]}")
for n in KNOWN:
    if n not in known:
        problems.append(f"{n} is listed as a known disagreement and is not one any more: update KNOWN")
violations = [n for n in loads if n in deep and n not in KNOWN]
misses = [n for n in errors if n not in deep]
if verbose:
    for n in pil:
        print(f"  {n}\tPIL {pil[n][0]}: {pil[n][1]}\t--deep: {deep.get(n, 'whole')}")
for n in violations:
    warn = f" (warnings: {pil[n][1]})" if pil[n][1] else ""
    print(f"FAIL: {n}: PIL loads it{warn}, --deep calls it corrupt: {deep[n]}")
if misses:
    print(f"not corrupt for --deep although PIL cannot load them ({len(misses)}; information, not a failure):")
    for n in misses:
        print(f"  {n}: {pil[n][1]}")
for p in problems:
    print(f"FAIL: report: {p}")
print(f"compat_deep_pil: {len(pil)} files, PIL loads {len(loads)}, --deep calls {len(violations) + len(known)} of them corrupt "
      f"({len(known)} known); "
      f"of PIL's {len(errors)} errors --deep finds {len(errors) - len(misses)}")
sys.exit(1 if violations or problems else 0)
PY
exit "$failed"
