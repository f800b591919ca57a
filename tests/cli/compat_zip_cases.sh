#!/usr/bin/env bash
# `llava-verify zip` on every archive of tests/fixtures/make_bad_zips.py (real
# Info-ZIP and Python zipfile archives, and hand-made broken ones) against the
# generator's cases.json: the exit status, the archive error kind, and exactly
# the (kind, entry) findings it lists. Clean archives must also pass the real
# `unzip -t`, so the generator cannot drift into archives tools reject.
# Usage: compat_zip_cases.sh /path/to/llava-verify
set -u
LV=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
export LC_ALL=C.UTF-8
S=$(mktemp -d "${TMPDIR:-/tmp}/lv-zipcases.XXXXXX")
trap 'rm -rf "$S"' EXIT
"$PY" "$HERE/../fixtures/make_bad_zips.py" "$S/z" --big >/dev/null || { echo "generator failed"; exit 2; }

passed=0
failed=0
for archive in "$S"/z/*.zip; do
  name=$(basename "$archive")
  for jobs in 1 2; do
    "$LV" zip "$archive" --jobs "$jobs" --json "$S/$name.$jobs.json" >"$S/out" 2>"$S/err"
    code=$?
    if verdict=$("$PY" - "$S/z/cases.json" "$name" "$code" "$S/$name.$jobs.json" "$S/err" <<'PYEOF'
import json, sys
cases, name, code, report_path, err_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
case = json.load(open(cases))[name]
report = json.load(open(report_path))
problems = []
if case["archive_error"]:
    if code != 2: problems.append(f"exit {code}, expected 2")
    kind = report.get("error", {}).get("kind")
    if kind != case["archive_error"]: problems.append(f"error kind {kind}, expected {case['archive_error']}")
    if name not in open(err_path).read(): problems.append("the error message does not name the archive")
else:
    want_code = 1 if case["findings"] else 0
    if code != want_code: problems.append(f"exit {code}, expected {want_code}")
    def key(f, hexname=None):
        return (f["kind"], f.get("entry_hex") or (f["entry"].encode("utf-8", "surrogateescape").hex() if f["entry"] is not None else None))
    want = sorted(key(f) for f in case["findings"])
    got = []
    for f in report.get("findings", []):
        n = f.get("name_hex") or (f["name"].encode().hex() if f["name"] is not None else None)
        got.append((f["kind"], n))
    got.sort()
    if want != got: problems.append(f"findings {got}, expected {want}")
    s = report.get("summary", {})
    if s.get("entries") != case["entries"]: problems.append(f"entries {s.get('entries')}, expected {case['entries']}")
    if s.get("ok") != case["ok"]: problems.append(f"ok {s.get('ok')}, expected {case['ok']}")
print("; ".join(problems))
sys.exit(1 if problems else 0)
PYEOF
    ); then
      passed=$((passed + 1))
    else
      failed=$((failed + 1))
      echo "FAIL: $name --jobs $jobs: $verdict"
      sed 's/^/    /' "$S/err" | head -5
    fi
  done
  # The same report whatever the number of threads.
  if cmp -s "$S/$name.1.json" "$S/$name.2.json"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name: --jobs 1 and 2 reports differ"; fi
  case $name in
    good_*|zip64_*|bomb.zip)
      if [ "$name" = good_empty.zip ] || unzip -tq "$archive" >/dev/null 2>&1; then
        passed=$((passed + 1))
      else
        failed=$((failed + 1)); echo "FAIL: $name: unzip -t rejects a clean case"
      fi ;;
  esac
done
echo "compat_zip_cases: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
