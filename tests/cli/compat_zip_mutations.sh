#!/usr/bin/env bash
# Random damage (seeded: the same cases every run) to the archives of
# make_bad_zips.py, then `zip` and `extract` on each: the exit status must be
# 0, 1 or 2, never a signal or a sanitizer report, each run must end within a
# time bound, and extract must write nothing outside its --dest.
# Usage: compat_zip_mutations.sh /path/to/llava-verify [CASES]
set -u
LV=$(realpath "$1")
CASES=${2:-150}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
S=$(mktemp -d "${TMPDIR:-/tmp}/lv-zipmut.XXXXXX")
trap 'rm -rf "$S"' EXIT
"$PY" "$HERE/../fixtures/make_bad_zips.py" "$S/z" >/dev/null || { echo "generator failed"; exit 2; }
mkdir "$S/work"
cd "$S/work" || exit 2
"$PY" - "$LV" "$S/z" "$CASES" <<'PYEOF'
import glob, os, random, subprocess, sys
lv, zdir, cases = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = random.Random(20261126)
sources = sorted(f for f in glob.glob(os.path.join(zdir, "*.zip")) if 100 < os.path.getsize(f) < 200000)
failures = 0
def outside_dest():
    found = []
    for root, dirs, files in os.walk("."):
        if root == "." and "dest" in dirs:
            dirs.remove("dest")
        found += [os.path.join(root, f) for f in files if f != "m.zip"]
    return found
for n in range(cases):
    src = rng.choice(sources)
    data = bytearray(open(src, "rb").read())
    for _ in range(rng.randint(1, 8)):
        if not data:
            break
        i = rng.randrange(len(data))
        op = rng.random()
        if op < 0.6:
            data[i] = rng.randrange(256)
        elif op < 0.8:
            data[i:i + 4] = rng.choice([b"\xff\xff\xff\xff", b"\x00\x00\x00\x00", b"PK\x05\x06", b"PK\x01\x02", b"PK\x03\x04"])
        else:
            del data[i:i + rng.randint(1, 100)]
    with open("m.zip", "wb") as f:
        f.write(data)
    for cmd in (["zip", "m.zip", "--jobs", "2"], ["extract", "m.zip", "--dest", "dest", "--overwrite"]):
        try:
            p = subprocess.run([lv] + cmd, capture_output=True, timeout=30)
        except subprocess.TimeoutExpired:
            failures += 1
            print(f"FAIL: case {n} ({os.path.basename(src)}): {cmd[0]} ran over 30 s")
            continue
        err = p.stderr.decode("utf-8", "replace")
        if p.returncode not in (0, 1, 2) or "Sanitizer" in err or "runtime error" in err:
            failures += 1
            print(f"FAIL: case {n} ({os.path.basename(src)}): {cmd[0]} exit {p.returncode}\n{err[-800:]}")
    stray = outside_dest()
    if stray:
        failures += 1
        print(f"FAIL: case {n}: files outside --dest: {stray[:5]}")
        for f in stray:
            os.remove(f)
print(f"compat_zip_mutations: {cases} damaged archives, {failures} failures")
sys.exit(1 if failures else 0)
PYEOF
