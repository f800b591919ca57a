#!/usr/bin/env bash
# missing --deep=decode (issue 15, item 2) against what users run today to find the
# images their loader cannot open: a Python loop of Image.open(p).convert('RGB') with
# Debian's Pillow over the same files, on one process and on a Pool of one process per
# core; and against --deep (structure) and plain missing. Images from
# bench/gen_decode.py (300-500 px JPEGs, progressive JPEGs and PNGs); warm cache,
# round-robin, medians. Issue 15's target: decode at least 3x faster than the loop.
#   bench/bench_decode.sh [--bin PATH] [--files N] [--data DIR] [--runs N]
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
BIN=$REPO/build/release/llava-verify FILES=20000 DATA_DIR=/tmp/lv-bench-decode RUNS=3
die() { echo "bench_decode: $*" >&2; exit 2; }
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
  rm -rf "$DATA_DIR/images" && /usr/bin/python3 "$REPO/bench/gen_decode.py" "$DATA_DIR" --files "$FILES"
  echo "$FILES" > "$DATA_DIR/.files"
fi
cd "$DATA_DIR"
cat > loop.py <<'PY'
import json, os, sys
from multiprocessing import Pool
from PIL import Image
def load(name):
    Image.open(os.path.join("images", name)).convert("RGB")
    return 1
names = [r["image"] for r in json.load(open("chat.json"))]
procs = int(sys.argv[1])
if procs == 1:
    n = sum(load(x) for x in names)
else:
    with Pool(procs) as p:
        n = sum(p.imap_unordered(load, names, chunksize=64))
assert n == len(names)
PY
echo "bench_decode: $FILES images (300-500 px), $(du -sh images | cut -f1), $(date -u '+%F %H:%M UTC'); $(nproc) cores; $(cpu_busy)"
echo "Pillow $(/usr/bin/python3 -c 'import PIL; print(PIL.__version__)')"
find images -type f -exec cat {} + >/dev/null  # warm the cache
declare -A times
names=(decode structure missing pil-loop pil-pool)
for ((r = 0; r < RUNS; r++)); do
  for name in "${names[@]}"; do
    t0=$EPOCHREALTIME
    case $name in
      decode) "$BIN" missing chat.json --images images --deep=decode > out.txt || die "--deep=decode refused a whole image: $(cat out.txt)" ;;
      structure) "$BIN" missing chat.json --images images --deep >/dev/null || die "--deep refused a whole image" ;;
      missing) "$BIN" missing chat.json --images images >/dev/null ;;
      pil-loop) /usr/bin/python3 loop.py 1 ;;
      pil-pool) /usr/bin/python3 loop.py "$(nproc)" ;;
    esac
    t1=$EPOCHREALTIME
    times[$name]+="$(awk -v a="$(usecs "$t0")" -v b="$(usecs "$t1")" 'BEGIN { printf "%.3f", (b - a) / 1e6 }') "
  done
done
for name in "${names[@]}"; do printf '%-10s median %s s  runs: %s\n' "$name" "$(echo "${times[$name]}" | median)" "${times[$name]}"; done
d=$(echo "${times[decode]}" | median) l=$(echo "${times[pil-loop]}" | median) p=$(echo "${times[pil-pool]}" | median)
echo "pil-loop / decode = $(ratio "$l" "$d")  (target >= 3); pil-pool / decode = $(ratio "$p" "$d")"
/usr/bin/time -f '%M' -o rss.txt "$BIN" missing chat.json --images images --deep=decode >/dev/null
echo "decode peak RSS: $(mb "$(cat rss.txt)") MB"
