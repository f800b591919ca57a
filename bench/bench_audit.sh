#!/usr/bin/env bash
# Benchmarks `llava-verify audit` on LLaVA-1.5's playground/data at full scale
# (llava_v1_5_mix665k.json, 665,298 records, ~0.96 GB, and ~596K image files in
# six folders), against `llava-verify missing` on the same record file and image
# folder, and the Python script users write today (json.load + os.path.exists).
# shellcheck disable=SC2317  # the cmd_* functions are called indirectly
set -euo pipefail
export LC_ALL=C

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"

# ---- defaults (flags below) ------------------------------------------------
DATA_DIR=/tmp/lv-bench-mix
BIN=$REPO/build/release/llava-verify
BUILD=0
RUNS=3
RECORDS=665298
SEED=1
EXPLICIT=0
SKIP_PYTHON=0
PYTHON=/usr/bin/python3  # Debian's python, not the pyenv shim (~70 ms start-up)

usage() {
  cat <<EOF
Usage: bench/bench_audit.sh [OPTIONS]

Times, in one run and on warm-cache data:
  llava-verify audit DATA/playground/data
        no flags: audit finds llava_v1_5_mix665k.json and takes playground/data as its
        image folder (with --explicit: audit DIR --records MIX --images DIR)
  llava-verify missing DATA/playground/data/llava_v1_5_mix665k.json --images DATA/playground/data
  python3 json.load + os.path.exists   bench/baselines/missing_exists.py MIX DATA/playground/data
        (missing_listdir.py does not fit: it lists one flat folder, and the mix's
        values name sub-folders, coco/train2017/...)
on the data bench/gen_mix.py makes in DATA (once: it is reused while its stamp
matches). Each command runs RUNS times, round-robin, each under /usr/bin/time -v;
the table gives the median wall time (bash \$EPOCHREALTIME around the command), the
largest peak RSS of the runs, and the ratio to llava-verify missing.

Checks: the missing count of audit, of missing and of the Python script equals the
generator's (DATA/missing.txt). audit and missing exit 1 on this data (3% of the
images are missing: above their default limit of 0); that counts as success.

Options:
  --records N       records in the mix (default: $RECORDS, the real file's)
  --seed N          generator seed (default: $SEED)
  --data DIR        where the data and outputs go (default: $DATA_DIR)
  --runs N          timed runs per command, median reported (default: $RUNS)
  --bin PATH        llava-verify binary (default: build/release/llava-verify)
  --build           build it first: cmake --preset release && cmake --build --preset release
  --explicit        time audit DIR --records MIX --images DIR (for a binary whose audit
                    does not yet find the mix JSON in playground/data on its own)
  --skip-python     leave out the Python baseline (15-30 s and ~5 GB a run at full size)
  -h, --help        this message

Exit status: 0 when every command ran and every check passed; 1 when a command
failed, a check failed, or audit could not be timed (e.g. "nothing to audit":
this binary's audit does not know playground/data; try --explicit); 2 usage.
EOF
}

die() { echo "bench_audit: $*" >&2; exit 2; }

while (($#)); do
  case $1 in
    --records) need_uint "$1" "${2:-}"; RECORDS=$2; shift ;;
    --seed) need_uint "$1" "${2:-}"; SEED=$2; shift ;;
    --data) DATA_DIR=${2:?}; shift ;;
    --runs) need_uint "$1" "${2:-}"; RUNS=$2; shift ;;
    --bin) BIN=${2:?}; shift ;;
    --build) BUILD=1 ;;
    --explicit) EXPLICIT=1 ;;
    --skip-python) SKIP_PYTHON=1 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
  shift
done
((RUNS >= 1)) || die "--runs must be at least 1"

use_data_dir --data
# One run at a time per data folder: a second would regenerate the data under the first.
lock_data_dir bench_audit.sh

use_binary
for tool in /usr/bin/time "$PYTHON"; do
  command -v "$tool" >/dev/null || die "$tool not found"
done

PD=$DATA_DIR/playground/data
MIX=$PD/llava_v1_5_mix665k.json
OUT=$DATA_DIR/out
BASE=$REPO/bench/baselines
STATUS=0

# ---- header -----------------------------------------------------------------
echo "llava-verify audit benchmark (LLaVA-1.5 playground/data), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(machine_desc)"
echo "binary:  $(binary_desc)"
echo "python:  $(python_desc)"

# ---- data -------------------------------------------------------------------
"$PYTHON" "$REPO/bench/gen_mix.py" "$DATA_DIR" --records "$RECORDS" --seed "$SEED" || die "generating the data failed"
rm -rf "$OUT"
mkdir -p "$OUT"
FILE_BYTES=$(stat -c %s "$MIX")
EXPECTED_MISSING=$(wc -l <"$DATA_DIR/missing.txt")
# Warm the page cache (the record file) and the dentries and inodes of the six folders.
cat "$MIX" >/dev/null
IMAGE_FILES=$(find "$PD" -mindepth 2 -type f -printf '%s\n' | wc -l)
echo "data:    $PD: llava_v1_5_mix665k.json $RECORDS records, $FILE_BYTES bytes" \
  "($(awk -v b="$FILE_BYTES" 'BEGIN { printf "%.1f MB", b / 1e6 }')); $IMAGE_FILES image files; $EXPECTED_MISSING images missing"

# ---- the commands -------------------------------------------------------------
AUDIT_ARGS=("$PD")
((EXPLICIT)) && AUDIT_ARGS+=(--records "$MIX" --images "$PD")
WRAP=()
cmd_lv_audit() { "${WRAP[@]}" "$BIN" audit "${AUDIT_ARGS[@]}"; }
cmd_lv_missing() { "${WRAP[@]}" "$BIN" missing "$MIX" --images "$PD"; }
cmd_py_exists() { "${WRAP[@]}" "$PYTHON" "$BASE/missing_exists.py" "$MIX" "$PD"; }
declare -A LABEL=(
  [lv_audit]="llava-verify audit DIR$( ((EXPLICIT)) && echo ' --records --images')"
  [lv_missing]="llava-verify missing MIX --images DIR"
  [py_exists]="python3 json.load + os.path.exists"
)
declare -A TIMES MED RSS RC
rc_ok() { [[ $1 == 0 || $1 == 1 ]]; }  # 1: images missing, which they are

COMMANDS=(lv_audit lv_missing)
((SKIP_PYTHON)) || COMMANDS+=(py_exists)

# Warm-up: one untimed run of each llava-verify command. An audit that cannot run
# here (exit 2, e.g. "nothing to audit" from a binary that predates its playground/data
# discovery) is reported and left out, rather than timed.
AUDIT_NOTE=""
for c in lv_audit lv_missing; do
  rc=0; "cmd_$c" >"$OUT/$c.out" 2>"$OUT/$c.err" || rc=$?
  rc_ok "$rc" && continue
  why=$(cat "$OUT/$c.err" "$OUT/$c.out" | grep -m1 . || echo "no output")
  if [[ $c == lv_audit ]]; then
    AUDIT_NOTE="llava-verify audit ${AUDIT_ARGS[*]} exited $rc: $why"
    if grep -qi 'nothing to audit' "$OUT/$c.err" "$OUT/$c.out"; then
      AUDIT_NOTE+=$'\n         (this binary'"'"'s audit does not find the mix JSON in playground/data on its own;'
      AUDIT_NOTE+=$'\n          rerun with --explicit to time audit DIR --records MIX --images DIR)'
    elif unknown_subcommand "$OUT/$c.err"; then
      AUDIT_NOTE+=" (this binary has no audit subcommand)"
    fi
    COMMANDS=("${COMMANDS[@]/lv_audit/}")
    read -r -a COMMANDS <<<"${COMMANDS[*]}"
  else
    die "llava-verify missing exited $rc: $why"
  fi
done
[[ -n $AUDIT_NOTE ]] && { echo "NOTE:    audit NOT TIMED: $AUDIT_NOTE"; STATUS=1; }

# run_once CMD: one run under /usr/bin/time -v; appends to TIMES, updates RSS and RC.
run_once() {
  local c=$1 rc=0 t0 t1 rss
  WRAP=(/usr/bin/time -v -o "$OUT/$c.time")
  t0=$EPOCHREALTIME
  "cmd_$c" >"$OUT/$c.out" 2>"$OUT/$c.err" || rc=$?
  t1=$EPOCHREALTIME
  WRAP=()
  rc_ok "$rc" || RC[$c]=$rc
  rss=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$OUT/$c.time")
  ((${rss:-0} > ${RSS[$c]:-0})) && RSS[$c]=$rss
  TIMES[$c]+="$(awk -v a="$(usecs "$t0")" -v b="$(usecs "$t1")" 'BEGIN { printf "%.3f", (b - a) / 1e6 }') "
}

echo "runs:    warm cache; $RUNS timed runs per command, round-robin; median time, largest peak RSS"
echo "before the runs: $(cpu_busy)"
run_rounds
echo "after the runs: $(cpu_busy)"

# ---- table --------------------------------------------------------------------
echo
echo "(× missing: median time / llava-verify missing's; RSS/file: peak RSS / the mix JSON's $FILE_BYTES bytes)"
printf '%-42s %9s  %-*s %8s %8s %9s  %s\n' "command" "median s" $((8 * RUNS + 1)) "runs (s)" "RSS MB" "RSS/file" "× missing" "exit"
for c in "${COMMANDS[@]}"; do
  ok=${RC[$c]:-ok}; [[ $ok == ok ]] || { ok="FAILED ($ok)"; STATUS=1; }
  printf '%-42s %9.3f  %-*s %8s %8s %9s  %s\n' "${LABEL[$c]}" "${MED[$c]}" $((8 * RUNS + 1)) "${TIMES[$c]}" \
    "$(mb "${RSS[$c]:-0}")" "$(awk -v k="${RSS[$c]:-0}" -v f="$FILE_BYTES" 'BEGIN { printf "%.2f", k * 1024 / f }')" \
    "$(ratio "${MED[$c]}" "${MED[lv_missing]}")" "$ok"
done
echo "(MB = 10^6 bytes; peak RSS from /usr/bin/time -v, KiB × 1024)"
show_failures
echo
if [[ -n ${MED[lv_audit]:-} ]]; then
  echo "audit / missing: time ×$(ratio "${MED[lv_audit]}" "${MED[lv_missing]}")," \
    "peak RSS ×$(ratio "${RSS[lv_audit]:-0}" "${RSS[lv_missing]:-1}")"
else
  echo "audit / missing: not measured (audit was not timed; see the NOTE above)"
fi

# ---- checks -------------------------------------------------------------------
echo
echo "== checks =="
# missing prints "missing: N"; audit "records FILE: ..., P present, N missing (x%)".
count_of() {
  case $1 in
    lv_audit) sed -n 's/^records .* \([0-9][0-9]*\) missing (.*/\1/p' "$OUT/$1.out" | head -1 ;;
    *) awk -F': ' '$1 == "missing" { print $2; exit }' "$OUT/$1.out" ;;
  esac
}
line="  missing count: generator (missing.txt) $EXPECTED_MISSING"
agree=1
for c in "${COMMANDS[@]}"; do
  n=$(count_of "$c")
  line+=", ${LABEL[$c]%% MIX*} ${n:-?}"
  [[ $n == "$EXPECTED_MISSING" ]] || agree=0
done
if ((agree)); then echo "$line: all agree"; else echo "$line: DISAGREE"; STATUS=1; fi
echo "outputs: $OUT"
exit $STATUS
