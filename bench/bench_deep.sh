#!/usr/bin/env bash
# missing --deep (the structure walk) against missing without it plus reading every
# byte once (find -exec cat), on CC3M-sized JPEGs made by bench/gen_jpegs.py; warm
# cache, round-robin, medians. Issue 15's target: --deep within 1.5x of the sum.
#   bench/bench_deep.sh [--bin PATH] [--files N] [--data DIR] [--runs N]
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
BIN=$REPO/build/release/llava-verify FILES=60000 DATA_DIR=/tmp/lv-bench-deep RUNS=5
die() { echo "bench_deep: $*" >&2; exit 2; }
source "$REPO/bench/lib.sh"
while [ $# -gt 0 ]; do
  case $1 in
    --bin) BIN=$2; shift 2 ;;
    --files) need_uint --files "$2"; FILES=$2; shift 2 ;;
    --data) DATA_DIR=$2; shift 2 ;;
    --runs) need_uint --runs "$2"; RUNS=$2; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
[ -x "$BIN" ] || die "no binary at $BIN (cmake --preset release && cmake --build --preset release)"
use_data_dir
if [ "$(cat "$DATA_DIR/.files" 2>/dev/null)" != "$FILES" ]; then
  rm -rf "$DATA_DIR/images" && /usr/bin/python3 "$REPO/bench/gen_jpegs.py" "$DATA_DIR" --files "$FILES"
  echo "$FILES" > "$DATA_DIR/.files"
fi
cd "$DATA_DIR"
echo "bench_deep: $FILES JPEGs, $(du -sh images | cut -f1), $(date -u '+%F %H:%M UTC'); $(cpu_busy)"
find images -type f -exec cat {} + >/dev/null  # warm the cache
declare -A times
for ((r = 0; r < RUNS; r++)); do
  for name in missing deep cat; do
    t0=$EPOCHREALTIME
    case $name in
      missing) "$BIN" missing chat.json --images images >/dev/null || true ;;
      deep) "$BIN" missing chat.json --images images --deep >/dev/null || die "--deep called a whole JPEG corrupt" ;;
      cat) find images -type f -exec cat {} + >/dev/null ;;
    esac
    t1=$EPOCHREALTIME
    times[$name]+="$(awk -v a="$(usecs "$t0")" -v b="$(usecs "$t1")" 'BEGIN { printf "%.3f", (b - a) / 1e6 }') "
  done
done
for name in missing deep cat; do printf '%-8s median %s s  runs: %s\n' "$name" "$(echo "${times[$name]}" | median)" "${times[$name]}"; done
m=$(echo "${times[missing]}" | median) d=$(echo "${times[deep]}" | median) c=$(echo "${times[cat]}" | median)
echo "deep / (missing + cat) = $(ratio "$d" "$(awk -v a="$m" -v b="$c" 'BEGIN { print a + b }')")  (target <= 1.5)"
