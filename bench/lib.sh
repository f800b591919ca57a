# Helpers the benchmark scripts share (sourced; each script defines die()).

need_uint() { [[ $2 =~ ^[0-9]+$ ]] || die "$1 needs a whole number, got '$2'"; }
has_set() { [[ ,$SETS, == *,$1,* ]]; }
# $EPOCHREALTIME as whole microseconds.
usecs() { local t=${1/./}; echo $((10#$t)); }
# The median of numbers separated by spaces (blank items ignored).
median() { tr ' ' '\n' | { grep . || true; } | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# KiB (as /usr/bin/time reports) in MB.
mb() { awk -v k="${1:-0}" 'BEGIN { printf "%.1f", k * 1024 / 1e6 }'; }
# Whether stderr FILE says the subcommand does not exist.
unknown_subcommand() { grep -qiE 'subcommand is required|unknown (sub)?command|not expected|unrecognized|extraneous' "$1"; }

cpu_busy() {
  local a b
  a=$(head -1 /proc/stat); sleep 1; b=$(head -1 /proc/stat)
  awk -v a="$a" -v b="$b" -v n="$(nproc)" 'BEGIN {
    split(a, x); split(b, y); t = 0; idle = (y[5] - x[5]) + (y[6] - x[6])
    for (i = 2; i <= 9; i++) t += y[i] - x[i]
    printf "%.0f%% of %d cores busy in the last second", 100 * (t - idle) / t, n }'
}

# use_data_dir [OPTION]: makes $DATA_DIR absolute and creates it; dies, before creating
# anything, when it is in the repository (OPTION names the flag in the message; --data).
use_data_dir() {
  DATA_DIR=$(realpath -m "$DATA_DIR")
  [[ $DATA_DIR != / && $DATA_DIR/ != "$(realpath "$REPO")"/* ]] || die "${1:---data} must be outside the repository"
  mkdir -p "$DATA_DIR"
}
# lock_data_dir NAME: one run at a time per data folder (fd 9 holds the lock until exit).
lock_data_dir() {
  command -v flock >/dev/null || die "flock not found"
  exec 9>"$DATA_DIR/.lock"
  flock -n 9 || die "another $1 is using $DATA_DIR (pass another --data, or wait)"
}
# use_binary: builds the release preset first when $BUILD is 1; makes $BIN absolute; dies when it is not there.
use_binary() {
  if ((BUILD)); then
    (cd "$REPO" && cmake --preset release >/dev/null && cmake --build --preset release) || die "build failed"
  fi
  [[ -x $BIN ]] || die "no binary at $BIN (build it: cmake --preset release && cmake --build --preset release, or pass --build)"
  BIN=$(cd "$(dirname "$BIN")" && pwd -P)/$(basename "$BIN")
}
# For the header lines: the machine, $BIN and $PYTHON.
machine_desc() {
  echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -sr)," \
    "$(awk '/MemTotal/ { printf "%.0f GB RAM", $2 / 1048576 }' /proc/meminfo)"
}
binary_desc() {
  echo "$BIN (modified $(date -u -r "$BIN" '+%Y-%m-%d %H:%M UTC'); repo $REPO at $(cd "$REPO" && git describe --always --dirty 2>/dev/null || echo '?'))"
}
python_desc() { echo "$PYTHON $("$PYTHON" -c 'import platform; print(platform.python_version())')"; }
# run_rounds: RUNS rounds of `run_once CMD` over COMMANDS, round-robin; then MED[CMD],
# the median of the times in TIMES[CMD] (a * after a time is a mark, ignored).
run_rounds() {
  local r c
  for ((r = 1; r <= RUNS; r++)); do
    for c in "${COMMANDS[@]}"; do
      run_once "$c"
    done
  done
  for c in "${COMMANDS[@]}"; do
    MED[$c]=$(echo "${TIMES[$c]% }" | tr -d '*' | median)
  done
}
# show_failures: for each command of COMMANDS with an RC, its exit and the head of $OUT/CMD.err.
show_failures() {
  local c
  for c in "${COMMANDS[@]}"; do
    if [[ -n ${RC[$c]:-} ]]; then
      echo "  ${LABEL[$c]} exited ${RC[$c]}; its stderr ($OUT/$c.err):"
      head -5 "$OUT/$c.err" | sed 's/^/    /'
    fi
  done
}
