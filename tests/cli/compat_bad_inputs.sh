#!/usr/bin/env bash
# The must-fail corpus: every case of tests/fixtures/bad/cases.tsv runs against the
# binary and must
#   - exit with the code the table gives (1 or 2; never a signal, never 0),
#   - print the expected message (a whole line of stderr, or as the table says),
#   - print no sanitizer report,
#   - end within $LV_BAD_TIMEOUT s (default 20, 45 under ASan) and stay under the case's memory bound
#     (max RSS from /usr/bin/time -v; plus an address-space rlimit, except under ASan),
#   - leave no file under a final name when it exits 2, and no temporary file
#     (*.lv-part, *.part, .*.tmp*) whatever its exit.
# Inputs: tests/fixtures/bad/ (committed, small), the archives of make_bad_zips.py and
# the large files of make_bad_inputs.py (written to a temporary folder).
# Usage: compat_bad_inputs.sh /path/to/llava-verify [NAME-REGEX]
#   LV_BAD_SHOW=1   print each case's exit, stdout and stderr (to write a new row)
#   LV_ASAN=1|0     force the ASan allowances on or off (default: nm finds __asan_init)
set -u
[ $# -ge 1 ] || { echo "usage: $0 /path/to/llava-verify [NAME-REGEX]" >&2; exit 2; }
LV=$(realpath "$1")
ONLY=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
FIX=$(cd "$HERE/../fixtures" && pwd)
PY=/usr/bin/python3
TIMEOUT=${LV_BAD_TIMEOUT:-20}
export LC_ALL=C.UTF-8 TZ=UTC
unset HF_TOKEN HUGGING_FACE_HUB_TOKEN HF_ENDPOINT http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

S=$(mktemp -d "${TMPDIR:-/tmp}/lv-bad.XXXXXX")
trap 'chmod -R u+rwX "$S" 2>/dev/null; rm -rf "$S"' EXIT
trap 'exit 130' INT TERM

ASAN=${LV_ASAN:-}
if [ -z "$ASAN" ]; then
  if nm "$LV" 2>/dev/null | grep -q __asan_init || nm -D "$LV" 2>/dev/null | grep -q __asan_init; then ASAN=1; else ASAN=0; fi
fi
# The bound is there to catch hangs: a sanitizer build runs 2-3x slower (the
# 1M-record cases take ~12 s of the 20 alone, and more beside another test).
[ "$ASAN" = 1 ] && [ -z "${LV_BAD_TIMEOUT:-}" ] && TIMEOUT=45

t_start=$SECONDS
"$PY" "$FIX/make_bad_zips.py" "$S/z" >/dev/null || { echo "FAIL: make_bad_zips.py failed"; exit 1; }
"$PY" "$FIX/make_bad_inputs.py" "$S/g" >/dev/null || { echo "FAIL: make_bad_inputs.py failed"; exit 1; }
t_gen=$((SECONDS - t_start))

passed=0 failed=0 cases=0
worst_rss=0 worst_rss_case="" worst_time=0 worst_time_case=""
declare -A cmd_rss
# A row named bug_* is a known bug: its row says what is wanted, a wrong exit code or
# message is expected (XFAIL), and a pass (XPASS) is a failure until the row is renamed.
# A signal, a hang, a sanitizer report or a memory bound is a failure for every row.
xfailed=0
fail() { failed=$((failed + 1)); echo "FAIL: $name: $*"; }
soft() { if [ "${name#bug_}" != "$name" ]; then xf+=("$*"); else ok=0; fail "$*"; fi; }

# Each case runs in a fresh folder holding b (the committed corpus), g (generated), z
# (make_bad_zips.py), and whatever its setup makes.
n=0
while IFS=$'\t' read -r name want rss_mb setup args expected; do
  n=$((n + 1))
  case $name in ''|'#'*) continue ;; esac
  if [ -n "$ONLY" ] && ! [[ $name =~ $ONLY ]]; then continue; fi
  cases=$((cases + 1))
  W=$S/run/$name
  mkdir -p "$W" && ln -s "$FIX/bad" "$W/b" && ln -s "$S/g" "$W/g" && ln -s "$S/z" "$W/z"
  cd "$W" || exit 2
  if [ "$setup" != "-" ]; then
    bash -c "$setup" >"$S/setup.out" 2>&1 || { fail "setup failed: $(head -c 300 "$S/setup.out")"; cd "$S"; continue; }
  fi
  find . -mindepth 1 -path ./b -prune -o -path ./g -prune -o -path ./z -prune -o -print | sort >"$S/before"
  eval "set -- $args"
  limit_mb=$rss_mb
  [ "$ASAN" = 1 ] && limit_mb=$((rss_mb * 3 + 400))
  as_args=()
  [ "$ASAN" = 1 ] || as_args=(prlimit --as=$(((rss_mb * 4 + 1024) * 1048576)) --)
  /usr/bin/time -f '%e %M' -o "$S/time" timeout -k 2 "$TIMEOUT" "${as_args[@]}" "$LV" "$@" \
    >"$S/out" 2>"$S/err" </dev/null
  code=$?
  # time(1) prints "Command exited with non-zero status N" first: keep the last line.
  read -r secs rss_kb < <(tail -n 1 "$S/time")
  rss_kb=${rss_kb:-0}
  if [ -n "${LV_BAD_SHOW:-}" ]; then
    echo "== $name: exit $code, $secs s, $((rss_kb / 1024)) MB"
    head -c 600 "$S/out" | sed 's/^/   out: /'
    head -c 600 "$S/err" | sed 's/^/   err: /'
  fi
  ok=1 xf=()
  if [ "$code" -eq 124 ] || [ "$code" -eq 137 ]; then ok=0; fail "still running after $TIMEOUT s (killed)"
  elif [ "$code" -ge 128 ]; then ok=0; fail "killed by signal $((code - 128))"
  elif [ "$code" != "$want" ]; then soft "exit $code, expected $want"
  fi
  if grep -qE 'Sanitizer|runtime error:|LeakSanitizer|AddressSanitizer' "$S/err"; then
    ok=0; fail "sanitizer report: $(grep -m1 -E 'Sanitizer|runtime error' "$S/err")"
  fi
  # expected: a whole line of stderr; "out:LINE" a whole line of stdout; "~TEXT" and
  # "out~TEXT" a substring of a line.
  case $expected in
    out~*) grep -qF -- "${expected#out~}" "$S/out" || { soft "no stdout line containing: ${expected#out~}"; } ;;
    out:*) grep -qFx -- "${expected#out:}" "$S/out" || { soft "no stdout line: ${expected#out:}"; } ;;
    '~'*) grep -qF -- "${expected#\~}" "$S/err" || { soft "no stderr line containing: ${expected#\~}"; } ;;
    *) grep -qFx -- "$expected" "$S/err" || { soft "no stderr line: $expected"; } ;;
  esac
  if [ "$rss_kb" -gt $((limit_mb * 1024)) ]; then
    ok=0; fail "max RSS $((rss_kb / 1024)) MB, bound $limit_mb MB"
  fi
  find . -mindepth 1 -path ./b -prune -o -path ./g -prune -o -path ./z -prune -o -print | sort >"$S/after"
  new=$(comm -13 "$S/before" "$S/after")
  if [ "$code" = 2 ] && [ -n "$(printf '%s\n' "$new" | while read -r f; do [ -n "$f" ] && [ ! -d "$f" ] && echo "$f"; done)" ]; then
    ok=0; fail "exit 2 but files were written: $(printf '%s ' $new | head -c 300)"
  fi
  stray=$(printf '%s\n' "$new" | grep -E '\.lv-part$|\.part$|/\.[^/]*\.tmp|\.tmp[^/]*$' | head -3)
  [ -n "$stray" ] && { ok=0; fail "temporary files left: $stray"; }
  if [ "$ok" = 0 ]; then
    echo "    \$ llava-verify $args   (exit $code, $secs s, $((rss_kb / 1024)) MB)"
    head -n 4 "$S/err" | cut -c1-300 | sed 's/^/    err: /'
    head -n 3 "$S/out" | cut -c1-300 | sed 's/^/    out: /'
  elif [ "${name#bug_}" != "$name" ] && [ ${#xf[@]} -gt 0 ]; then
    xfailed=$((xfailed + 1))
    echo "XFAIL $name (known bug): ${xf[0]}"
  elif [ "${name#bug_}" != "$name" ]; then
    fail "XPASS: the known bug is fixed: rename the row without bug_"
  else
    passed=$((passed + 1))
    echo "ok $name ($secs s, $((rss_kb / 1024)) MB)"
  fi
  cmd=${args%% *}
  [ "${cmd_rss[$cmd]:-0}" -lt "$rss_kb" ] && cmd_rss[$cmd]=$rss_kb
  [ "$rss_kb" -gt "$worst_rss" ] && { worst_rss=$rss_kb; worst_rss_case=$name; }
  if awk -v a="$secs" -v b="$worst_time" 'BEGIN { exit !(a > b) }'; then worst_time=$secs; worst_time_case=$name; fi
  cd "$S" && rm -rf "$W"
done <"$FIX/bad/cases.tsv"

summary=""
for c in "${!cmd_rss[@]}"; do summary+="$c $((cmd_rss[$c] / 1024)) MB, "; done
echo "max RSS per command: ${summary%, }"
echo "slowest case: $worst_time_case ($worst_time s); largest: $worst_rss_case ($((worst_rss / 1024)) MB); inputs generated in $t_gen s; ASan allowances: $ASAN"
echo "compat_bad_inputs: $cases cases, $passed passed, $xfailed known bugs (XFAIL), $failed failed ($((SECONDS - t_start)) s)"
[ "$cases" -gt 0 ] && [ "$failed" -eq 0 ]
