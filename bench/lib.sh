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
