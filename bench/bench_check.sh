#!/usr/bin/env bash
# Benchmarks `llava-verify check` against `sha256sum -c` (and, for one large
# file, `openssl dgst -sha256` and Python hashlib) on warm-cache, deterministic
# data. See docs/benchmarks.md for what it measures and the figures.
# shellcheck disable=SC2317  # the generators and cmd_* functions are called indirectly
set -euo pipefail
export LC_ALL=C

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"

# ---- defaults (flags below) ------------------------------------------------
DATA_DIR=/tmp/llava-bench
BIN=$REPO/build/release/llava-verify
BUILD=0
REGEN=0
RUNS=3
SETS=large,many,mix
LARGE_MB=2048          # one large file, MiB
MANY_COUNT=50000       # many small files ...
SMALL_KB=20            # ... of about this size (KiB; sizes vary +-20%)
MIX_LARGE_COUNT=4      # mix: a few large files ...
MIX_LARGE_MB=256       # ... of this size (MiB) ...
MIX_SMALL_COUNT=20000  # ... plus this many small files of ~SMALL_KB
FILES_PER_DIR=1000
SEED=llava-bench-1
PYTHON=/usr/bin/python3  # Debian's python, not the pyenv shim (~70 ms start-up)

# Targets (docs/benchmarks.md).
T_LARGE_GBPS=1.6; T_LARGE_VS_SHA256SUM=4; T_LARGE_RSS_MB=64
T_MANY_JOBS_SPEEDUP=1.8; T_MANY_VS_SHA256SUM=5

usage() {
  cat <<EOF
Usage: bench/bench_check.sh [OPTIONS]

Times \`llava-verify check\` against \`sha256sum -c\` on warm-cache data, in one run:
  large  one large file: sha256sum -c, openssl dgst -sha256, $PYTHON hashlib,
         llava-verify check --jobs 1 and --jobs 2; GB/s and peak RSS.
  many   many ~${SMALL_KB} KiB files in one sha256sum manifest: sha256sum -c,
         llava-verify check --jobs 1 and --jobs 2; files/s and speed-ups.
  mix    a few large files plus many small ones in one manifest: same as many.
Each command runs once to warm the cache (under /usr/bin/time -v, for the peak
RSS), then RUNS times, round-robin; the table gives the median. It also checks
that llava-verify's stdout is byte-identical for --jobs 1 and --jobs 2 and to
sha256sum -c. Data is generated deterministically (AES-128-CTR keystream of a
fixed seed) and reused when it already exists with the same parameters.

Options:
  --data-dir DIR         where the data and outputs go (default: $DATA_DIR)
  --bin PATH             llava-verify binary (default: build/release/llava-verify)
  --build                build it first: cmake --preset release && cmake --build --preset release
  --runs N               timed runs per command, median reported (default: $RUNS)
  --sets LIST            comma-separated subset of large,many,mix (default: $SETS)
  --large-mb N           size of the large file in MiB (default: $LARGE_MB)
  --many-count N         number of small files in "many" (default: $MANY_COUNT)
  --small-kb N           average small-file size in KiB (default: $SMALL_KB)
  --mix-large-count N    large files in "mix" (default: $MIX_LARGE_COUNT)
  --mix-large-mb N       size of each of them in MiB (default: $MIX_LARGE_MB)
  --mix-small-count N    small files in "mix" (default: $MIX_SMALL_COUNT)
  --regen                regenerate the data even if it exists
  -h, --help             this message

GB/s uses GB = 10^9 bytes. Ratios are "how many times faster llava-verify
--jobs 1 is than that command" (time of that command / time of llava-verify).
Exit status: 0 when every command succeeded and the outputs match, 1 otherwise
(missed performance targets are reported, not turned into a failure).
EOF
}

die() { echo "bench_check: $*" >&2; exit 2; }

while (($#)); do
  case $1 in
    --data-dir) DATA_DIR=${2:?}; shift ;;
    --bin) BIN=${2:?}; shift ;;
    --build) BUILD=1 ;;
    --runs) need_uint "$1" "${2:-}"; RUNS=$2; shift ;;
    --sets) SETS=${2:?}; shift ;;
    --large-mb) need_uint "$1" "${2:-}"; LARGE_MB=$2; shift ;;
    --many-count) need_uint "$1" "${2:-}"; MANY_COUNT=$2; shift ;;
    --small-kb) need_uint "$1" "${2:-}"; SMALL_KB=$2; shift ;;
    --mix-large-count) need_uint "$1" "${2:-}"; MIX_LARGE_COUNT=$2; shift ;;
    --mix-large-mb) need_uint "$1" "${2:-}"; MIX_LARGE_MB=$2; shift ;;
    --mix-small-count) need_uint "$1" "${2:-}"; MIX_SMALL_COUNT=$2; shift ;;
    --regen) REGEN=1 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
  shift
done
((RUNS >= 1)) || die "--runs must be at least 1"
for s in ${SETS//,/ }; do
  [[ $s == large || $s == many || $s == mix ]] || die "unknown set '$s' (large, many, mix)"
done

# The data must never land in the repository.
use_data_dir --data-dir

use_binary
for tool in sha256sum openssl /usr/bin/time "$PYTHON"; do
  command -v "$tool" >/dev/null || die "$tool not found"
done

OUT=$DATA_DIR/out
rm -rf "$OUT"
mkdir -p "$OUT"
STATUS=0

# ---- deterministic data -----------------------------------------------------
GEN_VERSION=1
KEY=$(printf '%s' "$SEED" | sha256sum | cut -c1-32)

# keystream INDEX BYTES: BYTES of AES-128-CTR keystream (key from SEED, IV = INDEX) on stdout.
keystream() {
  openssl enc -aes-128-ctr -K "$KEY" -iv "$(printf '%032x' "$1")" -in /dev/zero 2>/dev/null | head -c "$2" || true
}

# make_file PATH INDEX BYTES
make_file() {
  keystream "$2" "$3" >"$1.part"
  [[ $(stat -c %s "$1.part") == "$3" ]] || die "could not write $1"
  mv "$1.part" "$1"
}

# make_small_files DIR COUNT INDEX: COUNT files of ~SMALL_KB KiB in DIR/dNNN/fNNNNNN.bin,
# FILES_PER_DIR to a folder, cut from one keystream; sizes vary deterministically by +-20%.
make_small_files() {
  local avg=$((SMALL_KB * 1024)) total=$(($2 * SMALL_KB * 1024 * 6 / 5 + 1))
  keystream "$3" "$total" | "$PYTHON" -c '
import os, sys
root, count, avg, per_dir = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
spread = avg // 5
src = sys.stdin.buffer
for i in range(count):
    d = os.path.join(root, "d%03d" % (i // per_dir))
    if i % per_dir == 0:
        os.makedirs(d, exist_ok=True)
    size = avg - spread + (i * 2654435761) % (2 * spread + 1)
    data = src.read(size)
    if len(data) != size:
        sys.exit("keystream ran short")
    with open(os.path.join(d, "f%06d.bin" % i), "wb") as f:
        f.write(data)
' "$1" "$2" "$avg" "$FILES_PER_DIR" || die "could not write the small files in $1"
}

# write_manifest SET: sha256sum lines for every file under DATA_DIR/SET, names
# relative to it, sorted; written by sha256sum itself (the reference).
write_manifest() {
  (cd "$DATA_DIR/$1" && find . -type f ! -name '*.part' -printf '%P\n' | sort |
    xargs -d '\n' sha256sum) >"$DATA_DIR/$1.sha256.part"
  mv "$DATA_DIR/$1.sha256.part" "$DATA_DIR/$1.sha256"
}

# prepare SET STAMP GENERATOR...: (re)builds DATA_DIR/SET unless its stamp says
# it was built with the same parameters.
prepare() {
  local set=$1 stamp=$2; shift 2
  local dir=$DATA_DIR/$set
  if ((!REGEN)) && [[ -f $DATA_DIR/$set.stamp && $(<"$DATA_DIR/$set.stamp") == "$stamp" && -f $DATA_DIR/$set.sha256 ]]; then
    echo "data: $set: reusing $dir"
    return
  fi
  echo "data: $set: generating $dir ..."
  local t0=$EPOCHREALTIME
  rm -rf "$dir" "$DATA_DIR/$set.stamp" "$DATA_DIR/$set.sha256"
  mkdir -p "$dir"
  "$@"
  write_manifest "$set"
  sync
  echo "$stamp" >"$DATA_DIR/$set.stamp"
  echo "data: $set: done in $(secs_since "$t0") s"
}

gen_large() { make_file "$DATA_DIR/large/large.bin" 1 $((LARGE_MB << 20)); }
gen_many() { make_small_files "$DATA_DIR/many" "$MANY_COUNT" 2; }
gen_mix() {
  make_small_files "$DATA_DIR/mix" "$MIX_SMALL_COUNT" 3
  # Spread the large files through the manifest: bigK.bin sorts first in its folder.
  local dirs=$(((MIX_SMALL_COUNT + FILES_PER_DIR - 1) / FILES_PER_DIR)) k d
  ((dirs > 0)) || dirs=1
  for ((k = 0; k < MIX_LARGE_COUNT; k++)); do
    d=$DATA_DIR/mix/$(printf 'd%03d' $((k * dirs / MIX_LARGE_COUNT)))
    mkdir -p "$d"
    make_file "$d/big$k.bin" $((10 + k)) $((MIX_LARGE_MB << 20))
  done
}

# ---- timing -----------------------------------------------------------------
secs_since() { awk -v a="$(usecs "$1")" -v b="$(usecs "$EPOCHREALTIME")" 'BEGIN { printf "%.2f", (b - a) / 1e6 }'; }

# other_load T0 T1 STAT0 STAT1 KIDS0 KIDS1: prints the run's wall time (s) and
# the CPU other processes used meanwhile, in cores: all CPU time the kernel
# counted (/proc/stat, 1/100 s ticks) minus what the command used (bash `times`).
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

# cpu_busy: how busy the machine is right now (other work skews the figures).

set_bytes() {  # total size of the files listed in DATA_DIR/SET.sha256
  (cd "$DATA_DIR/$1" && cut -c67- "$DATA_DIR/$1.sha256" | tr '\n' '\0' | du -cb --apparent-size --files0-from=- | tail -1 | cut -f1)
}

# The commands, as NAME -> function. Each runs in the data set's folder with
# WRAP (empty, or /usr/bin/time -v) in front; MANIFEST and FILE are set per set.
WRAP=()
cmd_sha256sum() { "${WRAP[@]}" sha256sum -c "$MANIFEST"; }
cmd_openssl() { "${WRAP[@]}" openssl dgst -sha256 "$FILE"; }
cmd_python() {
  "${WRAP[@]}" "$PYTHON" -c '
import hashlib, sys
h = hashlib.sha256()
buf = bytearray(1 << 20)
view = memoryview(buf)
with open(sys.argv[1], "rb", buffering=0) as f:
    while n := f.readinto(buf):
        h.update(view[:n])
print(h.hexdigest() + "  " + sys.argv[1])
' "$FILE"
}
cmd_lv1() { "${WRAP[@]}" "$BIN" check --jobs 1 --no-progress "$MANIFEST"; }
cmd_lv2() { "${WRAP[@]}" "$BIN" check --jobs 2 --no-progress "$MANIFEST"; }

declare -A LABEL=(
  [sha256sum]="sha256sum -c"
  [openssl]="openssl dgst -sha256"
  [python]="python3 hashlib (1 MiB reads)"
  [lv1]="llava-verify check --jobs 1"
  [lv2]="llava-verify check --jobs 2"
)
declare -A TIMES MED RSS RC OTHER

# run_set SET CMD...: warm-up of each command under /usr/bin/time -v (peak RSS),
# then RUNS round-robin timed runs; stdout of the last run kept in OUT/SET.CMD.out.
run_set() {
  local set=$1; shift
  local c r t0 t1 rc
  cd "$DATA_DIR/$set"
  for c in "$@"; do
    WRAP=(/usr/bin/time -v -o "$OUT/$set.$c.time")
    rc=0; "cmd_$c" >"$OUT/$set.$c.out" 2>"$OUT/$set.$c.err" || rc=$?
    WRAP=()
    RC[$set.$c]=$rc
    RSS[$set.$c]=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$OUT/$set.$c.time")
    TIMES[$set.$c]=""
  done
  local stat0 stat1 kids0 kids1 run other
  for ((r = 1; r <= RUNS; r++)); do
    for c in "$@"; do
      rc=0
      stat0=$(head -1 /proc/stat); times >"$OUT/times"; kids0=$(tail -1 "$OUT/times")
      t0=$EPOCHREALTIME
      "cmd_$c" >"$OUT/$set.$c.out" 2>"$OUT/$set.$c.err" || rc=$?
      t1=$EPOCHREALTIME
      stat1=$(head -1 /proc/stat); times >"$OUT/times"; kids1=$(tail -1 "$OUT/times")
      ((rc == 0)) || RC[$set.$c]=$rc
      read -r run other < <(other_load "$t0" "$t1" "$stat0" "$stat1" "$kids0" "$kids1")
      TIMES[$set.$c]+="$run"
      awk -v o="$other" -v w="$run" 'BEGIN { exit !(o > 0.15 && o * w >= 0.05) }' && TIMES[$set.$c]+="*"
      TIMES[$set.$c]+=" "
      OTHER[$set.$c]=$(awk -v a="${OTHER[$set.$c]:-0}" -v b="$other" 'BEGIN { printf "%.2f", (b > a) ? b : a }')
    done
  done
  for c in "$@"; do
    MED[$set.$c]=$(echo "${TIMES[$set.$c]% }" | tr -d '*' | median)
  done
  cd - >/dev/null
}

gb() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1e9 }'; }

# report SET FILES BYTES CMD...: the table for one set.
report() {
  local set=$1 files=$2 bytes=$3; shift 3
  local c med tput fps rss ok
  echo "(lv-j1 ×: that command's median time / llava-verify --jobs 1's; above 1: llava-verify --jobs 1 is faster."
  echo " other: most CPU other processes used during one of its runs, in cores; runs marked * had more than 0.15, and 0.05 s)"
  printf '%-32s %9s  %-*s %6s %8s %6s %7s %7s  %s\n' "command" "median s" $((7 * RUNS + 1)) "runs (s)" \
    "GB/s" "files/s" "RSS MB" "lv-j1 ×" "other" "exit"
  for c in "$@"; do
    med=${MED[$set.$c]}
    tput=$(awk -v b="$bytes" -v t="$med" 'BEGIN { printf "%.2f", b / t / 1e9 }')
    fps=-; ((files > 1)) && fps=$(awk -v f="$files" -v t="$med" 'BEGIN { printf "%.0f", f / t }')
    rss=$(awk -v k="${RSS[$set.$c]:-0}" 'BEGIN { printf "%.1f", k / 1024 }')
    ok=ok
    if [[ ${RC[$set.$c]} != 0 ]]; then ok="FAILED (exit ${RC[$set.$c]})"; STATUS=1; fi
    printf '%-32s %9.3f  %-*s %6s %8s %6s %7s %7s  %s\n' "${LABEL[$c]}" "$med" $((7 * RUNS + 1)) "${TIMES[$set.$c]}" \
      "$tput" "$fps" "$rss" "$(ratio "$med" "${MED[$set.lv1]}")" "${OTHER[$set.$c]}" "$ok"
  done
}

# same_output SET A B: prints whether stdout of A and B are byte-identical.
same_output() {
  if cmp -s "$OUT/$1.$2.out" "$OUT/$1.$3.out"; then
    printf '  stdout %-30s == %-30s identical (%s lines)\n' "${LABEL[$2]}" "${LABEL[$3]}" "$(wc -l <"$OUT/$1.$2.out")"
  else
    printf '  stdout %-30s != %-30s DIFFERENT (see %s)\n' "${LABEL[$2]}" "${LABEL[$3]}" "$OUT/$1.$2.out"
    STATUS=1
  fi
}

TARGETS=()
target() {  # target TEXT VALUE OP LIMIT
  local met
  met=$(awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN { print (op == ">=" ? v >= l : v < l) ? "met" : "NOT met" }')
  TARGETS+=("$(printf '  %-58s %10s  (target %s %s)  %s' "$1" "$2" "$3" "$4" "$met")")
}

# ---- header -----------------------------------------------------------------
echo "llava-verify check benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(machine_desc)"
echo "binary:  $(binary_desc)"
echo "tools:   $(sha256sum --version | head -1); $(openssl version); $(python_desc)"
echo "data:    $DATA_DIR; warm cache; 1 warm-up + $RUNS timed runs per command, round-robin, median"

has_set large && prepare large "v$GEN_VERSION seed=$SEED large_mb=$LARGE_MB" gen_large
has_set many && prepare many "v$GEN_VERSION seed=$SEED count=$MANY_COUNT kb=$SMALL_KB per_dir=$FILES_PER_DIR" gen_many
has_set mix && prepare mix "v$GEN_VERSION seed=$SEED small=$MIX_SMALL_COUNT kb=$SMALL_KB per_dir=$FILES_PER_DIR large=${MIX_LARGE_COUNT}x$MIX_LARGE_MB" gen_mix

# ---- 1. one large file ------------------------------------------------------
if has_set large; then
  MANIFEST=$DATA_DIR/large.sha256 FILE=large.bin
  bytes=$(stat -c %s "$DATA_DIR/large/large.bin")
  echo
  echo "== large: one file of $LARGE_MB MiB ($(gb "$bytes") GB) =="
  echo "before the runs: $(cpu_busy)"
  run_set large sha256sum openssl python lv1 lv2
  report large 1 "$bytes" sha256sum openssl python lv1 lv2
  want=$(cut -c1-64 "$MANIFEST")
  for c in openssl python; do
    got=$(awk '{ print ($1 ~ /^SHA2?-?256\(/) ? $NF : $1 }' "$OUT/large.$c.out")
    if [[ $got == "$want" ]]; then
      echo "  digest of ${LABEL[$c]} matches the manifest"
    else
      echo "  digest of ${LABEL[$c]} DIFFERS from the manifest"; STATUS=1
    fi
  done
  same_output large lv1 lv2
  same_output large lv1 sha256sum
  lv=${MED[large.lv1]}
  target "large: llava-verify --jobs 1 GB/s" "$(awk -v b="$bytes" -v t="$lv" 'BEGIN { printf "%.2f", b / t / 1e9 }')" ">=" "$T_LARGE_GBPS"
  target "large: llava-verify --jobs 1 vs openssl dgst (×)" "$(ratio "${MED[large.openssl]}" "$lv")" ">=" 1
  target "large: llava-verify --jobs 1 vs sha256sum -c (×)" "$(ratio "${MED[large.sha256sum]}" "$lv")" ">=" "$T_LARGE_VS_SHA256SUM"
  target "large: llava-verify --jobs 1 peak RSS (MB)" "$(awk -v k="${RSS[large.lv1]}" 'BEGIN { printf "%.1f", k / 1024 }')" "<" "$T_LARGE_RSS_MB"
  echo "  (also for reference: python3 hashlib ×$(ratio "${MED[large.python]}" "$lv"))"
fi

# ---- 2. and 3. many files, and a mix ------------------------------------------
for set in many mix; do
  has_set "$set" || continue
  MANIFEST=$DATA_DIR/$set.sha256 FILE=
  files=$(wc -l <"$MANIFEST")
  bytes=$(set_bytes "$set")
  echo
  if [[ $set == many ]]; then
    echo "== many: $files files of ~$SMALL_KB KiB ($(gb "$bytes") GB) =="
  else
    echo "== mix: $MIX_LARGE_COUNT × $MIX_LARGE_MB MiB + $MIX_SMALL_COUNT × ~$SMALL_KB KiB = $files files" \
      "($(gb "$bytes") GB) =="
  fi
  echo "before the runs: $(cpu_busy)"
  run_set "$set" sha256sum lv1 lv2
  report "$set" "$files" "$bytes" sha256sum lv1 lv2
  same_output "$set" lv1 lv2
  same_output "$set" lv1 sha256sum
  speedup=$(ratio "${MED[$set.lv1]}" "${MED[$set.lv2]}")
  echo "  llava-verify --jobs 2 vs --jobs 1: ×$speedup;" \
    "vs sha256sum -c: --jobs 1 ×$(ratio "${MED[$set.sha256sum]}" "${MED[$set.lv1]}")," \
    "--jobs 2 ×$(ratio "${MED[$set.sha256sum]}" "${MED[$set.lv2]}")"
  target "$set: llava-verify speed-up --jobs 1 -> --jobs 2 (×)" "$speedup" ">=" "$T_MANY_JOBS_SPEEDUP"
  target "$set: llava-verify --jobs 2 vs sha256sum -c (×)" "$(ratio "${MED[$set.sha256sum]}" "${MED[$set.lv2]}")" ">=" "$T_MANY_VS_SHA256SUM"
done

echo
echo "== targets (same-run figures; this machine class drifts ±15% between runs) =="
printf '%s\n' "${TARGETS[@]}"
echo
echo "outputs: $OUT"
exit "$STATUS"
