#!/usr/bin/env bash
# Builds the `fuzz` preset (clang++, libFuzzer, ASan+UBSan) and runs each fuzz
# target for SECONDS (default 60), one after the other, on a copy of its seed
# corpus in a temporary folder. Prints, per target, the executions, their rate,
# the corpus size before and after, and whether it crashed (with the path of
# the crashing input). Exits 1 when any target crashed, 2 when it could not run.
#
#   fuzz/run.sh [SECONDS] [TARGET...]      e.g. fuzz/run.sh 60, fuzz/run.sh 10 zip
#
# FUZZ_KEEP=1 keeps the temporary folder (the grown corpora) even without a crash.
# A crash: minimise it (build/fuzz/fuzz_T -minimize_crash=1 -runs=10000 CRASH),
# add it to fuzz/regressions/T/, fix the bug; ctest -L fuzz-replay replays it.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
all=(manifest_text manifest_hashdeep manifest_json records rewrite zip http_headers image_check image_decode)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

max_len() {
  case "$1" in
    zip) echo 16384 ;;
    http_headers) echo 1024 ;;
    *) echo 4096 ;;
  esac
}

echo "== fuzz: building (preset fuzz)"
if ! { cmake --preset fuzz >/dev/null && cmake --build --preset fuzz; }; then
  echo "fuzz: the build failed" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/llava-verify-fuzz.XXXXXX")
crashed=()
printf '%-18s %10s %8s %14s  %s\n' target execs exec/s corpus result
for t in "${targets[@]}"; do
  bin=build/fuzz/fuzz_$t
  if [ ! -x "$bin" ]; then
    echo "fuzz: no target $t" >&2
    exit 2
  fi
  mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
  cp fuzz/corpus/"$t"/* "$work/$t/corpus/"
  # Past crashes seed the run too: mutations of them are where the next bug hides.
  if [ -d fuzz/regressions/"$t" ]; then cp fuzz/regressions/"$t"/* "$work/$t/corpus/"; fi
  before=$(find "$work/$t/corpus" -type f | wc -l)
  log=$work/$t/log
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$bin" "$work/$t/corpus" -max_total_time="$seconds" -max_len="$(max_len "$t")" -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="$work/$t/artifacts/" -print_final_stats=1 >"$log" 2>&1
  rc=$?
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
  rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log")
  after=$(find "$work/$t/corpus" -type f | wc -l)
  artifact=$(find "$work/$t/artifacts" -type f | head -n 1)
  if [ $rc -ne 0 ] || [ -n "$artifact" ]; then
    crashed+=("$t")
    result="CRASH: ${artifact:-see $log}"
    grep -a -m 5 -E 'ERROR|invariant violated|runtime error|SUMMARY' "$log" | sed 's/^/    /'
  else
    result=ok
  fi
  printf '%-18s %10s %8s %14s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "$before -> $after" "$result"
done

if [ ${#crashed[@]} -gt 0 ]; then
  echo "fuzz: crashes in ${crashed[*]}; logs and inputs in $work" >&2
  exit 1
fi
if [ "${FUZZ_KEEP:-0}" = 1 ]; then
  echo "fuzz: no crash; corpora kept in $work"
else
  rm -rf "$work"
  echo "fuzz: no crash"
fi
