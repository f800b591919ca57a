#!/usr/bin/env bash
# The archive compare (issue 15, item 3): `missing` over a folder and the images.zip it
# was unzipped from compares every file with its entry (size, then CRC-32 of the file).
# Timed against testing the same archive: `llava-verify zip` (every entry read, inflated
# and CRC-checked) and Info-ZIP's `unzip -tq`, and against `missing` with
# --no-archive-compare (what the compare adds). Warm cache, round-robin, medians.
# Issue 15's target: the compare within 1.3x of `zip` on the same archive.
#   bench/bench_compare.sh [--bin PATH] [--files N] [--data DIR] [--runs N] [--method deflate|store]
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
BIN=$REPO/build/release/llava-verify FILES=60000 DATA_DIR=/tmp/lv-bench-deep RUNS=5 METHOD=deflate
die() { echo "bench_compare: $*" >&2; exit 2; }
source "$REPO/bench/lib.sh"
while [ $# -gt 0 ]; do
  case $1 in
    --bin) BIN=$2; shift 2 ;;
    --files) need_uint --files "$2"; FILES=$2; shift 2 ;;
    --data) DATA_DIR=$2; shift 2 ;;
    --runs) need_uint --runs "$2"; RUNS=$2; shift 2 ;;
    --method) [[ $2 == deflate || $2 == store ]] || die "--method is deflate or store"; METHOD=$2; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
[ -x "$BIN" ] || die "no binary at $BIN (cmake --preset release && cmake --build --preset release)"
use_data_dir
if [ "$(cat "$DATA_DIR/.files" 2>/dev/null)" != "$FILES" ]; then
  rm -rf "$DATA_DIR/images" "$DATA_DIR"/images-*.zip && /usr/bin/python3 "$REPO/bench/gen_jpegs.py" "$DATA_DIR" --files "$FILES"
  echo "$FILES" > "$DATA_DIR/.files"
fi
cd "$DATA_DIR"
ZIP=images-$METHOD.zip
if [ ! -f "$ZIP" ]; then
  level=-6; [ "$METHOD" = store ] && level=-0
  (cd images && zip -q $level -r "../$ZIP.tmp" .) && mv "$ZIP.tmp" "$ZIP"
fi
echo "bench_compare: $FILES JPEGs, $(du -sh images | cut -f1); $ZIP $(du -h "$ZIP" | cut -f1); $(date -u '+%F %H:%M UTC'); $(cpu_busy)"
find images -type f -exec cat {} + >/dev/null; cat "$ZIP" >/dev/null  # warm the cache
declare -A times
names=(compare no-compare zip unzip-t)
for ((r = 0; r < RUNS; r++)); do
  for name in "${names[@]}"; do
    t0=$EPOCHREALTIME
    case $name in
      compare) "$BIN" missing chat.json --images images --images "$ZIP" > out.txt || die "the compare found a difference: $(cat out.txt)"
               grep -q "^same as their archive entry: $FILES of $FILES compared" out.txt || die "not every file was compared: $(cat out.txt)" ;;
      no-compare) "$BIN" missing chat.json --images images --images "$ZIP" --no-archive-compare >/dev/null ;;
      zip) "$BIN" zip "$ZIP" >/dev/null ;;
      unzip-t) unzip -tq "$ZIP" >/dev/null ;;
    esac
    t1=$EPOCHREALTIME
    times[$name]+="$(awk -v a="$(usecs "$t0")" -v b="$(usecs "$t1")" 'BEGIN { printf "%.3f", (b - a) / 1e6 }') "
  done
done
for name in "${names[@]}"; do printf '%-10s median %s s  runs: %s\n' "$name" "$(echo "${times[$name]}" | median)" "${times[$name]}"; done
c=$(echo "${times[compare]}" | median) z=$(echo "${times[zip]}" | median) u=$(echo "${times[unzip-t]}" | median)
echo "compare / zip = $(ratio "$c" "$z")  (target <= 1.3); compare / unzip -t = $(ratio "$c" "$u")"
