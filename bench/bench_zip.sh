#!/usr/bin/env bash
# Benchmarks `llava-verify zip` (CRC test and listing of an images.zip) and
# `llava-verify extract` on generated CC3M-style archives, against `unzip -tq`,
# `zipinfo -1`, `unzip -q` and Python zipfile's testzip().
# shellcheck disable=SC2317  # the cmd_* functions are called indirectly
set -euo pipefail
export LC_ALL=C

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"

# ---- defaults (flags below) ------------------------------------------------
DATA_DIR=/tmp/llava-bench-zip
BIN=$REPO/build/release/llava-verify
BUILD=0
REGEN=0
RUNS=3
SETS=stored,deflated,list,extract
ENTRIES=60000            # stored.zip and deflated.zip ...
MEAN_BYTES=23167         # ... mean entry size: 60,000 x 23,167 = 1.39 GB
BIG=0
BIG_ENTRIES=595375       # big.zip (--big): the CC3M release's entry count ...
BIG_MEAN_BYTES=10985     # ... and size: 595,375 x 10,985 = 6.54 GB
SEED=1
SKIP_PYTHON=0
PYTHON=/usr/bin/python3  # Debian's python, not the pyenv shim (~70 ms start-up)

# Targets (from the issue).
T_STORED_VS_UNZIP=10     # zip on stored.zip: at least this many times faster than unzip -tq ...
T_STORED_VS_PY=3         # ... and than Python testzip()
T_DEFLATED_VS_UNZIP=2.5  # zip on deflated.zip: at least this many times faster than unzip -tq
T_LIST_SECS=1            # zip --list-only on 595,375 entries: under this many seconds
T_BIG_SECS=1.5           # zip on the 595,375-entry archive: at most this many seconds
T_EXTRACT_VS_UNZIP=1.5   # extract: at most this many times unzip -q's time
T_RSS_MB=200             # peak RSS of llava-verify zip, MB

usage() {
  cat <<EOF
Usage: bench/bench_zip.sh [OPTIONS]

Times, in one run and on warm-cache data, per set:
  stored    CRC test of stored.zip (ENTRIES JPEG-like entries, ZIP_STORED):
              unzip -tq; $PYTHON bench/baselines/zip_test.py (zipfile testzip());
              llava-verify zip --jobs 1; llava-verify zip (default jobs = cores)
  deflated  the same four on deflated.zip (the same entries, ZIP_DEFLATED, zlib level 6)
  list      zipinfo -1 ARCHIVE  vs  llava-verify zip ARCHIVE --list-only
            (ARCHIVE is big.zip with --big, else stored.zip)
  big       (with --big) unzip -tq, Python testzip(), llava-verify zip on big.zip
            (BIG_ENTRIES stored entries, ZIP64)
  extract   unzip -q -o stored.zip -d OUT/x-unzip  vs  llava-verify extract stored.zip
            --dest OUT/x-lv, each into an empty folder: before each run (untimed) the
            previous output is moved aside and dirty pages are flushed with sync; only
            the command is timed. Aside, not deleted: on ext4 without a journal (as /
            here) creating files right after deleting as many costs ~3x the system
            time (it skips recently deleted inodes). Every tree is deleted after the
            set, so it needs 2 x (RUNS + 1) x 1.4 GB free meanwhile (11 GB at --runs 3)
Each command runs once untimed to warm up, then RUNS times, round-robin within its
set, each time under /usr/bin/time -v; the tables give the median wall time (bash
\$EPOCHREALTIME around the command) and the largest peak RSS of the runs. (These VMs
page out page cache left untouched for ~60 s (DAMON), hence a warm-up per set.)
llava-verify steps are skipped, and said so, when the binary has no 'zip' or
'extract' subcommand (or no --list-only); the baselines still run.

Checks (untimed): every command exits 0 on these clean archives; Python's and
zipinfo -1's entry counts equal the generator's; llava-verify zip --json FILE
gives summary.entries equal to the generator's count for each archive; the trees
extracted by unzip and by llava-verify are identical (diff -r) and hold every entry.
The extracted trees are deleted after the check.

Data: DATA/stored.zip and DATA/deflated.zip (~1.4 GB each, 2.8 GB), and with --big
DATA/big.zip (6.5 GB), made by bench/gen_zip.py with $PYTHON and reused while
its stamp (DATA/small.stamp, DATA/big.stamp) matches the parameters. Generating takes,
on the 2-core machines, ~40 s for stored.zip + deflated.zip at the defaults (deflate
at ~60 MB/s on one core is most of it), and ~1 min for big.zip (~9 s per GB written);
it needs ~3 GB free (~10 GB with --big) besides the extracted trees (above).
One run at a time per DATA folder (a lock, DATA/.lock): another fails at once.
Names are GCC_train_%09d.jpg (the ids of bench/gen_dataset.py's chat.json for the
same seed), flat, random order; payloads are FF D8 FF E0 ... FF D9, random bytes with
a skewed byte histogram and short runs, so that deflate makes Huffman blocks (~0.994).

Options:
  --entries N          entries in stored.zip and deflated.zip (default: $ENTRIES)
  --mean-bytes B       their mean entry size in bytes (default: $MEAN_BYTES)
  --big                also the big set, and list on big.zip (generates it if needed)
  --big-entries N      entries in big.zip (default: $BIG_ENTRIES)
  --big-mean-bytes B   its mean entry size in bytes (default: $BIG_MEAN_BYTES)
  --sets LIST          comma-separated subset of stored,deflated,list,extract,big
                       (default: $SETS, plus big with --big)
  --seed N             generator seed (default: $SEED)
  --data DIR           where the data and outputs go (default: $DATA_DIR)
  --regen              regenerate the archives even when the stamp matches
  --runs N             timed runs per command, median reported (default: $RUNS)
  --bin PATH           llava-verify binary (default: build/release/llava-verify)
  --build              build it first: cmake --preset release && cmake --build --preset release
  --skip-python        leave out the Python baselines (quick runs; no ratios against them)
  -h, --help           this message

Python is $PYTHON (Debian's; \`python3\` on these machines is a pyenv shim that
adds ~70 ms per start). GB/s is uncompressed bytes / time (GB = 10^9 bytes). Ratios:
"× lv" is that command's median time / llava-verify's (default jobs) in the same set;
above 1, llava-verify is faster (for extract, the target is on lv / unzip instead).
Exit status: 0 when every command succeeded and every check passed, 1 otherwise
(missed performance targets are reported, not turned into a failure); 2 usage.
EOF
}

die() { echo "bench_zip: $*" >&2; exit 2; }

SETS_GIVEN=0
while (($#)); do
  case $1 in
    --entries) need_uint "$1" "${2:-}"; ENTRIES=$2; shift ;;
    --mean-bytes) need_uint "$1" "${2:-}"; MEAN_BYTES=$2; shift ;;
    --big) BIG=1 ;;
    --big-entries) need_uint "$1" "${2:-}"; BIG_ENTRIES=$2; shift ;;
    --big-mean-bytes) need_uint "$1" "${2:-}"; BIG_MEAN_BYTES=$2; shift ;;
    --sets) SETS=${2:?}; SETS_GIVEN=1; shift ;;
    --seed) need_uint "$1" "${2:-}"; SEED=$2; shift ;;
    --data) DATA_DIR=${2:?}; shift ;;
    --regen) REGEN=1 ;;
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
((ENTRIES >= 1 && BIG_ENTRIES >= 1)) || die "--entries and --big-entries must be at least 1"
((MEAN_BYTES >= 22 && BIG_MEAN_BYTES >= 22)) || die "--mean-bytes and --big-mean-bytes must be at least 22 (the JPEG head and tail)"
((BIG && !SETS_GIVEN)) && SETS+=,big
for s in ${SETS//,/ }; do
  [[ $s == stored || $s == deflated || $s == list || $s == extract || $s == big ]] ||
    die "unknown set '$s' (stored, deflated, list, extract, big)"
done
has_set big && BIG=1
NEED_SMALL=0 NEED_BIG=0
{ has_set stored || has_set deflated || has_set extract || { has_set list && ((!BIG)); }; } && NEED_SMALL=1
{ has_set big || { has_set list && ((BIG)); }; } && NEED_BIG=1

use_data_dir --data
# One run at a time per data folder: a second one would regenerate the archives or
# wipe DATA/out under the first, and both would time each other's load.
lock_data_dir bench_zip.sh

use_binary
for tool in /usr/bin/time "$PYTHON" unzip zipinfo diff sync; do
  command -v "$tool" >/dev/null || die "$tool not found"
done

OUT=$DATA_DIR/out
BASE=$REPO/bench/baselines
STATUS=0

# ---- header -----------------------------------------------------------------
echo "llava-verify zip/extract benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(machine_desc)"
echo "binary:  $(binary_desc)"
echo "tools:   $(unzip -v | head -1 | sed 's/, by .*//') (unzip, zipinfo); $(python_desc)"

# ---- data -------------------------------------------------------------------
FORCE=(); ((REGEN)) && FORCE=(--force)
if ((NEED_SMALL)); then
  "$PYTHON" "$REPO/bench/gen_zip.py" "$DATA_DIR" --set small --entries "$ENTRIES" --mean-bytes "$MEAN_BYTES" \
    --seed "$SEED" "${FORCE[@]}" || die "generating stored.zip and deflated.zip failed"
fi
if ((NEED_BIG)); then
  "$PYTHON" "$REPO/bench/gen_zip.py" "$DATA_DIR" --set big --entries "$BIG_ENTRIES" --mean-bytes "$BIG_MEAN_BYTES" \
    --seed "$SEED" "${FORCE[@]}" || die "generating big.zip failed"
fi
info() { awk -F= -v k="$2" '$1 == k { print $2; found = 1 } END { exit !found }' "$DATA_DIR/$1.info"; }
declare -A N_ENTRIES BYTES ARCHIVE_OF
if ((NEED_SMALL)); then
  N_ENTRIES[small]=$(info small entries); BYTES[small]=$(info small bytes)
  echo "data:    $DATA_DIR: ${N_ENTRIES[small]} entries, $(awk -v b="${BYTES[small]}" 'BEGIN { printf "%.3f GB", b / 1e9 }') uncompressed;" \
    "stored.zip $(stat -c %s "$DATA_DIR/stored.zip") bytes, deflated.zip $(stat -c %s "$DATA_DIR/deflated.zip") bytes" \
    "($(awk -v a="$(stat -c %s "$DATA_DIR/deflated.zip")" -v b="$(stat -c %s "$DATA_DIR/stored.zip")" 'BEGIN { printf "%.4f", a / b }') of stored)"
fi
if ((NEED_BIG)); then
  N_ENTRIES[big]=$(info big entries); BYTES[big]=$(info big bytes)
  echo "data:    big.zip: ${N_ENTRIES[big]} entries, $(awk -v b="${BYTES[big]}" 'BEGIN { printf "%.3f GB", b / 1e9 }') uncompressed," \
    "$(stat -c %s "$DATA_DIR/big.zip") bytes"
fi
# Which archive (and which generator set) each benchmark set uses.
ARCHIVE_OF=([stored]=stored.zip [deflated]=deflated.zip [extract]=stored.zip [big]=big.zip [list]=stored.zip)
declare -A GEN_OF=([stored]=small [deflated]=small [extract]=small [big]=big [list]=small)
if ((BIG)); then ARCHIVE_OF[list]=big.zip; GEN_OF[list]=big; fi

rm -rf "$OUT"
mkdir -p "$OUT"

# Warm the page cache: every archive a set reads.
for s in ${SETS//,/ }; do echo "${ARCHIVE_OF[$s]}"; done | sort -u | while read -r a; do cat "$DATA_DIR/$a" >/dev/null; done

# ---- the commands -------------------------------------------------------------
# Each runs on ARCHIVE (set per set) with WRAP (empty, or /usr/bin/time -v -o FILE) in front.
WRAP=()
ARCHIVE=
cmd_unzip_t() { "${WRAP[@]}" unzip -tq "$ARCHIVE"; }
cmd_py() { "${WRAP[@]}" "$PYTHON" "$BASE/zip_test.py" "$ARCHIVE"; }
cmd_lv1() { "${WRAP[@]}" "$BIN" zip "$ARCHIVE" --jobs 1; }
cmd_lv() { "${WRAP[@]}" "$BIN" zip "$ARCHIVE"; }
cmd_zipinfo() { "${WRAP[@]}" zipinfo -1 "$ARCHIVE"; }
cmd_lv_list() { "${WRAP[@]}" "$BIN" zip "$ARCHIVE" --list-only; }
cmd_unzip_x() { "${WRAP[@]}" unzip -q -o "$ARCHIVE" -d "$OUT/x-unzip"; }
cmd_lv_x() { "${WRAP[@]}" "$BIN" extract "$ARCHIVE" --dest "$OUT/x-lv"; }

declare -A LABEL=(
  [unzip_t]="unzip -tq"
  [py]="python3 zipfile testzip()"
  [lv1]="llava-verify zip --jobs 1"
  [lv]="llava-verify zip (jobs $(nproc))"
  [zipinfo]="zipinfo -1"
  [lv_list]="llava-verify zip --list-only"
  [unzip_x]="unzip -q -o -d DIR"
  [lv_x]="llava-verify extract --dest DIR"
)
# The subcommand each llava-verify command needs; the rest are baselines.
declare -A NEEDS=([lv1]=zip [lv]=zip [lv_list]=zip [lv_x]=extract)
# The command the "× lv" column divides by, per set.
declare -A REF=([stored]=lv [deflated]=lv [big]=lv [list]=lv_list [extract]=lv_x)
declare -A OUTDIR=([unzip_x]=x-unzip [lv_x]=x-lv)
declare -A TIMES MED RSS RC OTHER

# Does the binary have `zip` and `extract`? (An older build prints the top-level
# help for `zip --help`, whose usage line names no subcommand.)
declare -A HAVE NOTE
for sub in zip extract; do
  HAVE[$sub]=0
  help=$("$BIN" "$sub" --help 2>&1 || true)
  if grep -qi "usage:.* $sub\b" <<<"$help"; then
    HAVE[$sub]=1
  else
    NOTE[$sub]="this llava-verify has no '$sub' subcommand"
    echo "note:    ${NOTE[$sub]}; the llava-verify $sub steps are skipped"
  fi
done


# ---- timing -------------------------------------------------------------------

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
      other = (busy(b) - busy(a)) - (kids(k1) - kids(k0)) - 0.02  # minus 2 ticks of rounding
      if (other < 0) other = 0
      printf "%.3f %.2f\n", wall, other / wall
    }'
}


# prepare_run CMD: untimed: move the command's previous output folder aside and
# flush dirty pages, so that each run writes into an empty folder and pays for no
# earlier writeback. Aside, not deleted: / here is ext4 without a journal, whose inode
# allocator skips inodes deleted in the last minute or so (recently_deleted() in
# fs/ext4/ialloc.c); creating 60,000 files right after deleting 60,000 took 3x the
# system time (unzip -q: 37 s instead of 12 s). The trees are deleted after the set.
TRASH_N=0
prepare_run() {
  if [[ -n ${OUTDIR[$1]:-} ]]; then
    if [[ -e $OUT/${OUTDIR[$1]} ]]; then
      mkdir -p "$OUT/trash"
      mv "$OUT/${OUTDIR[$1]}" "$OUT/trash/$((TRASH_N++))"
    fi
    sync
  fi
}

# run_once SET CMD: one run under /usr/bin/time -v; appends to TIMES, updates RSS/RC/OTHER.
run_once() {
  local k=$1.$2 c=$2 rc=0 t0 t1 stat0 stat1 kids0 kids1 run other rss
  prepare_run "$c"
  WRAP=(/usr/bin/time -v -o "$OUT/$k.time")
  stat0=$(head -1 /proc/stat); times >"$OUT/times"; kids0=$(tail -1 "$OUT/times")
  t0=$EPOCHREALTIME
  "cmd_$c" >"$OUT/$k.out" 2>"$OUT/$k.err" || rc=$?
  t1=$EPOCHREALTIME
  stat1=$(head -1 /proc/stat); times >"$OUT/times"; kids1=$(tail -1 "$OUT/times")
  WRAP=()
  ((rc == 0)) || RC[$k]=$rc
  rss=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$OUT/$k.time")
  ((${rss:-0} > ${RSS[$k]:-0})) && RSS[$k]=$rss
  read -r run other < <(other_load "$t0" "$t1" "$stat0" "$stat1" "$kids0" "$kids1")
  TIMES[$k]+="$run"
  awk -v o="$other" -v w="$run" 'BEGIN { exit !(o > 0.15 && o * w >= 0.05) }' && TIMES[$k]+="*"
  TIMES[$k]+=" "
  OTHER[$k]=$(awk -v a="${OTHER[$k]:-0}" -v b="$other" 'BEGIN { printf "%.2f", (b > a) ? b : a }')
}

# run_set SET CMD...: leaves out the llava-verify commands the binary cannot run;
# one untimed warm-up of each command (a llava-verify command that fails there as an
# unknown subcommand or option is left out, and said so); then RUNS round-robin
# timed runs. Sets CMDS to the commands that ran.
CMDS=()
run_set() {
  local set=$1 c rc r; shift
  CMDS=()
  for c in "$@"; do
    if [[ -n ${NEEDS[$c]:-} ]] && ((!HAVE[${NEEDS[$c]}])); then continue; fi
    [[ $c == py ]] && ((SKIP_PYTHON)) && continue
    prepare_run "$c"
    rc=0; WRAP=(); "cmd_$c" >"$OUT/$set.$c.out" 2>"$OUT/$set.$c.err" || rc=$?
    if [[ -n ${NEEDS[$c]:-} ]] && ((rc != 0)) && unknown_subcommand "$OUT/$set.$c.err"; then
      echo "note:    ${LABEL[$c]} failed as an unknown subcommand or option: $(head -1 "$OUT/$set.$c.err"); left out"
      continue
    fi
    CMDS+=("$c")
  done
  echo "runs:    warm cache; $RUNS timed runs per command, round-robin; median time, largest peak RSS"
  echo "before the runs: $(cpu_busy)"
  for ((r = 1; r <= RUNS; r++)); do
    for c in "${CMDS[@]}"; do
      run_once "$set" "$c"
    done
  done
  for c in "${CMDS[@]}"; do
    MED[$set.$c]=$(echo "${TIMES[$set.$c]% }" | tr -d '*' | median)
  done
}

ran() { [[ -n ${MED[$1.$2]:-} ]]; }

# report SET: the table for one set.
report() {
  local set=$1 c med ok ref=${REF[$1]} entries=${N_ENTRIES[${GEN_OF[$1]}]} bytes=${BYTES[${GEN_OF[$1]}]}
  echo
  echo "(GB/s: uncompressed bytes / median time; × lv: median time / ${LABEL[$ref]}'s, above 1 llava-verify is faster;"
  echo " other: most CPU other processes used during one of its runs, in cores; runs marked * had more than 0.15, and 0.05 s)"
  printf '%-34s %9s  %-*s %6s %10s %8s %6s %6s  %s\n' "command" "median s" $((7 * RUNS + 1)) "runs (s)" \
    "GB/s" "entries/s" "RSS MB" "× lv" "other" "exit"
  for c in "${CMDS[@]}"; do
    med=${MED[$set.$c]}
    ok=ok
    if [[ -n ${RC[$set.$c]:-} ]]; then ok="FAILED (exit ${RC[$set.$c]})"; STATUS=1; fi
    printf '%-34s %9.3f  %-*s %6s %10s %8s %6s %6s  %s\n' "${LABEL[$c]}" "$med" $((7 * RUNS + 1)) "${TIMES[$set.$c]}" \
      "$(if [[ $set == list ]]; then echo -; else awk -v b="$bytes" -v t="$med" 'BEGIN { printf "%.2f", b / t / 1e9 }'; fi)" \
      "$(awk -v n="$entries" -v t="$med" 'BEGIN { printf "%.0f", n / t }')" "$(mb "${RSS[$set.$c]:-0}")" \
      "$(if ran "$set" "$ref"; then ratio "$med" "${MED[$set.$ref]}"; else echo -; fi)" "${OTHER[$set.$c]}" "$ok"
  done
  echo "(MB = 10^6 bytes; peak RSS from /usr/bin/time -v, KiB × 1024)"
  for c in "${CMDS[@]}"; do
    if [[ -n ${RC[$set.$c]:-} ]]; then
      echo "  ${LABEL[$c]} exited ${RC[$set.$c]}; its stderr ($OUT/$set.$c.err):"
      head -5 "$OUT/$set.$c.err" | sed 's/^/    /'
    fi
  done
}

# ---- the sets -------------------------------------------------------------------
if has_set extract; then
  # Every run's tree stays until the end of the set (see prepare_run); 4 KiB blocks.
  need=$(awk -v n="${N_ENTRIES[small]}" -v b="${BYTES[small]}" -v r="$RUNS" 'BEGIN { printf "%.0f", 2 * (r + 1) * (b + n * 4096) }')
  have=$(df --output=avail -B1 "$OUT" | tail -1)
  ((have > need)) || die "the extract set needs $(awk -v b="$need" 'BEGIN { printf "%.1f GB", b / 1e9 }') free under $OUT" \
    "(2 x (RUNS + 1) extracted trees), there are $(awk -v b="$have" 'BEGIN { printf "%.1f GB", b / 1e9 }'): use fewer --runs or leave out extract (--sets)"
fi
for set in stored deflated list big extract; do
  has_set "$set" || continue
  ARCHIVE=$DATA_DIR/${ARCHIVE_OF[$set]}
  echo
  case $set in
    stored|deflated|big) echo "== $set: CRC test of ${ARCHIVE_OF[$set]} (${N_ENTRIES[${GEN_OF[$set]}]} entries) ==" ;;
    list) echo "== list: the names in ${ARCHIVE_OF[$set]} (${N_ENTRIES[${GEN_OF[$set]}]} entries) ==" ;;
    extract) echo "== extract: ${ARCHIVE_OF[$set]} (${N_ENTRIES[${GEN_OF[$set]}]} entries) into an empty folder ==" ;;
  esac
  case $set in
    stored|deflated) run_set "$set" unzip_t py lv1 lv ;;
    big) run_set "$set" unzip_t py lv ;;
    list) run_set "$set" zipinfo lv_list ;;
    extract) run_set "$set" unzip_x lv_x ;;
  esac
  report "$set"
done

# ---- checks -------------------------------------------------------------------
echo
echo "== checks =="
for set in stored deflated big; do
  has_set "$set" || continue
  want=${N_ENTRIES[${GEN_OF[$set]}]}
  if ran "$set" py; then
    got=$(awk '$1 == "OK:" { print $2; exit }' "$OUT/$set.py.out" 2>/dev/null || true)
    if [[ $got == "$want" ]]; then
      echo "  $set: python3 testzip(): OK, $got entries (the generator's count)"
    else
      echo "  $set: python3 testzip(): '$(head -1 "$OUT/$set.py.out" 2>/dev/null || true)' (the generator wrote $want entries): FAILED"; STATUS=1
    fi
  fi
  if ran "$set" unzip_t; then
    if [[ -z ${RC[$set.unzip_t]:-} ]]; then
      echo "  $set: unzip -tq: $(head -1 "$OUT/$set.unzip_t.out" 2>/dev/null || true)"
    else
      echo "  $set: unzip -tq FAILED (exit ${RC[$set.unzip_t]})"
    fi
  fi
  # llava-verify zip --json FILE: summary.entries (untimed).
  if ((HAVE[zip])); then
    rc=0; "$BIN" zip "$DATA_DIR/${ARCHIVE_OF[$set]}" --json "$OUT/$set.lv.json" >"$OUT/$set.lv_json.out" 2>"$OUT/$set.lv_json.err" || rc=$?
    got=$("$PYTHON" -c '
import json, sys
with open(sys.argv[1]) as f:
    r = json.load(f)
s = r.get("summary", r) if isinstance(r, dict) else {}
print(s.get("entries", "none"), json.dumps(r.get("zip64", "?")))' "$OUT/$set.lv.json" 2>/dev/null || echo "unreadable ?")
    read -r got zip64 <<<"$got"
    if ((rc == 0)) && [[ $got == "$want" ]]; then
      echo "  $set: llava-verify zip --json: exit 0, summary.entries $got == the generator's count$([[ $zip64 == '"?"' ]] || echo " (zip64: $zip64)")"
    else
      echo "  $set: llava-verify zip --json: exit $rc, summary.entries $got, the generator wrote $want: FAILED"; STATUS=1
    fi
  else
    echo "  $set: llava-verify zip --json: skipped (${NOTE[zip]})"
  fi
done

if has_set list; then
  want=${N_ENTRIES[${GEN_OF[list]}]}
  if ran list zipinfo; then
    got=$(wc -l <"$OUT/list.zipinfo.out" 2>/dev/null || echo none)
    if [[ $got == "$want" ]]; then
      echo "  list: zipinfo -1: $got names (the generator's count)"
    else
      echo "  list: zipinfo -1: $got names, the generator wrote $want: FAILED"; STATUS=1
    fi
  fi
  if ran list lv_list; then
    if [[ ! -f $OUT/list.lv_list.out ]]; then
      echo "  list: llava-verify zip --list-only: no output file: FAILED"; STATUS=1
    elif cmp -s "$OUT/list.zipinfo.out" "$OUT/list.lv_list.out"; then
      echo "  list: llava-verify zip --list-only output == zipinfo -1 output, byte for byte"
    elif awk '{ print $NF }' "$OUT/list.lv_list.out" | grep '\.jpg$' | sort | cmp -s - <(sort "$OUT/list.zipinfo.out"); then
      echo "  list: llava-verify zip --list-only names (last field of each .jpg line) == zipinfo -1's, as a set"
    elif grep -qw "$want entries" "$OUT/list.lv_list.out"; then
      echo "  list: llava-verify zip --list-only prints a summary, not the names: \"$(grep -w -m1 "$want entries" "$OUT/list.lv_list.out")\""
    else
      echo "  list: llava-verify zip --list-only output differs from zipinfo -1's ($(wc -l <"$OUT/list.lv_list.out") lines;" \
        "informational: its format is its own; see $OUT/list.lv_list.out)"
    fi
  fi
fi

if has_set extract; then
  want=${N_ENTRIES[small]}
  tree_info() {  # files and bytes under a folder
    { find "$1" -type f -printf '%s\n' 2>/dev/null || true; } | awk '{ n++; b += $1 } END { printf "%d files, %d bytes", n, b }'
  }
  expect="$want files, ${BYTES[small]} bytes"
  if ran extract unzip_x; then
    got=$(tree_info "$OUT/x-unzip")
    if [[ $got == "$expect" ]]; then
      echo "  extract: unzip -q tree: $got (the generator's)"
    else
      echo "  extract: unzip -q tree: $got, the generator wrote $expect: FAILED"; STATUS=1
    fi
  fi
  if ran extract lv_x; then
    got=$(tree_info "$OUT/x-lv")
    if [[ $got == "$expect" ]] && diff -r "$OUT/x-unzip" "$OUT/x-lv" >"$OUT/extract.diff" 2>&1; then
      echo "  extract: llava-verify extract tree: $got; identical to unzip's (diff -r)"
    else
      echo "  extract: llava-verify extract tree: $got (want $expect); diff -r against unzip's:" \
        "$(head -3 "$OUT/extract.diff" | tr '\n' ';') FAILED"; STATUS=1
    fi
  elif ((!HAVE[extract])); then
    echo "  extract: llava-verify extract: skipped (${NOTE[extract]})"
  fi
  rm -rf "${OUT:?}/x-unzip" "${OUT:?}/x-lv" "${OUT:?}/trash"
  sync
  echo "  (extracted trees deleted)"
fi

# ---- targets --------------------------------------------------------------------
TARGETS=()
good() { ran "$1" "$2" && [[ -z ${RC[$1.$2]:-} ]]; }  # ran, and every run exited 0
target() {  # target TEXT VALUE OP LIMIT
  local met
  met=$(awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN { print (op == ">=" ? v >= l : op == "<" ? v < l : v <= l) ? "met" : "NOT met" }')
  TARGETS+=("$(printf '  %-58s %8s  (target %s %s)  %s' "$1" "$2" "$3" "$4" "$met")")
}
skipped() { TARGETS+=("$(printf '  %-58s %8s  (%s)' "$1" "-" "$2")"); }
why_not() {  # why a llava-verify command did not run
  local sub=${NEEDS[$1]}
  if ((!HAVE[$sub])); then echo "skipped: ${NOTE[$sub]}"; else echo "skipped: it failed (at warm-up or in a timed run)"; fi
}
# rss_target SET CMD...: the largest peak RSS of those llava-verify commands in SET.
rss_target() {
  local set=$1 c k=0; shift
  for c in "$@"; do good "$set" "$c" && ((${RSS[$set.$c]:-0} > k)) && k=${RSS[$set.$c]}; done
  if ((k > 0)); then
    target "$set: llava-verify zip peak RSS (MB)" "$(mb "$k")" "<=" "$T_RSS_MB"
  else
    skipped "$set: llava-verify zip peak RSS (MB)" "$(why_not lv)"
  fi
}
if has_set stored; then
  if good stored lv; then
    good stored unzip_t && target "stored: unzip -tq / llava-verify zip (×)" "$(ratio "${MED[stored.unzip_t]}" "${MED[stored.lv]}")" ">=" "$T_STORED_VS_UNZIP"
    good stored py && target "stored: python3 testzip() / llava-verify zip (×)" "$(ratio "${MED[stored.py]}" "${MED[stored.lv]}")" ">=" "$T_STORED_VS_PY"
  else
    skipped "stored: unzip -tq / llava-verify zip (×)" "$(why_not lv)"
    ((SKIP_PYTHON)) || skipped "stored: python3 testzip() / llava-verify zip (×)" "$(why_not lv)"
  fi
  rss_target stored lv1 lv
fi
if has_set deflated; then
  if good deflated lv; then
    good deflated unzip_t && target "deflated: unzip -tq / llava-verify zip (×)" "$(ratio "${MED[deflated.unzip_t]}" "${MED[deflated.lv]}")" ">=" "$T_DEFLATED_VS_UNZIP"
  else
    skipped "deflated: unzip -tq / llava-verify zip (×)" "$(why_not lv)"
  fi
  rss_target deflated lv1 lv
fi
if has_set list; then
  if ! good list lv_list; then
    skipped "list: llava-verify zip --list-only time (s)" "$(why_not lv_list)"
  elif ((BIG)); then
    target "list: llava-verify zip --list-only, ${N_ENTRIES[big]} entries (s)" "${MED[list.lv_list]}" "<" "$T_LIST_SECS"
    rss_target list lv_list
  else
    TARGETS+=("$(printf '  %-58s %8s  (informational: the < %s s target is for 595,375 entries; run with --big)' \
      "list: llava-verify zip --list-only, ${N_ENTRIES[small]} entries (s)" "${MED[list.lv_list]}" "$T_LIST_SECS")")
  fi
fi
if has_set big; then
  if good big lv; then
    target "big: llava-verify zip, ${N_ENTRIES[big]} entries (s)" "${MED[big.lv]}" "<=" "$T_BIG_SECS"
  else
    skipped "big: llava-verify zip, ${N_ENTRIES[big]} entries (s)" "$(why_not lv)"
  fi
  rss_target big lv
fi
if has_set extract; then
  if good extract lv_x && good extract unzip_x; then
    target "extract: llava-verify extract / unzip -q (time ×)" "$(ratio "${MED[extract.lv_x]}" "${MED[extract.unzip_x]}")" "<=" "$T_EXTRACT_VS_UNZIP"
  else
    skipped "extract: llava-verify extract / unzip -q (time ×)" "$(why_not lv_x)"
  fi
fi
echo
echo "== targets (same-run figures; this machine class drifts ±15% between runs) =="
printf '%s\n' "${TARGETS[@]}"
for set in stored deflated big; do
  if ran "$set" lv && ran "$set" lv1; then
    echo "  ($set: llava-verify zip --jobs 1 -> jobs $(nproc): ×$(ratio "${MED[$set.lv1]}" "${MED[$set.lv]}"))"
  fi
done
if has_set list && ran list lv_list && ran list zipinfo; then
  echo "  (list: llava-verify zip --list-only is ×$(ratio "${MED[list.zipinfo]}" "${MED[list.lv_list]}") zipinfo -1)"
fi
echo "outputs: $OUT"
exit $STATUS
