#!/usr/bin/env bash
# Benchmarks `llava-verify fetch` against curl on loopback: one 2 GiB file (throughput
# against `curl -o`, hashing overlapped or added after) and four 512 MiB files
# (--jobs 1 against --jobs 4: CPU use and speed-up). The servers are the test harness's
# nginx (tests/net/harness.sh): a hub that answers resolve/ with a 302, and a storage host.
# shellcheck disable=SC2317,SC2016  # cmd_* are called indirectly; sh -c scripts are single-quoted
set -euo pipefail
export LC_ALL=C

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"

# ---- defaults (flags below) ------------------------------------------------
DATA_DIR=/tmp/llava-bench-fetch
BIN=$REPO/build/release/llava-verify
BUILD=0
REGEN=0
RUNS=3
SETS=single,four
TLS=0
BIG_MIB=2048             # single: one file of this many MiB ...
SMALL_MIB=512            # four: four files of this many MiB each
SEED=1

# Targets (from the issue).
T_LV_VS_CURL=0.9         # lv throughput on the big file / curl -o throughput: at least this
T_JOBS4_CORES=1          # lv --jobs 4 on the four files: CPU use (user+sys / wall) above this many cores

usage() {
  cat <<EOF
Usage: bench/bench_fetch.sh [OPTIONS]

Times, in one run, on warm-cache source files, downloads over loopback from the
test harness's nginx (tests/net/harness.sh: the hub \$HUB_URL on 127.0.0.1 answers
resolve/ with 302 to the storage host \$STORAGE_URL on 127.0.0.2, static files with
sendfile), per set:
  single  one file, big.bin (BIG_MIB MiB of pseudo-random bytes):
            curl -s -o OUT STORAGE/lfs/SHA       (direct storage URL: the reference)
            curl -s -L -o OUT HUB/.../resolve/..  (through the hub's redirect)
            curl -s -o OUT STORAGE/.. && sync OUT (informational: curl plus an fsync of
                                                    the file, as llava-verify does before
                                                    the rename)
            curl -s -o OUT STORAGE/.. && sha256sum OUT  (download, then hash: hashing
                                                    "added after")
            llava-verify fetch big.json --dest DIR --endpoint HUB --no-progress
              (manifest with size and sha256; URL https://huggingface.co/.../resolve/..,
              which --endpoint points at the hub, so it follows the 302 as users' do)
  four    four files part-1.bin .. part-4.bin (SMALL_MIB MiB each), one manifest:
            llava-verify fetch four.json --jobs 1   and   --jobs 4
With --tls, both sets run a second time over HTTPS (a second nginx from
start_nginx --tls; curl and llava-verify get --cacert); those figures are informational.

Runs: RUNS timed runs per command, round-robin within its set, each under
/usr/bin/time -v; median wall time (bash \$EPOCHREALTIME around the command), largest
peak RSS. No untimed warm-up run: before each set the source files are read once
(cat, and fincore shows they are resident), because these VMs page out page cache left
untouched for ~60 s (DAMON); within a set every run reads them again. Before each run
(untimed) the command's output folder is deleted and \`sync\` flushes dirty pages; after
it (untimed) the output is checked and deleted at once, so that no run pays for an
earlier run's writeback. The outputs go to DATA/out, on the same disk as the sources:
writing the bytes is part of what is measured for every command. (Only llava-verify
fsyncs its file; "curl + sync" shows what that costs curl.)

Columns: MB/s = bytes / median time (MB = 10^6 bytes); cores = (user + sys) / wall of the
command and its children (/usr/bin/time), median of the runs; RSS = largest peak RSS
(MB); "× ref" = the reference's median time / this command's (throughput relative to
the reference: curl -o in single, --jobs 1 in four; above 1, faster); server = CPU nginx
used during the run, in cores (median); other = the most CPU other processes used during
one run (all ticks in /proc/stat minus this command's and nginx's), in cores: it
includes kernel writeback threads; runs marked * had more than 0.15 cores and 0.05 s of it.

Checks (untimed): every command exits 0; after every run the output file(s) have the
sha256 recorded when the data were made (openssl dgst); curl + sha256sum printed that
sha256; llava-verify leaves no .part or .etag file and says "OK" for every file; the
storage host's log shows no cut or failed transfer.

Targets (HTTP set): llava-verify's throughput on big.bin / curl -o's >= $T_LV_VS_CURL (also
printed against curl -L, and the seconds it adds to curl against those sha256sum adds);
llava-verify --jobs 4 CPU use > $T_JOBS4_CORES core; the speed-up of --jobs 4 over --jobs 1
(informational).

Data: DATA/files/big.bin and DATA/files/part-{1..4}.bin, AES-128-CTR keystream from
\`openssl enc\` keyed by the seed and the name (deterministic, ~1-2 GB/s), with their
sha256 computed once (openssl dgst) and cached in DATA/files.sha256 with the stamp
DATA/stamp (parameters, and each file's size and mtime): reused while it matches.
Needs ~$(( (BIG_MIB + 4 * SMALL_MIB) / 1024 + BIG_MIB / 1024 + 1 )) GiB free at the defaults (data, plus one output at a time).
One run at a time per DATA folder (a lock, DATA/.lock). At the defaults with RUNS=3
it takes ~4 min (~8 with --tls).

Options:
  --runs N         timed runs per command, median reported (default: $RUNS)
  --sets LIST      comma-separated subset of single,four (default: $SETS)
  --tls            also run the sets over HTTPS
  --big-mib N      size of big.bin in MiB (default: $BIG_MIB)
  --small-mib N    size of each of the four files in MiB (default: $SMALL_MIB)
  --seed N         generator seed (default: $SEED)
  --data DIR       where the data and outputs go (default: $DATA_DIR)
  --regen          regenerate the data even when the stamp matches
  --bin PATH       llava-verify binary (default: build/release/llava-verify)
  --build          build it first: cmake --preset release && cmake --build --preset release
  -h, --help       this message

Exit status: 0 when every command succeeded and every check passed, 1 otherwise
(missed performance targets are reported, not turned into a failure); 2 usage.
EOF
}

die() { echo "bench_fetch: $*" >&2; exit 2; }

while (($#)); do
  case $1 in
    --runs) need_uint "$1" "${2:-}"; RUNS=$2; shift ;;
    --sets) SETS=${2:?}; shift ;;
    --tls) TLS=1 ;;
    --big-mib) need_uint "$1" "${2:-}"; BIG_MIB=$2; shift ;;
    --small-mib) need_uint "$1" "${2:-}"; SMALL_MIB=$2; shift ;;
    --seed) need_uint "$1" "${2:-}"; SEED=$2; shift ;;
    --data) DATA_DIR=${2:?}; shift ;;
    --regen) REGEN=1 ;;
    --bin) BIN=${2:?}; shift ;;
    --build) BUILD=1 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
  shift
done
((RUNS >= 1)) || die "--runs must be at least 1"
((BIG_MIB >= 1 && SMALL_MIB >= 1)) || die "--big-mib and --small-mib must be at least 1"
for s in ${SETS//,/ }; do
  [[ $s == single || $s == four ]] || die "unknown set '$s' (single, four)"
done

use_data_dir --data
lock_data_dir bench_fetch.sh

use_binary
for tool in /usr/bin/time curl openssl sha256sum sync fincore /usr/bin/python3; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
NGINX_BIN=${NGINX_BIN:-$(command -v nginx || echo /usr/sbin/nginx)}
[[ -x $NGINX_BIN ]] || die "nginx not found (apt-get install nginx; see scripts/install-deps.sh)"

# shellcheck source=../tests/net/harness.sh
source "$REPO/tests/net/harness.sh"
# The harness's watchdog stops nginx after $NGINX_TIMEOUT s (300 by default): a
# benchmark pass can take longer. It still stops nginx if this shell dies.
export NGINX_TIMEOUT=${NGINX_TIMEOUT:-7200}
trap 'stop_nginx || true' EXIT   # (|| true: the harness's functions are not written for set -e)
trap 'exit 130' INT TERM

FILES=$DATA_DIR/files
OUT=$DATA_DIR/out
MIB=1048576
BIG_BYTES=$((BIG_MIB * MIB))
SMALL_BYTES=$((SMALL_MIB * MIB))
SMALL_NAMES=(part-1.bin part-2.bin part-3.bin part-4.bin)
STATUS=0

# ---- header -----------------------------------------------------------------
echo "llava-verify fetch benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(machine_desc);" \
  "vm.dirty_background_ratio $(cat /proc/sys/vm/dirty_background_ratio), dirty_ratio $(cat /proc/sys/vm/dirty_ratio)"
echo "binary:  $(binary_desc)"
echo "tools:   $(curl --version | head -1 | cut -d' ' -f1-5); $("$NGINX_BIN" -v 2>&1 | sed 's/.*: //') (1 worker, sendfile on); $(openssl version | cut -d' ' -f1-2); $(sha256sum --version | head -1)"
echo "disk:    $OUT on $(df --output=source,fstype "$DATA_DIR" 2>/dev/null | tail -1 | awk '{ print $1 " (" $2 ")" }'), the sources' disk"

# ---- data -------------------------------------------------------------------
# AES-128-CTR keystream: deterministic, incompressible, far faster than /dev/urandom.
gen_file() {  # NAME BYTES
  local key
  key=$(printf 'llava-bench-fetch seed %s file %s' "$SEED" "$1" | openssl dgst -sha256 -r | cut -c1-32)
  { openssl enc -aes-128-ctr -nosalt -K "$key" -iv 00000000000000000000000000000000 </dev/zero 2>/dev/null || true; } |
    head -c "$2" >"$FILES/$1.tmp"
  [[ $(stat -c %s "$FILES/$1.tmp") == "$2" ]] || die "generating $1 failed (short output)"
  mv "$FILES/$1.tmp" "$FILES/$1"
}
want_stamp() {
  echo "bench_fetch data v1: openssl aes-128-ctr, seed $SEED, big.bin $BIG_BYTES bytes, 4 x $SMALL_BYTES bytes"
  local n
  for n in big.bin "${SMALL_NAMES[@]}"; do
    [[ -f $FILES/$n ]] && stat -c "%n %s %Y" "$FILES/$n" | sed "s|^$FILES/||"
  done
  return 0
}
mkdir -p "$FILES"
if ((REGEN)) || [[ ! -f $DATA_DIR/stamp || ! -f $DATA_DIR/files.sha256 ]] || ! cmp -s "$DATA_DIR/stamp" <(want_stamp) ||
  (($(wc -l <"$DATA_DIR/stamp") != 6)); then
  rm -f "$DATA_DIR/stamp" "$DATA_DIR/files.sha256"
  need=$((BIG_BYTES + 4 * SMALL_BYTES + BIG_BYTES + 256 * MIB))
  have=$(df --output=avail -B1 "$DATA_DIR" | tail -1)
  ((have > need)) || die "need $(awk -v b="$need" 'BEGIN { printf "%.1f GB", b / 1e9 }') free under $DATA_DIR, there are $(awk -v b="$have" 'BEGIN { printf "%.1f GB", b / 1e9 }')"
  echo "data:    generating $FILES (big.bin $BIG_MIB MiB, 4 x $SMALL_MIB MiB) ..."
  t0=$EPOCHREALTIME
  rm -f "$FILES"/*.bin "$FILES"/*.tmp
  gen_file big.bin "$BIG_BYTES"
  for n in "${SMALL_NAMES[@]}"; do gen_file "$n" "$SMALL_BYTES"; done
  (cd "$FILES" && openssl dgst -sha256 -r big.bin "${SMALL_NAMES[@]}") | sed 's/ \*/ /' >"$DATA_DIR/files.sha256.tmp"
  mv "$DATA_DIR/files.sha256.tmp" "$DATA_DIR/files.sha256"
  want_stamp >"$DATA_DIR/stamp"
  echo "data:    generated and hashed in $(awk -v a="${t0/./}" -v b="${EPOCHREALTIME/./}" 'BEGIN { printf "%.1f s", (b - a) / 1e6 }')"
else
  echo "data:    $FILES reused (stamp matches: $DATA_DIR/stamp)"
fi
declare -A SHA SIZE
while read -r h n; do SHA[$n]=$h; SIZE[$n]=$(stat -c %s "$FILES/$n"); done <"$DATA_DIR/files.sha256"
for n in big.bin "${SMALL_NAMES[@]}"; do [[ -n ${SHA[$n]:-} ]] || die "no cached sha256 for $n (try --regen)"; done
echo "data:    big.bin ${SIZE[big.bin]} bytes (sha256 ${SHA[big.bin]:0:16}...); ${SMALL_NAMES[*]} ${SIZE[part-1.bin]} bytes each"

# start_nginx names each stored file by its sha256, which it gets from `sha256sum`
# (coreutils, ~350 MB/s here: 12 s for these 4 GiB at every start). A function of that
# name answers from the cache above for our files, and defers to the real one otherwise.
FILES_REAL=$(realpath "$FILES")
sha256sum() {
  if (($# == 1)) && [[ $1 == "$FILES_REAL"/* && -n ${SHA[${1#"$FILES_REAL"/}]:-} ]]; then
    printf '%s  %s\n' "${SHA[${1#"$FILES_REAL"/}]}" "$1"
  else
    command sha256sum "$@"
  fi
}

# Manifests (llava-verify-manifest/1, as net_manifest writes them, from the cached
# sha256): URLs on https://huggingface.co, which --endpoint HUB_URL replaces.
write_manifest() {  # OUT NAME...
  local out=$1 n sep="" base="https://huggingface.co/$HUB_REPO/resolve/$HUB_REVISION"; shift
  {
    printf '{\n  "format": "llava-verify-manifest/1",\n'
    printf '  "source": {"repository": "%s", "revision": "%s", "url": "https://huggingface.co/%s"},\n' \
      "$HUB_REPO" "$HUB_REVISION" "$HUB_REPO"
    printf '  "files": ['
    for n in "$@"; do
      printf '%s\n    {"path": "%s", "size": %s, "sha256": "%s", "url": "%s/%s"}' "$sep" "$n" "${SIZE[$n]}" "${SHA[$n]}" "$base" "$n"
      sep=,
    done
    printf '\n  ]\n}\n'
  } >"$out"
}
rm -rf "$OUT"
mkdir -p "$OUT"
# One output at a time (each is deleted right after its check): room for the largest set.
need=$((BIG_BYTES > 4 * SMALL_BYTES ? BIG_BYTES : 4 * SMALL_BYTES))
need=$((need + 256 * MIB))
have=$(df --output=avail -B1 "$OUT" | tail -1)
((have > need)) || die "the outputs need $(awk -v b="$need" 'BEGIN { printf "%.1f GB", b / 1e9 }') free under $OUT, there are $(awk -v b="$have" 'BEGIN { printf "%.1f GB", b / 1e9 }')"
M_BIG=$OUT/big.json
M_FOUR=$OUT/four.json
write_manifest "$M_BIG" big.bin
write_manifest "$M_FOUR" "${SMALL_NAMES[@]}"

HAVE_FETCH=1
if ! "$BIN" fetch --help 2>&1 | grep -qi 'usage:.* fetch\b'; then
  HAVE_FETCH=0
  echo "note:    this llava-verify has no 'fetch' subcommand; its steps are skipped"
fi

# ---- the commands -------------------------------------------------------------
# Each runs with WRAP (empty, or /usr/bin/time -v -o FILE) in front; outputs under OUT/CMD.
WRAP=()
PROTO=http
CURL_TLS=() LV_TLS=()
URL_DIRECT="" URL_HUB=""
cmd_curl() { "${WRAP[@]}" curl -s "${CURL_TLS[@]}" -o "$OUT/curl/big.bin" "$URL_DIRECT"; }
cmd_curl_l() { "${WRAP[@]}" curl -s "${CURL_TLS[@]}" -L -o "$OUT/curl_l/big.bin" "$URL_HUB"; }
cmd_curl_sync() {
  "${WRAP[@]}" sh -c 'f=$1 u=$2; shift 2; curl -s "$@" -o "$f" "$u" && sync "$f"' sh \
    "$OUT/curl_sync/big.bin" "$URL_DIRECT" "${CURL_TLS[@]}"
}
cmd_curl_sha() {
  "${WRAP[@]}" sh -c 'f=$1 u=$2; shift 2; curl -s "$@" -o "$f" "$u" && sha256sum "$f"' sh \
    "$OUT/curl_sha/big.bin" "$URL_DIRECT" "${CURL_TLS[@]}"
}
cmd_lv() { "${WRAP[@]}" "$BIN" fetch "$M_BIG" --dest "$OUT/lv" --endpoint "$HUB_URL" --no-progress "${LV_TLS[@]}"; }
cmd_lv_j1() { "${WRAP[@]}" "$BIN" fetch "$M_FOUR" --dest "$OUT/lv_j1" --jobs 1 --endpoint "$HUB_URL" --no-progress "${LV_TLS[@]}"; }
cmd_lv_j4() { "${WRAP[@]}" "$BIN" fetch "$M_FOUR" --dest "$OUT/lv_j4" --jobs 4 --endpoint "$HUB_URL" --no-progress "${LV_TLS[@]}"; }

declare -A LABEL=(
  [curl]="curl -o (storage URL)"
  [curl_l]="curl -L -o (hub, 302)"
  [curl_sync]="curl -o && sync FILE"
  [curl_sha]="curl -o && sha256sum"
  [lv]="llava-verify fetch"
  [lv_j1]="llava-verify fetch --jobs 1"
  [lv_j4]="llava-verify fetch --jobs 4"
)
declare -A IS_LV=([lv]=1 [lv_j1]=1 [lv_j4]=1)
declare -A SET_CMDS=([single]="curl curl_l curl_sync curl_sha lv" [four]="lv_j1 lv_j4")
declare -A SET_FILES=([single]="big.bin" [four]="${SMALL_NAMES[*]}")
declare -A REF=([single]=curl [four]=lv_j1)
declare -A TIMES MED RSS RC OTHER CORES SERVER BAD

# ---- timing -------------------------------------------------------------------
set_bytes() { local n t=0; for n in ${SET_FILES[$1]}; do t=$((t + SIZE[$n])); done; echo "$t"; }

# CPU ticks (user + system) of nginx's master and workers so far.
nginx_ticks() {
  local p t=0 f
  for p in "$NGINX_PID" $(cat /proc/"$NGINX_PID"/task/*/children 2>/dev/null); do
    f=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    f=${f##*) }   # the fields after "(comm) "; utime and stime are the 12th and 13th
    t=$((t + $(awk '{ print $12 + $13 }' <<<"$f")))
  done
  echo "$t"
}

# other_load T0 T1 STAT0 STAT1 KIDS0 KIDS1 NG0 NG1: the run's wall time (s), the CPU
# nginx used, and the CPU other processes used meanwhile, in cores: all CPU time the
# kernel counted (/proc/stat ticks) minus the command's (bash `times`, children) and nginx's.
other_load() {
  awk -v t0="$(usecs "$1")" -v t1="$(usecs "$2")" -v a="$3" -v b="$4" -v k0="$5" -v k1="$6" \
    -v ng="$(($8 - $7))" -v hz="$(getconf CLK_TCK)" '
    function secs(s,   m) { m = s; sub(/m.*/, "", m); sub(/^[0-9]+m/, "", s); sub(/s$/, "", s); return m * 60 + s }
    function kids(t,   f) { split(t, f, " "); return secs(f[1]) + secs(f[2]) }
    function busy(l,   f, i, t) { split(l, f, " "); t = 0; for (i = 2; i <= 9; i++) if (i != 5 && i != 6) t += f[i]; return t / hz }
    BEGIN {
      wall = (t1 - t0) / 1e6
      server = ng / hz
      other = (busy(b) - busy(a)) - (kids(k1) - kids(k0)) - server - 0.03  # minus 3 ticks of rounding
      if (other < 0) other = 0
      printf "%.3f %.2f %.2f\n", wall, server / wall, other / wall
    }'
}


# warm SET: read the set's source files into the page cache; print how much is resident.
warm() {
  local n paths=() line=""
  for n in ${SET_FILES[$1]}; do paths+=("$FILES/$n"); done
  cat "${paths[@]}" >/dev/null
  for n in ${SET_FILES[$1]}; do
    line+="${line:+, }$n $(fincore -b -n -o RES "$FILES/$n" | awk -v s="${SIZE[$n]}" '{ printf "%.0f%%", 100 * $1 / s }')"
  done
  echo "warm:    source files read (cat); resident in page cache: $line"
}

# check_output SET CMD KEY: untimed, after each run: the files have the recorded sha256.
check_output() {
  local set=$1 c=$2 k=$3 n f got
  for n in ${SET_FILES[$set]}; do
    f=$OUT/$c/$n
    if [[ ! -f $f ]]; then
      BAD[$k]+="$n missing; "
      continue
    fi
    got=$(openssl dgst -sha256 -r "$f" | cut -d' ' -f1)
    [[ $got == "${SHA[$n]}" ]] || BAD[$k]+="$n sha256 $got; "
  done
  if [[ $c == curl_sha ]]; then
    got=$(awk 'NR == 1 { print $1 }' "$OUT/$k.out")
    [[ $got == "${SHA[big.bin]}" ]] || BAD[$k]+="sha256sum printed '$got'; "
  fi
  if [[ -n ${IS_LV[$c]:-} ]]; then
    if compgen -G "$OUT/$c/*.part*" >/dev/null; then BAD[$k]+="leftover $(cd "$OUT/$c" && ls -- *.part* | head -3 | tr '\n' ' '); "; fi
    for n in ${SET_FILES[$set]}; do
      grep -qx "$n: OK" "$OUT/$k.out" || BAD[$k]+="no '$n: OK' line; "
    done
  fi
  return 0
}

# run_once SET CMD: one run under /usr/bin/time -v; appends to TIMES, updates RSS/RC/OTHER/...
run_once() {
  local set=$1 c=$2 k=$PROTO.$1.$2 rc=0 t0 t1 stat0 stat1 kids0 kids1 ng0 ng1 run server other u s
  rm -rf "${OUT:?}/$c"
  mkdir -p "$OUT/$c"
  sync
  WRAP=(/usr/bin/time -v -o "$OUT/$k.time")
  stat0=$(head -1 /proc/stat); times >"$OUT/times"; kids0=$(tail -1 "$OUT/times"); ng0=$(nginx_ticks)
  t0=$EPOCHREALTIME
  "cmd_$c" >"$OUT/$k.out" 2>"$OUT/$k.err" || rc=$?
  t1=$EPOCHREALTIME
  stat1=$(head -1 /proc/stat); times >"$OUT/times"; kids1=$(tail -1 "$OUT/times"); ng1=$(nginx_ticks)
  WRAP=()
  ((rc == 0)) || RC[$k]=$rc
  read -r u s rss < <(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident/ { r = $2 }
    END { print u + 0, s + 0, r + 0 }' "$OUT/$k.time")
  ((rss > ${RSS[$k]:-0})) && RSS[$k]=$rss
  read -r run server other < <(other_load "$t0" "$t1" "$stat0" "$stat1" "$kids0" "$kids1" "$ng0" "$ng1")
  TIMES[$k]+="$run"
  awk -v o="$other" -v w="$run" 'BEGIN { exit !(o > 0.15 && o * w >= 0.05) }' && TIMES[$k]+="*"
  TIMES[$k]+=" "
  CORES[$k]+="$(awk -v u="$u" -v s="$s" -v w="$run" 'BEGIN { printf "%.3f", (u + s) / w }') "
  SERVER[$k]+="$server "
  OTHER[$k]=$(awk -v a="${OTHER[$k]:-0}" -v b="$other" 'BEGIN { printf "%.2f", (b > a) ? b : a }')
  check_output "$set" "$c" "$k"
  rm -rf "${OUT:?}/$c"   # at once: its dirty pages are dropped, not written back under the next run
}

# run_set SET: RUNS round-robin timed runs of the set's commands.
CMDS=()
run_set() {
  local set=$1 c r
  CMDS=()
  for c in ${SET_CMDS[$set]}; do
    [[ -n ${IS_LV[$c]:-} ]] && ((!HAVE_FETCH)) && continue
    CMDS+=("$c")
  done
  sync
  warm "$set"
  echo "runs:    $RUNS timed runs per command, round-robin; before the runs: $(cpu_busy)"
  for ((r = 1; r <= RUNS; r++)); do
    for c in "${CMDS[@]}"; do
      run_once "$set" "$c"
    done
  done
  for c in "${CMDS[@]}"; do
    MED[$PROTO.$set.$c]=$(echo "${TIMES[$PROTO.$set.$c]% }" | tr -d '*' | median)
  done
}

ran() { [[ -n ${MED[$1]:-} ]]; }
good() { ran "$1" && [[ -z ${RC[$1]:-} && -z ${BAD[$1]:-} ]]; }  # ran, every run exited 0 and verified

# report SET: the table for one set.
report() {
  local set=$1 c k med ok ref=$PROTO.$1.${REF[$1]} bytes
  bytes=$(set_bytes "$set")
  echo
  printf '%-30s %9s  %-*s %7s %6s %7s %7s %6s %6s  %s\n' "command" "median s" $((8 * RUNS + 1)) "runs (s)" \
    "MB/s" "cores" "RSS MB" "× ref" "server" "other" "exit"
  for c in "${CMDS[@]}"; do
    k=$PROTO.$set.$c
    med=${MED[$k]}
    ok=ok
    if [[ -n ${RC[$k]:-} ]]; then ok="FAILED (exit ${RC[$k]})"; STATUS=1; fi
    printf '%-30s %9.3f  %-*s %7.0f %6.2f %7s %6s %6.2f %6s  %s\n' "${LABEL[$c]}" "$med" $((8 * RUNS + 1)) "${TIMES[$k]}" \
      "$(awk -v b="$bytes" -v t="$med" 'BEGIN { printf "%.1f", b / t / 1e6 }')" \
      "$(echo "${CORES[$k]% }" | median)" "$(mb "${RSS[$k]:-0}")" \
      "$(if ran "$ref"; then ratio "${MED[$ref]}" "$med"; else echo -; fi)" \
      "$(echo "${SERVER[$k]% }" | median)" "${OTHER[$k]}" "$ok"
  done
  for c in "${CMDS[@]}"; do
    k=$PROTO.$set.$c
    if [[ -n ${RC[$k]:-} ]]; then
      echo "  ${LABEL[$c]} exited ${RC[$k]}; its stderr ($OUT/$k.err):"
      head -5 "$OUT/$k.err" | sed 's/^/    /'
    fi
  done
}

legend() {
  echo "(MB/s: bytes / median time, MB = 10^6; cores: (user + sys) / wall, median; RSS: largest peak RSS, MB;"
  echo " × ref: ${LABEL[${REF[$1]}]}'s median time / this one's, above 1 faster; server: nginx's CPU in cores,"
  echo " median; other: most CPU of other processes in one run (kernel writeback included), cores; * > 0.15 and 0.05 s)"
}

# ---- the passes (HTTP, and HTTPS with --tls) ---------------------------------------
PROTOS=(http); ((TLS)) && PROTOS+=(https)
declare -A STORAGE_BAD STORAGE_GETS
for PROTO in "${PROTOS[@]}"; do
  # 9>&-: nginx and the harness's watchdog must not inherit (and keep) the lock.
  if [[ $PROTO == https ]]; then
    start_nginx --tls "$FILES" 9>&- || die "nginx (TLS) did not start"
    CURL_TLS=(--cacert "$CACERT"); LV_TLS=(--cacert "$CACERT")
  else
    start_nginx "$FILES" 9>&- || die "nginx did not start"
    CURL_TLS=(); LV_TLS=()
  fi
  URL_HUB=$HUB_URL/datasets/$HUB_REPO_ID/resolve/$HUB_REVISION/big.bin
  URL_DIRECT=$STORAGE_URL/lfs/${SHA[big.bin]}
  loc=$(curl -s "${CURL_TLS[@]}" -o /dev/null -w '%{http_code} %{redirect_url}' "$URL_HUB") || die "the hub does not answer: $URL_HUB"
  [[ $loc == "302 $URL_DIRECT" ]] || die "the hub answered '$loc', expected '302 $URL_DIRECT'"
  for set in single four; do
    has_set "$set" || continue
    echo
    case $set in
      single) echo "== $PROTO single: big.bin, $(set_bytes single) bytes; hub $HUB_URL -> storage $STORAGE_URL ==" ;;
      four) echo "== $PROTO four: ${SMALL_NAMES[*]}, $(set_bytes four) bytes in all ==" ;;
    esac
    run_set "$set"
    report "$set"
    legend "$set"
  done
  # The storage host's log: every transfer whole (no cut or failed request).
  STORAGE_BAD[$PROTO]=$(logq "$STORAGE_LOG" 'r["status"] >= 400 or r["completion"] != "OK"')
  STORAGE_GETS[$PROTO]=$(logq "$STORAGE_LOG" 'r["method"] == "GET" and r["status"] in (200, 206)')
  stop_nginx || true
done

# ---- checks -------------------------------------------------------------------
echo
echo "== checks =="
for PROTO in "${PROTOS[@]}"; do
  want_gets=0
  for set in single four; do
    has_set "$set" || continue
    nfiles=$(wc -w <<<"${SET_FILES[$set]}")
    for c in ${SET_CMDS[$set]}; do
      k=$PROTO.$set.$c
      if ! ran "$k"; then
        echo "  $PROTO $set: ${LABEL[$c]}: skipped (this llava-verify has no 'fetch' subcommand)"
        continue
      fi
      want_gets=$((want_gets + RUNS * nfiles))
      if [[ -n ${RC[$k]:-} ]]; then
        echo "  $PROTO $set: ${LABEL[$c]}: a run exited ${RC[$k]}: FAILED"; STATUS=1
      elif [[ -n ${BAD[$k]:-} ]]; then
        echo "  $PROTO $set: ${LABEL[$c]}: ${BAD[$k]}FAILED"; STATUS=1
      else
        what="exit 0, the output has the recorded sha256"
        ((nfiles > 1)) && what="exit 0, all $nfiles outputs have the recorded sha256"
        [[ $c == curl_sha ]] && what+=", and sha256sum printed it"
        [[ -n ${IS_LV[$c]:-} ]] && what+=", 'NAME: OK' for each file, no .part or .etag left"
        echo "  $PROTO $set: ${LABEL[$c]}: $what, in each of $RUNS runs"
      fi
    done
  done
  if [[ ${STORAGE_BAD[$PROTO]} == 0 && ${STORAGE_GETS[$PROTO]} == "$want_gets" ]]; then
    echo "  $PROTO: storage host log: ${STORAGE_GETS[$PROTO]} whole GETs (one per file per run: no retry), none cut or failed"
  else
    echo "  $PROTO: storage host log: ${STORAGE_GETS[$PROTO]} GETs answered 200/206 (want $want_gets), ${STORAGE_BAD[$PROTO]} cut or failed: FAILED"
    STATUS=1
  fi
done

# ---- targets --------------------------------------------------------------------
TARGETS=()
target() {  # target TEXT VALUE OP LIMIT
  local met
  met=$(awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN { print (op == ">=" ? v >= l : op == ">" ? v > l : v <= l) ? "met" : "NOT met" }')
  TARGETS+=("$(printf '  %-62s %8s  (target %s %s)  %s' "$1" "$2" "$3" "$4" "$met")")
}
info() { TARGETS+=("$(printf '  %-62s %8s  (%s)' "$1" "$2" "$3")"); }
secs_diff() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.2f", a - b }'; }
for PROTO in "${PROTOS[@]}"; do
  P=$PROTO.single
  if has_set single; then
    if good "$P.lv" && good "$P.curl"; then
      if [[ $PROTO == http ]]; then
        target "$PROTO single: lv throughput / curl -o (storage URL) (×)" "$(ratio "${MED[$P.curl]}" "${MED[$P.lv]}")" ">=" "$T_LV_VS_CURL"
      else
        info "https single: lv throughput / curl -o (storage URL) (×)" "$(ratio "${MED[$P.curl]}" "${MED[$P.lv]}")" "informational"
      fi
      good "$P.curl_l" && info "$PROTO single: lv throughput / curl -L -o via the hub (×)" \
        "$(ratio "${MED[$P.curl_l]}" "${MED[$P.lv]}")" "informational: lv also follows the 302"
      good "$P.curl_sync" && info "$PROTO single: lv throughput / (curl -o && sync FILE) (×)" \
        "$(ratio "${MED[$P.curl_sync]}" "${MED[$P.lv]}")" "informational: both write the file to disk"
      if good "$P.curl_sha"; then
        info "$PROTO single: seconds lv adds to curl -o" "$(secs_diff "${MED[$P.lv]}" "${MED[$P.curl]}")" \
          "informational: sha256sum after curl adds $(secs_diff "${MED[$P.curl_sha]}" "${MED[$P.curl]}") s"
        info "$PROTO single: seconds fsync adds to curl -o (curl && sync FILE)" \
          "$(secs_diff "${MED[$P.curl_sync]:-0}" "${MED[$P.curl]}")" "informational"
      fi
    else
      info "$PROTO single: lv throughput / curl -o (×)" "-" "skipped: lv or curl did not run cleanly"
    fi
  fi
  F=$PROTO.four
  if has_set four; then
    if good "$F.lv_j4"; then
      c4=$(echo "${CORES[$F.lv_j4]% }" | median)
      if [[ $PROTO == http ]]; then
        target "$PROTO four: lv --jobs 4 CPU use, (user+sys)/wall (cores)" "$(printf '%.2f' "$c4")" ">" "$T_JOBS4_CORES"
      else
        info "https four: lv --jobs 4 CPU use (cores)" "$(printf '%.2f' "$c4")" "informational"
      fi
      good "$F.lv_j1" && info "$PROTO four: lv --jobs 4 speed-up vs --jobs 1 (×)" "$(ratio "${MED[$F.lv_j1]}" "${MED[$F.lv_j4]}")" \
        "informational; --jobs 1 used $(printf '%.2f' "$(echo "${CORES[$F.lv_j1]% }" | median)") cores"
    else
      info "$PROTO four: lv --jobs 4 CPU use (cores)" "-" "skipped: lv --jobs 4 did not run cleanly"
    fi
  fi
  for c in lv lv_j1 lv_j4; do
    for set in single four; do
      if good "$PROTO.$set.$c"; then info "$PROTO $set: ${LABEL[$c]} peak RSS (MB)" "$(mb "${RSS[$PROTO.$set.$c]}")" "informational"; fi
    done
  done
done
echo
echo "== targets (same-run figures; this machine class drifts ±15% between runs) =="
printf '%s\n' "${TARGETS[@]}"
echo "outputs: $OUT (logs and /usr/bin/time -v files; the downloaded files are deleted after each run)"
exit $STATUS
