#!/usr/bin/env bash
# Benchmarks `llava-verify missing` and `llava-verify rewrite` on a generated
# CC3M chat.json (595,375 records, ~212 MB) and an image folder holding 85% of
# its images, against the Python scripts users write today and `cp`.
set -euo pipefail
export LC_ALL=C

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"

# ---- defaults (flags below) ------------------------------------------------
DATA_DIR=/tmp/llava-bench-dataset
BIN=$REPO/build/release/llava-verify
BUILD=0
RUNS=3
RECORDS=595375
PRESENT=0.85
SEED=1
PREFIX=/data/cc3m/
SKIP_PYTHON=0
PYTHON=/usr/bin/python3  # Debian's python, not the pyenv shim (~70 ms start-up)

# Targets (from the issue).
T_MISSING_SECS=0.5       # llava-verify missing, default jobs: at most this many seconds
T_MISSING_VS_PY=10       # ... and at least this many times faster than json.load + one listdir
T_RSS_PER_FILE=1.3       # peak RSS at most this many times the record file's size
T_REWRITE_VS_CP=2        # rewrite at most this many times cp's time

usage() {
  cat <<EOF
Usage: bench/bench_dataset.sh [OPTIONS]

Times, in one run and on warm-cache data:
  python3 json.load + os.path.exists     bench/baselines/missing_exists.py
  python3 json.load + one os.listdir     bench/baselines/missing_listdir.py
  python3 json.load alone                bench/baselines/json_load.py
  llava-verify missing --jobs 1, and with the default jobs, and --no-size-check
  cp chat.json                           (the yardstick for rewrite: a kernel copy_file_range,
                                         no fsync)
  cp chat.json + sync FILE               (the same with an fsync, as rewrite does before its rename)
  llava-verify rewrite --prefix $PREFIX  (skipped, and said so, when the binary has no rewrite)
  python3 json.load + json.dump          bench/baselines/rewrite_json.py
on DATA/chat.json and DATA/images, made by bench/gen_dataset.py (reused when its
stamp matches). Each command runs RUNS times, round-robin, each time under
/usr/bin/time -v; the table gives the median wall time (bash \$EPOCHREALTIME around
the command) and the largest peak RSS of the runs. Outputs of cp and the rewrites
are deleted, and dirty pages flushed with sync, before each of their runs (untimed).

Checks: the missing count of llava-verify equals the Python scripts' and the
generator's (missing.txt), and its --list is exactly missing.txt; the rewritten
file loads with json.load and differs from chat.json only in the image values
(full check of every record, and a byte check against a splice of the input).

Options:
  --records N       records in chat.json (default: $RECORDS)
  --present F       fraction of the images on disk (default: $PRESENT)
  --seed N          generator seed (default: $SEED)
  --data DIR        where the data and outputs go (default: $DATA_DIR)
  --runs N          timed runs per command, median reported (default: $RUNS)
  --bin PATH        llava-verify binary (default: build/release/llava-verify)
  --build           build it first: cmake --preset release && cmake --build --preset release
  --skip-python     leave out the Python baselines (quick runs; no ratios against them)
  -h, --help        this message

Python is $PYTHON (Debian's; \`python3\` on these machines is a pyenv shim that
adds ~70 ms per start). RSS/file is peak RSS / chat.json's size. Ratios:
"× lv" is that command's time / llava-verify missing's (default jobs).
Exit status: 0 when every command succeeded and every check passed, 1 otherwise
(missed performance targets are reported, not turned into a failure); 2 usage.
EOF
}

die() { echo "bench_dataset: $*" >&2; exit 2; }

while (($#)); do
  case $1 in
    --records) need_uint "$1" "${2:-}"; RECORDS=$2; shift ;;
    --present) [[ ${2:-} =~ ^(0(\.[0-9]+)?|1(\.0*)?)$ ]] || die "--present needs a fraction 0..1"; PRESENT=$2; shift ;;
    --seed) need_uint "$1" "${2:-}"; SEED=$2; shift ;;
    --data) DATA_DIR=${2:?}; shift ;;
    --runs) need_uint "$1" "${2:-}"; RUNS=$2; shift ;;
    --bin) BIN=${2:?}; shift ;;
    --build) BUILD=1 ;;
    --skip-python) SKIP_PYTHON=1 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
  shift
done
((RUNS >= 1)) || die "--runs must be at least 1"

use_data_dir --data

use_binary
for tool in /usr/bin/time "$PYTHON" cp; do
  command -v "$tool" >/dev/null || die "$tool not found"
done

CHAT=$DATA_DIR/chat.json
IMAGES=$DATA_DIR/images
OUT=$DATA_DIR/out
BASE=$REPO/bench/baselines
STATUS=0

# ---- header -----------------------------------------------------------------
echo "llava-verify missing/rewrite benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(machine_desc)"
echo "binary:  $(binary_desc)"
echo "python:  $(python_desc)"

# ---- data -------------------------------------------------------------------
"$PYTHON" "$REPO/bench/gen_dataset.py" "$DATA_DIR" --records "$RECORDS" --present "$PRESENT" --seed "$SEED" ||
  die "generating the data failed"
rm -rf "$OUT"
mkdir -p "$OUT"
FILE_BYTES=$(stat -c %s "$CHAT")
IMAGE_FILES=$(find "$IMAGES" -maxdepth 1 -type f | wc -l)
EXPECTED_MISSING=$(wc -l <"$DATA_DIR/missing.txt")
echo "data:    $DATA_DIR: chat.json $RECORDS records, $FILE_BYTES bytes ($(awk -v b="$FILE_BYTES" 'BEGIN { printf "%.1f MB", b / 1e6 }'));" \
  "images/ $IMAGE_FILES files; $EXPECTED_MISSING images missing"

# Warm the page cache: the record file, and the folder's dentries and inodes.
cat "$CHAT" >/dev/null
find "$IMAGES" -maxdepth 1 -printf '%s\n' >/dev/null

# ---- the commands -------------------------------------------------------------
# Each prints to stdout what is compared; WRAP is /usr/bin/time -v -o FILE.
WRAP=()
cmd_py_exists() { "${WRAP[@]}" "$PYTHON" "$BASE/missing_exists.py" "$CHAT" "$IMAGES"; }
cmd_py_listdir() { "${WRAP[@]}" "$PYTHON" "$BASE/missing_listdir.py" "$CHAT" "$IMAGES"; }
cmd_py_load() { "${WRAP[@]}" "$PYTHON" "$BASE/json_load.py" "$CHAT"; }
cmd_lv_missing1() { "${WRAP[@]}" "$BIN" missing "$CHAT" --images "$IMAGES" --jobs 1; }
cmd_lv_missing() { "${WRAP[@]}" "$BIN" missing "$CHAT" --images "$IMAGES"; }
cmd_lv_missing_nostat() { "${WRAP[@]}" "$BIN" missing "$CHAT" --images "$IMAGES" --no-size-check; }
cmd_cp() { "${WRAP[@]}" cp "$CHAT" "$OUT/cp.json"; }
# coreutils `sync FILE` fsyncs that file: the fair yardstick, as rewrite fsyncs its output before the rename.
cmd_cp_sync() { "${WRAP[@]}" sh -c 'cp "$1" "$2" && sync "$2"' sh "$CHAT" "$OUT/cp_sync.json"; }
cmd_lv_rewrite() { "${WRAP[@]}" "$BIN" rewrite "$CHAT" --out "$OUT/lv_rewrite.json" --prefix "$PREFIX"; }
cmd_py_rewrite() { "${WRAP[@]}" "$PYTHON" "$BASE/rewrite_json.py" "$CHAT" "$OUT/py_rewrite.json" "$PREFIX"; }

declare -A LABEL=(
  [py_exists]="python3 json.load + os.path.exists"
  [py_listdir]="python3 json.load + one listdir"
  [py_load]="python3 json.load alone"
  [lv_missing1]="llava-verify missing --jobs 1"
  [lv_missing]="llava-verify missing"
  [lv_missing_nostat]="llava-verify missing --no-size-check"
  [cp]="cp chat.json"
  [cp_sync]="cp chat.json + sync FILE (fsync)"
  [lv_rewrite]="llava-verify rewrite --prefix"
  [py_rewrite]="python3 json.load + json.dump"
)
declare -A OK_CODES=([py_exists]="0 1" [py_listdir]="0 1" [lv_missing1]="0 1" [lv_missing]="0 1" [lv_missing_nostat]="0 1" [lv_rewrite]="0 1")
declare -A OUTFILE=([cp]=cp.json [cp_sync]=cp_sync.json [lv_rewrite]=lv_rewrite.json [py_rewrite]=py_rewrite.json)
declare -A TIMES MED RSS RC OTHER

# Does the binary have `rewrite`? (An older build answers "A subcommand is required".)
HAVE_REWRITE=0
REWRITE_NOTE=""
if "$BIN" rewrite --help 2>&1 | grep -qi 'usage:.*rewrite'; then
  HAVE_REWRITE=1
else
  REWRITE_NOTE="this llava-verify has no 'rewrite' subcommand"
fi


# ---- timing -------------------------------------------------------------------
rc_ok() { [[ " ${OK_CODES[$1]:-0} " == *" $2 "* ]]; }

# other_load T0 T1 STAT0 STAT1 KIDS0 KIDS1: the run's wall time (s) and the CPU
# other processes used meanwhile, in cores: all CPU time the kernel counted
# (/proc/stat ticks) minus what the command used (bash `times`, children).
other_load() {
  awk -v t0="$(usecs "$1")" -v t1="$(usecs "$2")" -v a="$3" -v b="$4" -v k0="$5" -v k1="$6" '
    function secs(s,   m) { m = s; sub(/m.*/, "", m); sub(/^[0-9]+m/, "", s); sub(/s$/, "", s); return m * 60 + s }
    function kids(t,   f) { split(t, f, " "); return secs(f[1]) + secs(f[2]) }
    function busy(l,   f, i, t) { split(l, f, " "); t = 0; for (i = 2; i <= 9; i++) if (i != 5 && i != 6) t += f[i]; return t / 100 }
    BEGIN {
      wall = (t1 - t0) / 1e6
      other = (busy(b) - busy(a)) - (kids(k1) - kids(k0))
      if (other < 0) other = 0
      printf "%.3f %.2f\n", wall, other / wall
    }'
}


# prepare_run CMD: untimed: delete the command's output and flush dirty pages,
# so that no run pays for the previous one's writeback.
prepare_run() {
  if [[ -n ${OUTFILE[$1]:-} ]]; then
    rm -f "$OUT/${OUTFILE[$1]}"
    sync
  fi
}

# run_once CMD: one run under /usr/bin/time -v; appends to TIMES, updates RSS/RC/OTHER.
run_once() {
  local c=$1 rc=0 t0 t1 stat0 stat1 kids0 kids1 run other rss
  prepare_run "$c"
  WRAP=(/usr/bin/time -v -o "$OUT/$c.time")
  stat0=$(head -1 /proc/stat); times >"$OUT/times"; kids0=$(tail -1 "$OUT/times")
  t0=$EPOCHREALTIME
  "cmd_$c" >"$OUT/$c.out" 2>"$OUT/$c.err" || rc=$?
  t1=$EPOCHREALTIME
  stat1=$(head -1 /proc/stat); times >"$OUT/times"; kids1=$(tail -1 "$OUT/times")
  WRAP=()
  # /usr/bin/time reports the command's own exit status as "Exit status: N".
  rc_ok "$c" "$rc" || RC[$c]=$rc
  rss=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$OUT/$c.time")
  ((${rss:-0} > ${RSS[$c]:-0})) && RSS[$c]=$rss
  read -r run other < <(other_load "$t0" "$t1" "$stat0" "$stat1" "$kids0" "$kids1")
  TIMES[$c]+="$run"
  awk -v o="$other" -v w="$run" 'BEGIN { exit !(o > 0.15 && o * w >= 0.05) }' && TIMES[$c]+="*"
  TIMES[$c]+=" "
  OTHER[$c]=$(awk -v a="${OTHER[$c]:-0}" -v b="$other" 'BEGIN { printf "%.2f", (b > a) ? b : a }')
}

COMMANDS=()
((SKIP_PYTHON)) || COMMANDS+=(py_exists py_listdir py_load)
COMMANDS+=(lv_missing1 lv_missing lv_missing_nostat cp cp_sync)
((HAVE_REWRITE)) && COMMANDS+=(lv_rewrite)
((SKIP_PYTHON)) || COMMANDS+=(py_rewrite)

# Warm-up: one untimed run of each fast command (the Python ones are CPU-bound
# for seconds; the global warm-up above is enough for them).
for c in lv_missing1 lv_missing lv_missing_nostat cp cp_sync lv_rewrite; do
  [[ " ${COMMANDS[*]} " == *" $c "* ]] || continue
  prepare_run "$c"
  rc=0; WRAP=(); "cmd_$c" >"$OUT/$c.out" 2>"$OUT/$c.err" || rc=$?
  if [[ $c == lv_rewrite ]] && ! rc_ok "$c" "$rc" && unknown_subcommand "$OUT/$c.err"; then
    HAVE_REWRITE=0
    REWRITE_NOTE="llava-verify rewrite failed as an unknown subcommand: $(head -1 "$OUT/$c.err")"
    COMMANDS=("${COMMANDS[@]/lv_rewrite/}")
  fi
done
read -r -a COMMANDS <<<"${COMMANDS[*]}"
[[ -n $REWRITE_NOTE ]] && echo "note:    $REWRITE_NOTE; the rewrite steps are skipped"

echo "runs:    warm cache; $RUNS timed runs per command, round-robin; median time, largest peak RSS"
echo "before the runs: $(cpu_busy)"
run_rounds

# ---- table --------------------------------------------------------------------
echo
echo "(× lv: median time / llava-verify missing's (default jobs); RSS/file: peak RSS / chat.json's $FILE_BYTES bytes;"
echo " other: most CPU other processes used during one of its runs, in cores; runs marked * had more than 0.15, and 0.05 s)"
printf '%-36s %9s  %-*s %8s %8s %7s %6s  %s\n' "command" "median s" $((7 * RUNS + 1)) "runs (s)" "RSS MB" "RSS/file" "× lv" "other" "exit"
for c in "${COMMANDS[@]}"; do
  rss_kb=${RSS[$c]:-0}
  ok=${RC[$c]:-ok}; [[ $ok == ok ]] || { ok="FAILED ($ok)"; STATUS=1; }
  printf '%-36s %9.3f  %-*s %8.1f %8.2f %7s %6s  %s\n' "${LABEL[$c]}" "${MED[$c]}" $((7 * RUNS + 1)) "${TIMES[$c]}" \
    "$(awk -v k="$rss_kb" 'BEGIN { print k * 1024 / 1e6 }')" "$(awk -v k="$rss_kb" -v f="$FILE_BYTES" 'BEGIN { print k * 1024 / f }')" \
    "$(ratio "${MED[$c]}" "${MED[lv_missing]}")" "${OTHER[$c]}" "$ok"
done
echo "(MB = 10^6 bytes; peak RSS from /usr/bin/time -v, KiB × 1024)"
show_failures

# ---- checks -------------------------------------------------------------------
echo
echo "== checks =="
missing_of() { awk -F': ' '$1 == "missing" { print $2; exit }' "$OUT/$1.out"; }
lv_count=$(missing_of lv_missing); lv1_count=$(missing_of lv_missing1); lvn_count=$(missing_of lv_missing_nostat)
line="  missing count: generator (missing.txt) $EXPECTED_MISSING, llava-verify $lv_count, --jobs 1 $lv1_count, --no-size-check $lvn_count"
agree=1
[[ $lv_count == "$EXPECTED_MISSING" && $lv1_count == "$EXPECTED_MISSING" && $lvn_count == "$EXPECTED_MISSING" ]] || agree=0
if ((!SKIP_PYTHON)); then
  py1=$(missing_of py_exists); py2=$(missing_of py_listdir)
  line+=", python3 os.path.exists $py1, python3 listdir $py2"
  [[ $py1 == "$EXPECTED_MISSING" && $py2 == "$EXPECTED_MISSING" ]] || agree=0
fi
((agree)) && echo "$line: all agree" || { echo "$line: DISAGREE"; STATUS=1; }

# The names too: llava-verify missing --list against the generator's list (untimed).
rc=0; "$BIN" missing "$CHAT" --images "$IMAGES" --list "$OUT/lv_missing.list" >/dev/null 2>"$OUT/lv_list.err" || rc=$?
if [[ -f $OUT/lv_missing.list ]] && sort "$OUT/lv_missing.list" | cmp -s - "$DATA_DIR/missing.txt"; then
  echo "  missing names: llava-verify missing --list == missing.txt ($EXPECTED_MISSING names, as a set)"
else
  echo "  missing names: llava-verify missing --list DIFFERS from missing.txt (exit $rc; see $OUT/lv_missing.list)"
  STATUS=1
fi

# check_rewrite FILE LABEL: json.load both files; every record must be equal to
# the input's except image == PREFIX + input image (key order kept); then a byte check
# against the input with each '"image": "' followed by PREFIX.
check_rewrite() {
  local file=$1 label=$2 rc=0
  "$PYTHON" - "$CHAT" "$file" "$PREFIX" >"$OUT/check.out" 2>&1 <<'EOF' || rc=$?
import json, sys
src, dst, prefix = sys.argv[1:4]
with open(src, "rb") as f:
    a = json.load(f)
with open(dst, "rb") as f:
    b = json.load(f)
if len(a) != len(b):
    sys.exit("%d records in, %d out" % (len(a), len(b)))
for i, (x, y) in enumerate(zip(a, b)):
    if list(x) != list(y):
        sys.exit("record %d: keys %s became %s" % (i, list(x), list(y)))
    xi, yi = x.pop("image", None), y.pop("image", None)
    if isinstance(xi, str) and yi != prefix + xi:
        sys.exit("record %d: image %r became %r" % (i, xi, yi))
    if x != y:
        sys.exit("record %d differs outside 'image'" % i)
print("json.load: %d records, each equal to the input's but for image = %r + image" % (len(a), prefix))
with open(src, "rb") as f:
    want = f.read().replace(b'"image": "', b'"image": "' + prefix.encode())
with open(dst, "rb") as f:
    got = f.read()
if got != want:
    at = next((i for i, (p, q) in enumerate(zip(got, want)) if p != q), min(len(got), len(want)))
    sys.exit("bytes: differs from the input spliced with the prefix at byte %d (%d vs %d bytes)" % (at, len(got), len(want)))
print("bytes: identical to the input with %r spliced before every image value (%d bytes)" % (prefix, len(got)))
EOF
  if ((rc == 0)); then
    sed "s/^/  $label: /" "$OUT/check.out"
  else
    echo "  $label: FAILED: $(tail -1 "$OUT/check.out")"
    STATUS=1
  fi
}
if ((HAVE_REWRITE)); then
  if [[ -f $OUT/lv_rewrite.json ]]; then
    check_rewrite "$OUT/lv_rewrite.json" "llava-verify rewrite"
  else
    echo "  llava-verify rewrite: no output file"; STATUS=1
  fi
  if ((!SKIP_PYTHON)) && [[ -f $OUT/py_rewrite.json ]]; then
    cmp -s "$OUT/lv_rewrite.json" "$OUT/py_rewrite.json" &&
      echo "  llava-verify rewrite output == python3 json.dump output, byte for byte" ||
      echo "  llava-verify rewrite output != python3 json.dump output (formatting; see the checks above)"
  fi
else
  echo "  rewrite: skipped ($REWRITE_NOTE)"
fi

# ---- targets --------------------------------------------------------------------
TARGETS=()
target() {  # target TEXT VALUE OP LIMIT
  local met
  met=$(awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN { print (op == ">=" ? v >= l : v <= l) ? "met" : "NOT met" }')
  TARGETS+=("$(printf '  %-58s %8s  (target %s %s)  %s' "$1" "$2" "$3" "$4" "$met")")
}
rss_ratio() { awk -v k="${RSS[$1]:-0}" -v f="$FILE_BYTES" 'BEGIN { printf "%.2f", k * 1024 / f }'; }
target "missing: llava-verify missing time (s)" "${MED[lv_missing]}" "<=" "$T_MISSING_SECS"
if ((!SKIP_PYTHON)); then
  target "missing: python3 json.load + one listdir / llava-verify (×)" "$(ratio "${MED[py_listdir]}" "${MED[lv_missing]}")" ">=" "$T_MISSING_VS_PY"
fi
target "missing: llava-verify missing peak RSS / file size" "$(rss_ratio lv_missing)" "<=" "$T_RSS_PER_FILE"
target "missing: llava-verify missing --no-size-check time (s)" "${MED[lv_missing_nostat]}" "<=" "$T_MISSING_SECS"
if ((!SKIP_PYTHON)); then
  target "missing: python3 listdir / llava-verify --no-size-check (×)" "$(ratio "${MED[py_listdir]}" "${MED[lv_missing_nostat]}")" ">=" "$T_MISSING_VS_PY"
fi
target "missing: llava-verify missing --jobs 1 peak RSS / file size" "$(rss_ratio lv_missing1)" "<=" "$T_RSS_PER_FILE"
if ((HAVE_REWRITE)); then
  target "rewrite: llava-verify rewrite / cp (time ×)" "$(ratio "${MED[lv_rewrite]}" "${MED[cp]}")" "<=" "$T_REWRITE_VS_CP"
  target "rewrite: llava-verify rewrite / (cp + fsync) (time ×)" "$(ratio "${MED[lv_rewrite]}" "${MED[cp_sync]}")" "<=" "$T_REWRITE_VS_CP"
  target "rewrite: llava-verify rewrite peak RSS / file size" "$(rss_ratio lv_rewrite)" "<=" "$T_RSS_PER_FILE"
fi
echo
echo "== targets (same-run figures; this machine class drifts ±15% between runs) =="
printf '%s\n' "${TARGETS[@]}"
if ((!SKIP_PYTHON)); then
  echo "  (for reference: llava-verify missing is ×$(ratio "${MED[py_exists]}" "${MED[lv_missing]}") python3 os.path.exists," \
    "×$(ratio "${MED[py_load]}" "${MED[lv_missing]}") python3 json.load alone)"
  ((HAVE_REWRITE)) && echo "  (llava-verify rewrite is ×$(ratio "${MED[py_rewrite]}" "${MED[lv_rewrite]}") python3 json.load + json.dump)"
fi
echo "outputs: $OUT"
exit $STATUS
