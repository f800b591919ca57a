#!/usr/bin/env bash
# Runs one golden end-to-end case, in the manner of zstd's tests/cli-tests:
#   CASE/cmd            a bash script; runs in a fresh scratch folder with
#                       $LV (the binary) and $FIXTURES (tests/fixtures) set
#   CASE/stdout.exact   expected standard output, byte for byte
#   CASE/stderr.exact   expected standard error, byte for byte
#   CASE/exit           expected exit code
# UPDATE=1 rewrites the three expected files from what the binary does now.
set -u
LV=$(realpath "$1")
case_dir=$(realpath "$2")
FIXTURES=$(realpath "$(dirname "$0")/../fixtures")
export LV FIXTURES LC_ALL=C.UTF-8 TZ=UTC

scratch=$(mktemp -d "${TMPDIR:-/tmp}/lv-golden.XXXXXX")
trap 'chmod -R u+rwX "$scratch" 2>/dev/null; rm -rf "$scratch"' EXIT
cd "$scratch" || exit 2

bash "$case_dir/cmd" >"$scratch/.stdout" 2>"$scratch/.stderr" </dev/null
code=$?

if [ "${UPDATE:-0}" = 1 ]; then
  cp "$scratch/.stdout" "$case_dir/stdout.exact"
  cp "$scratch/.stderr" "$case_dir/stderr.exact"
  echo "$code" >"$case_dir/exit"
  echo "updated $(basename "$case_dir")"
  exit 0
fi

status=0
if ! diff -u "$case_dir/stdout.exact" "$scratch/.stdout"; then
  echo "FAIL: stdout differs" >&2
  status=1
fi
if ! diff -u "$case_dir/stderr.exact" "$scratch/.stderr"; then
  echo "FAIL: stderr differs" >&2
  status=1
fi
expected_code=$(cat "$case_dir/exit")
if [ "$code" != "$expected_code" ]; then
  echo "FAIL: exit code $code, expected $expected_code" >&2
  status=1
fi
exit $status
