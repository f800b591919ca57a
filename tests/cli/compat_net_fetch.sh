#!/usr/bin/env bash
# `llava-verify fetch` and `llava-verify manifest refresh` end to end against real
# servers on loopback (tests/net/harness.sh): a real nginx playing the Hugging Face hub
# (302 to a storage host with X-Linked-Size / X-Linked-Etag) and the storage host
# (static files, Range, If-Range), over HTTP and HTTPS with a CA made here; and
# tests/net/fault_server.py for what nginx will not do on cue (dropped connections, 500,
# 429, HTML pages, wrong bytes, stalls, no Range, a file that changes, cross-host
# redirects). The servers' access logs tell what the tool asked for.
# A missing `fetch` command is a failure, never a skip.
# Usage: compat_net_fetch.sh /path/to/llava-verify   (LV_NET_KEEP=1 keeps the scratch
# folders and the servers' logs; LV_NET_BIG_MB sets the large file's size, default 200)
set -u
[ $# -ge 1 ] || { echo "usage: $0 /path/to/llava-verify" >&2; exit 2; }
LV=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
export LC_ALL=C.UTF-8
S=$(mktemp -d "${TMPDIR:-/tmp}/lv-netfetch.XXXXXX")
BGPID=""
# shellcheck source=../net/harness.sh
. "$HERE/../net/harness.sh"
cleanup() {
  [ -n "$BGPID" ] && kill -KILL "$BGPID" 2>/dev/null
  if [ -n "${LV_NET_KEEP:-}" ]; then           # keep every folder and log for a look
    net_stop_all
    echo "kept: $S and the servers' folders (${TMPDIR:-/tmp}/lv-nginx.*, lv-fault.*)" >&2
  else
    net_stop_all
    rm -rf "$S"
  fi
}
[ -n "${LV_NET_KEEP:-}" ] && NET_KEEP=1
trap cleanup EXIT
trap 'exit 130' INT TERM

# Nothing from the caller's environment may steer the tool: no token, no endpoint, no
# proxy, no CA bundle (so that "without --cacert" really means the system's CAs).
unset HF_TOKEN HUGGING_FACE_HUB_TOKEN HF_ENDPOINT HF_HUB_OFFLINE \
  http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY \
  CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR
export NO_PROXY=127.0.0.1,127.0.0.2 no_proxy=127.0.0.1,127.0.0.2
export HF_HOME=$S/hf-home XDG_CACHE_HOME=$S/cache

passed=0
failed=0
LAST=""       # tag of the last run, whose output is shown with its first failure
SHOWN=""
pass() { passed=$((passed + 1)); }
fail() {
  failed=$((failed + 1))
  echo "FAIL: $*"
  if [ -n "$LAST" ] && [ "$SHOWN" != "$LAST" ]; then
    SHOWN=$LAST
    echo "    \$ llava-verify ${LAST_ARGS:-}   (exit ${code:-?}, ${elapsed:-?} s)"
    sed -n '1,12s/^/    out: /p' "$S/$LAST.out" 2>/dev/null
    sed -n '1,12s/^/    err: /p' "$S/$LAST.err" 2>/dev/null
  fi
}
# expect "what went wrong" COMMAND...: one check.
expect() {
  local msg=$1; shift
  if "$@"; then pass; else fail "$msg"; fi
}
summary() {
  echo "compat_net_fetch: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

# run_lv TAG SECONDS ARGS...: runs the tool (killed after SECONDS), sets code and elapsed.
# All runs share a budget that ends before ctest's 120 s timeout, so that a tool that
# hangs still gets a summary line and a list of failures.
DEADLINE=$((SECONDS + 105))
run_lv() {
  local tag=$1 limit=$2; shift 2
  LAST=$tag LAST_ARGS="$*"
  local t0 t1 left=$((DEADLINE - SECONDS))
  [ "$left" -lt "$limit" ] && limit=$left
  if [ "$limit" -lt 2 ]; then
    code=998 elapsed=0
    : >"$S/$tag.out"; echo "(not run: the script's time budget is spent)" >"$S/$tag.err"
    return 0
  fi
  t0=$(date +%s.%N)
  timeout -k 3 "$limit" "$LV" "$@" >"$S/$tag.out" 2>"$S/$tag.err" </dev/null
  code=$?
  t1=$(date +%s.%N)
  elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  case $code in 124|137) fail "$tag: still running after $limit s (killed)" ;; esac
  return 0
}
has_line() { grep -qFx -- "$2" "$S/$1.out"; }                  # TAG LINE
has_failed_line() { grep -qE -- "^$2: FAILED \(.+\)\$" "$S/$1.out"; }   # TAG NAME-REGEX
same_file() { cmp -s "$1" "$2"; }
absent() { [ ! -e "$1" ]; }
sha_of() { sha256sum "$1" | cut -c1-64; }
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
output_has() { cat "$S/$1.out" "$S/$1.err" | grep -qiE -- "$2"; }   # TAG ERE (any case)
output_lacks_fixed() { ! cat "$S/$1.out" "$S/$1.err" | grep -qF -- "$2"; }
log_count() { logq "$@"; }                                      # LOG EXPR -> count
log_has() { [ "$(logq "$1" "$2")" -ge "${3:-1}" ]; }            # LOG EXPR [MIN]
log_none() { [ "$(logq "$1" "$2")" -eq 0 ]; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
# Starts the tool in the background with SIGINT at its default (bash would have the
# background job ignore it), so that BGPID is the tool itself.
start_bg() {
  local tag=$1; shift
  LAST=$tag LAST_ARGS="$*"
  env --default-signal=INT "$LV" "$@" >"$S/$tag.out" 2>"$S/$tag.err" </dev/null &
  BGPID=$!
}
# wait_part FILE BYTES SECONDS: until FILE holds BYTES, or the tool ends, or time is up.
wait_part() {
  local i
  for i in $(seq 1 $(($3 * 20))); do
    [ "$(size_of "$1")" -ge "$2" ] && return 0
    kill -0 "$BGPID" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}
# wait_exit SECONDS: sets code to the tool's exit status, or 999 if it would not end.
wait_exit() {
  local i
  for i in $(seq 1 $(($1 * 20))); do
    kill -0 "$BGPID" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$BGPID" 2>/dev/null; then
    kill -KILL "$BGPID" 2>/dev/null; wait "$BGPID" 2>/dev/null; code=999
  else
    wait "$BGPID"; code=$?
  fi
  BGPID=""
}

# --- Preconditions: the command exists, and so do the servers -----------------------
# CLI11 answers `UNKNOWN --help` with the main help and exit 0: the help must be fetch's.
"$LV" fetch --help >"$S/help.out" 2>&1
code=$?
if [ "$code" -ne 0 ] || ! grep -q -e '--dest' "$S/help.out"; then
  echo "FAIL: 'llava-verify fetch --help' exits $code without fetch's options: the fetch command is missing or broken"
  sed -n '1,8s/^/    /p' "$S/help.out"
  failed=$((failed + 1))
  summary
fi
for opt in --dest --only --jobs --retries --retry-delay --timeout --stall-timeout \
           --endpoint --token-file --cacert --no-progress; do
  expect "fetch --help does not mention $opt" grep -qe "$opt" "$S/help.out"
done
"$LV" manifest refresh --help >"$S/help2.out" 2>&1
code=$?
expect "'llava-verify manifest refresh --help' exits $code without --endpoint: the refresh command is missing or broken" \
  eval '[ "$code" -eq 0 ] && grep -q -e "--endpoint" "$S/help2.out"'
for tool in nginx openssl; do
  if ! command -v "$tool" >/dev/null && [ ! -x "/usr/sbin/$tool" ]; then
    echo "FAIL: $tool is not installed (scripts/install-deps.sh installs it)"
    failed=$((failed + 1))
    summary
  fi
done

COMMON=(--no-progress --retry-delay 0.05 --timeout 5)
HALF=2097152                       # resume.bin is 4 MiB
BIG_MB=${LV_NET_BIG_MB:-200}

mkdir -p "$S/files" "$S/files-tls" "$S/ff"
for f in plain:3000000 jobs1:300000 jobs2:300001 jobs3:300002 only1:100000 \
         token:1000000 token-env:1000001 resume:4194304 refresh:1500000 pinned:100000; do
  head -c "${f#*:}" /dev/urandom >"$S/files/${f%%:*}.bin"
done
head -c "$((BIG_MB * 1048576))" /dev/urandom >"$S/files/big.bin"
head -c 2000000 /dev/urandom >"$S/files-tls/tls.bin"
head -c 2097152 /dev/urandom >"$S/fault.bin"

if ! start_nginx --slow big.bin "$S/files" >"$S/nginx-start.err" 2>&1; then
  echo "FAIL: nginx did not start:"; sed 's/^/    /' "$S/nginx-start.err"
  failed=$((failed + 1)); summary
fi
URLQ='"/datasets/'$HUB_REPO_ID/resolve/$HUB_REVISION/     # start of a hub request's uri in a logq expression
declare -A SHA
for f in "$S"/files/*; do SHA[${f##*/}]=$(sha_of "$f"); done
lfs() { echo "r['uri'].startswith('/lfs') and r['uri'].endswith('/${SHA[$1]}')"; }
# A logq expression: the request is a Range GET whose first byte is in [LOW, HIGH].
range_from() { echo "r['method']=='GET' and r['range'].startswith('bytes=') and r['range'][6:].split('-')[0].isdigit() and $1 <= int(r['range'][6:].split('-')[0]) <= $2"; }

# --- 1. Plain download through the hub's redirect -------------------------------------
net_manifest "$S/m-plain.json" "$S/files" plain.bin
run_lv plain 30 fetch "$S/m-plain.json" --dest "$S/d1" --endpoint "$HUB_URL" "${COMMON[@]}"
expect "plain: exit $code, expected 0" [ "$code" -eq 0 ]
expect "plain: no 'plain.bin: OK' line on stdout" has_line plain "plain.bin: OK"
expect "plain: DIR/plain.bin is not the served file" same_file "$S/d1/plain.bin" "$S/files/plain.bin"
expect "plain: DIR/plain.bin.part left behind" absent "$S/d1/plain.bin.part"
expect "plain: the hub log has no GET of .../resolve/REV/plain.bin answered 302" \
  log_has "$HUB_LOG" "r['method']=='GET' and r['uri']==${URLQ}plain.bin\" and r['status']==302"
expect "plain: the storage log has no GET of /lfs/SHA256 answered 200" \
  log_has "$STORAGE_LOG" "r['method']=='GET' and $(lfs plain.bin) and r['status'] in (200, 206)"

# --- 2. A re-run finds the file and downloads nothing ---------------------------------
before=$(log_count "$STORAGE_LOG" "r['method']=='GET'")
run_lv rerun 30 fetch "$S/m-plain.json" --dest "$S/d1" --endpoint "$HUB_URL" "${COMMON[@]}"
expect "re-run: exit $code, expected 0" [ "$code" -eq 0 ]
expect "re-run: no 'plain.bin: OK (already present)' line" has_line rerun "plain.bin: OK (already present)"
expect "re-run: GETs reached the storage host ($(log_count "$STORAGE_LOG" "r['method']=='GET'") after, $before before)" \
  [ "$(log_count "$STORAGE_LOG" "r['method']=='GET'")" -eq "$before" ]
expect "re-run: DIR/plain.bin changed" same_file "$S/d1/plain.bin" "$S/files/plain.bin"

# --- 3. --only and --jobs -------------------------------------------------------------
net_manifest "$S/m-jobs.json" "$S/files" jobs1.bin jobs2.bin jobs3.bin only1.bin
run_lv only 30 fetch "$S/m-jobs.json" --dest "$S/d3" --only jobs2.bin --endpoint "$HUB_URL" "${COMMON[@]}"
expect "--only: exit $code, expected 0" [ "$code" -eq 0 ]
expect "--only: jobs2.bin not downloaded" same_file "$S/d3/jobs2.bin" "$S/files/jobs2.bin"
expect "--only: files not named by --only were downloaded" \
  eval '[ ! -e "$S/d3/jobs1.bin" ] && [ ! -e "$S/d3/jobs3.bin" ] && [ ! -e "$S/d3/only1.bin" ]'
run_lv jobs 30 fetch "$S/m-jobs.json" --dest "$S/d3" --jobs 2 --endpoint "$HUB_URL" "${COMMON[@]}"
expect "--jobs 2: exit $code, expected 0" [ "$code" -eq 0 ]
for n in jobs1 jobs3 only1; do
  expect "--jobs 2: no '$n.bin: OK' line" has_line jobs "$n.bin: OK"
  expect "--jobs 2: $n.bin wrong or missing" same_file "$S/d3/$n.bin" "$S/files/$n.bin"
done
expect "--jobs 2: no 'jobs2.bin: OK (already present)' line" has_line jobs "jobs2.bin: OK (already present)"

# --- 4. The token goes to the hub, never to the storage host, never to the output -----
TOK=hf_lvtest_$RANDOM$RANDOM$RANDOM
printf '%s\n' "$TOK" >"$S/token"
net_manifest "$S/m-token.json" "$S/files" token.bin
run_lv token 30 fetch "$S/m-token.json" --dest "$S/d4" --token-file "$S/token" --endpoint "$HUB_URL" "${COMMON[@]}"
expect "--token-file: exit $code, expected 0" [ "$code" -eq 0 ]
expect "--token-file: token.bin wrong or missing" same_file "$S/d4/token.bin" "$S/files/token.bin"
expect "--token-file: the hub did not get 'Authorization: Bearer <token>' (newline stripped)" \
  log_has "$HUB_LOG" "r['uri'].endswith('/token.bin') and r['authorization']=='Bearer $TOK'"
expect "--token-file: the token appears in the tool's output" output_lacks_fixed token "$TOK"
# HF_TOKEN and HF_ENDPOINT instead of the options.
TOK2=hf_lvtest_env_$RANDOM$RANDOM
net_manifest "$S/m-token-env.json" "$S/files" token-env.bin
HF_TOKEN=$TOK2 HF_ENDPOINT=$HUB_URL run_lv token-env 30 fetch "$S/m-token-env.json" --dest "$S/d4" "${COMMON[@]}"
expect "HF_TOKEN + HF_ENDPOINT: exit $code, expected 0" [ "$code" -eq 0 ]
expect "HF_TOKEN + HF_ENDPOINT: token-env.bin wrong or missing" same_file "$S/d4/token-env.bin" "$S/files/token-env.bin"
expect "HF_TOKEN: the hub did not get 'Authorization: Bearer \$HF_TOKEN'" \
  log_has "$HUB_LOG" "r['uri'].endswith('/token-env.bin') and r['authorization']=='Bearer $TOK2'"
expect "HF_TOKEN: the token appears in the tool's output" output_lacks_fixed token-env "$TOK2"
expect "token: an Authorization header reached the storage host 127.0.0.2" \
  log_none "$STORAGE_LOG" "r['authorization']!=''"

# --- 5. Resume from a .part -----------------------------------------------------------
mkdir -p "$S/d5"
head -c "$HALF" "$S/files/resume.bin" >"$S/d5/resume.bin.part"
net_manifest "$S/m-resume.json" "$S/files" resume.bin
run_lv resume 30 fetch "$S/m-resume.json" --dest "$S/d5" --endpoint "$HUB_URL" "${COMMON[@]}"
expect "resume: exit $code, expected 0" [ "$code" -eq 0 ]
expect "resume: resume.bin wrong or missing" same_file "$S/d5/resume.bin" "$S/files/resume.bin"
expect "resume: the storage log has no 'Range: bytes=$HALF-' answered 206" \
  log_has "$STORAGE_LOG" "$(lfs resume.bin) and r['method']=='GET' and r['status']==206 and r['range'] in ('bytes=$HALF-', 'bytes=$HALF-4194303')"
expect "resume: the whole file was downloaded again (a GET without Range)" \
  log_none "$STORAGE_LOG" "$(lfs resume.bin) and r['method']=='GET' and r['range']==''"

# --- 6. manifest refresh fills size and sha256 from X-Linked-Size / X-Linked-Etag ------
net_manifest "$S/m-refresh.json" --unknown "$S/files" refresh.bin
run_lv refresh 30 manifest refresh "$S/m-refresh.json" --endpoint "$HUB_URL"
expect "refresh: exit $code, expected 0" [ "$code" -eq 0 ]
verdict=$("$PY" - "$S/m-refresh.json" "$(size_of "$S/files/refresh.bin")" "$(sha_of "$S/files/refresh.bin")" <<'PYEOF' 2>&1
import json, sys
doc = json.load(open(sys.argv[1]))
f = doc["files"][0]
problems = []
if f.get("size") != int(sys.argv[2]): problems.append(f"size {f.get('size')!r}, expected {sys.argv[2]}")
if f.get("sha256") != sys.argv[3]: problems.append(f"sha256 {f.get('sha256')!r}, expected {sys.argv[3]}")
if f.get("path") != "refresh.bin" or "/resolve/" not in f.get("url", ""): problems.append("path or url changed")
if doc.get("format") != "llava-verify-manifest/1": problems.append("format changed")
print("; ".join(problems))
sys.exit(1 if problems else 0)
PYEOF
)
expect "refresh: the manifest was not filled in: $verdict" [ -z "$verdict" ]
expect "refresh: downloaded the file from the storage host (HEAD headers are enough)" \
  log_none "$STORAGE_LOG" "$(lfs refresh.bin) and r['method']=='GET'"
# A pinned sha256 that the server contradicts: an error, and the manifest untouched.
"$PY" - "$S/m-pinned.json" <<'PYEOF'
import json, os, sys
doc = {"format": "llava-verify-manifest/1",
       "source": {"repository": os.environ["HUB_REPO"], "revision": os.environ["HUB_REVISION"]},
       "files": [{"path": "pinned.bin", "size": None, "sha256": "ab" * 32,
                  "url": "https://huggingface.co/%s/resolve/%s/pinned.bin" % (os.environ["HUB_REPO"], os.environ["HUB_REVISION"])}]}
json.dump(doc, open(sys.argv[1], "w"), indent=2)
PYEOF
cp "$S/m-pinned.json" "$S/m-pinned.orig"
run_lv pinned 30 manifest refresh "$S/m-pinned.json" --endpoint "$HUB_URL"
expect "refresh with a wrong pinned sha256: exit $code, expected 2 (or 1)" eval '[ "$code" -eq 2 ] || [ "$code" -eq 1 ]'
expect "refresh with a wrong pinned sha256: the manifest was changed" same_file "$S/m-pinned.json" "$S/m-pinned.orig"
expect "refresh with a wrong pinned sha256: the message does not name pinned.bin" output_has pinned 'pinned\.bin'

# --- 7. SIGKILL in the middle of a large download, then a re-run resumes ---------------
BIG=$((BIG_MB * 1048576))
net_manifest "$S/m-big.json" "$S/files" big.bin
start_bg kill fetch "$S/m-big.json" --dest "$S/d7" --endpoint "$HUB_URL" "${COMMON[@]}"
if wait_part "$S/d7/big.bin.part" 16777216 30; then
  kill -KILL "$BGPID"; wait "$BGPID" 2>/dev/null; BGPID=""
  part=$(size_of "$S/d7/big.bin.part")
  expect "SIGKILL: DIR/big.bin.part is $part bytes, expected a partial file" eval '[ "$part" -gt 0 ] && [ "$part" -lt "$BIG" ]'
  expect "SIGKILL: DIR/big.bin exists after a kill mid-download" absent "$S/d7/big.bin"
  # nginx logs the cut request when it notices; wait for that line before counting.
  for i in $(seq 1 60); do log_has "$STORAGE_LOG" "$(lfs big.bin)" && break; sleep 0.05; done
  cp "$STORAGE_LOG" "$S/storage.before-rerun"
  run_lv kill-rerun 60 fetch "$S/m-big.json" --dest "$S/d7" --endpoint "$HUB_URL" "${COMMON[@]}"
  tail -n +"$(($(wc -l <"$S/storage.before-rerun") + 1))" "$STORAGE_LOG" >"$S/storage.rerun"
  expect "SIGKILL re-run: exit $code, expected 0" [ "$code" -eq 0 ]
  expect "SIGKILL re-run: no 'big.bin: OK' line" has_line kill-rerun "big.bin: OK"
  expect "SIGKILL re-run: big.bin wrong or missing" same_file "$S/d7/big.bin" "$S/files/big.bin"
  expect "SIGKILL re-run: no Range request from a byte in 1..$part (the kept .part) answered 206" \
    log_has "$S/storage.rerun" "$(lfs big.bin) and r['status']==206 and $(range_from 1 "$part")"
  expect "SIGKILL re-run: downloaded from byte 0 again" \
    log_none "$S/storage.rerun" "$(lfs big.bin) and r['method']=='GET' and (r['range']=='' or r['range'].startswith('bytes=0-'))"
else
  wait_exit 1
  fail "SIGKILL: the download did not reach 16 MiB of $BIG_MB MiB in 30 s (exit $code; throttled to $NGINX_SLOW_RATE/s)"
fi

# --- 8. SIGINT in the middle: exit 130, .part kept, no final file ----------------------
start_bg int fetch "$S/m-big.json" --dest "$S/d8" --endpoint "$HUB_URL" "${COMMON[@]}"
if wait_part "$S/d8/big.bin.part" 16777216 30; then
  kill -INT "$BGPID"
  wait_exit 10
  expect "SIGINT: exit $code, expected 130 (999: still running 10 s after SIGINT)" [ "$code" -eq 130 ]
  expect "SIGINT: DIR/big.bin.part was not kept" [ "$(size_of "$S/d8/big.bin.part")" -gt 0 ]
  expect "SIGINT: DIR/big.bin exists after an interrupted download" absent "$S/d8/big.bin"
else
  wait_exit 1
  fail "SIGINT: the download did not reach 16 MiB of $BIG_MB MiB in 30 s (exit $code)"
fi
rm -rf "$S/d7" "$S/d8"

# --- 8b. Progress: totals, and each file in flight with its percentage ------------------
# --progress draws it although stderr is a file here; the slowed file, stopped after 3 s.
net_manifest "$S/m-progress.json" "$S/files" big.bin
timeout -s TERM 3 "$LV" fetch "$S/m-progress.json" --dest "$S/d8b" --endpoint "$HUB_URL" --retry-delay 0.05 \
  --timeout 5 --progress >/dev/null 2>"$S/progress.err" || true
expect "progress: no line with the file in flight ('| big.bin N%'): $(tr '\r' '\n' <"$S/progress.err" | tail -n 3 | tr '\n' ' ')" \
  grep -aqE '[|] big\.bin [0-9]+%' "$S/progress.err"

# --- 9. HTTPS with our CA --------------------------------------------------------------
stop_nginx
if start_nginx --tls "$S/files-tls" >"$S/nginx-start.err" 2>&1; then
  net_manifest "$S/m-tls.json" "$S/files-tls" tls.bin
  run_lv tls 30 fetch "$S/m-tls.json" --dest "$S/d9" --endpoint "$HUB_URL" --cacert "$CACERT" --token-file "$S/token" "${COMMON[@]}"
  expect "https --cacert: exit $code, expected 0" [ "$code" -eq 0 ]
  expect "https --cacert: tls.bin wrong or missing" same_file "$S/d9/tls.bin" "$S/files-tls/tls.bin"
  expect "https --cacert: no GET on the storage host's log" \
    log_has "$STORAGE_LOG" "r['method']=='GET' and r['uri'].startswith('/lfs/')"
  expect "https: the hub did not get the token" log_has "$HUB_LOG" "r['authorization']=='Bearer $TOK'"
  expect "https: an Authorization header reached the storage host" log_none "$STORAGE_LOG" "r['authorization']!=''"
  expect "https: the token appears in the tool's output" output_lacks_fixed tls "$TOK"
  run_lv tls-noca 30 fetch "$S/m-tls.json" --dest "$S/d9b" --endpoint "$HUB_URL" "${COMMON[@]}"
  expect "https without --cacert: exit $code, expected 1 or 2" eval '[ "$code" -eq 1 ] || [ "$code" -eq 2 ]'
  expect "https without --cacert: the message does not mention the certificate" output_has tls-noca 'certificate'
  expect "https without --cacert: DIR/tls.bin exists" absent "$S/d9b/tls.bin"
else
  fail "nginx with TLS did not start: $(tr '\n' ' ' <"$S/nginx-start.err")"
fi
stop_nginx

# --- 10. The fault server -------------------------------------------------------------
if ! start_fault "$S/fault.bin" >"$S/fault-start.err" 2>&1; then
  fail "the fault server did not start: $(tr '\n' ' ' <"$S/fault-start.err")"
  summary
fi
FSHA=$(sha_of "$S/fault.bin")
FHALF=1048576
# fault_manifest OUT PREFIX NAME [CONTENT_FILE]: url = FAULT_URL/PREFIX/NAME.
fault_manifest() {
  ln -sf "${4:-$S/fault.bin}" "$S/ff/$3"
  net_manifest "$1" --url-base "$FAULT_URL/$2" "$S/ff" "$3"
}
flog() { echo "r['uri']=='/$1'"; }      # PREFIX/NAME

fault_manifest "$S/m-ok.json" ok ok.bin
run_lv f-ok 30 fetch "$S/m-ok.json" --dest "$S/d10" "${COMMON[@]}"
expect "fault /ok/: exit $code, expected 0" [ "$code" -eq 0 ]
expect "fault /ok/: ok.bin wrong or missing" same_file "$S/d10/ok.bin" "$S/fault.bin"

fault_manifest "$S/m-drop.json" drop drop.bin
run_lv f-drop 30 fetch "$S/m-drop.json" --dest "$S/d10" --retries 3 "${COMMON[@]}"
expect "fault /drop/: exit $code, expected 0" [ "$code" -eq 0 ]
expect "fault /drop/: no 'drop.bin: OK' line" has_line f-drop "drop.bin: OK"
expect "fault /drop/: drop.bin wrong or missing" same_file "$S/d10/drop.bin" "$S/fault.bin"
expect "fault /drop/: no second GET after the dropped connection" \
  log_has "$FAULT_LOG" "$(flog drop/drop.bin) and r['method']=='GET'" 2
expect "fault /drop/: a retry asked for a Range beyond the $FHALF bytes received" \
  log_none "$FAULT_LOG" "$(flog drop/drop.bin) and r['range']!='' and not ($(range_from 0 $FHALF))"

fault_manifest "$S/m-500.json" 500-then-ok e500.bin
run_lv f-500 30 fetch "$S/m-500.json" --dest "$S/d10" --retries 3 "${COMMON[@]}"
expect "fault /500-then-ok/: exit $code, expected 0" [ "$code" -eq 0 ]
expect "fault /500-then-ok/: e500.bin wrong or missing" same_file "$S/d10/e500.bin" "$S/fault.bin"
expect "fault /500-then-ok/: no retry after the 500" \
  log_has "$FAULT_LOG" "$(flog 500-then-ok/e500.bin) and r['status'] in (200, 206)"

fault_manifest "$S/m-429.json" 429 e429.bin
run_lv f-429 30 fetch "$S/m-429.json" --dest "$S/d10" --retries 3 "${COMMON[@]}"
expect "fault /429/: exit $code, expected 0" [ "$code" -eq 0 ]
expect "fault /429/: e429.bin wrong or missing" same_file "$S/d10/e429.bin" "$S/fault.bin"
gap=$("$PY" - "$FAULT_LOG" <<'PYEOF'
import json, sys
t = [r["t"] for r in map(json.loads, open(sys.argv[1])) if r["uri"] == "/429/e429.bin"]
print("%.3f" % (t[1] - t[0]) if len(t) >= 2 else "none")
PYEOF
)
expect "fault /429/: the retry came $gap s after the 429 with Retry-After: 1, expected >= 1 s" \
  eval '[ "$gap" != none ] && ge "$gap" 0.98'

fault_manifest "$S/m-html.json" html page.bin
run_lv f-html 30 fetch "$S/m-html.json" --dest "$S/d10" --retries 1 "${COMMON[@]}"
expect "fault /html/: exit $code, expected 1" [ "$code" -eq 1 ]
expect "fault /html/: no 'page.bin: FAILED (reason)' line" has_failed_line f-html 'page\.bin'
expect "fault /html/: the reason mentions neither the size, the sha256 nor HTML" \
  eval 'grep "^page\.bin: FAILED" "$S/f-html.out" | grep -qiE "size|sha-?256|html|content-type|length"'
expect "fault /html/: DIR/page.bin exists" absent "$S/d10/page.bin"

fault_manifest "$S/m-wrong.json" wrong wrong.bin
run_lv f-wrong 30 fetch "$S/m-wrong.json" --dest "$S/d10" --retries 1 "${COMMON[@]}"
expect "fault /wrong/: exit $code, expected 1" [ "$code" -eq 1 ]
expect "fault /wrong/: no 'wrong.bin: FAILED (reason)' line" has_failed_line f-wrong 'wrong\.bin'
expect "fault /wrong/: the reason does not mention sha256" \
  eval 'grep "^wrong\.bin: FAILED" "$S/f-wrong.out" | grep -qiE "sha-?256"'
expect "fault /wrong/: DIR/wrong.bin exists" absent "$S/d10/wrong.bin"
expect "fault /wrong/: DIR/wrong.bin.part kept although its sha256 failed" absent "$S/d10/wrong.bin.part"

fault_manifest "$S/m-stall.json" stall stall.bin
run_lv f-stall 25 fetch "$S/m-stall.json" --dest "$S/d10" --stall-timeout 2 --retries 1 "${COMMON[@]}"
expect "fault /stall/: exit $code, expected 1" [ "$code" -eq 1 ]
expect "fault /stall/ --stall-timeout 2 --retries 1: took $elapsed s, expected <= 10" ge 10 "$elapsed"
expect "fault /stall/: no 'stall.bin: FAILED (reason)' line" has_failed_line f-stall 'stall\.bin'
expect "fault /stall/ --retries 1: $(log_count "$FAULT_LOG" "$(flog stall/stall.bin) and r['method']=='GET'") GETs, expected 2" \
  [ "$(log_count "$FAULT_LOG" "$(flog stall/stall.bin) and r['method']=='GET'")" -eq 2 ]
expect "fault /stall/: DIR/stall.bin exists" absent "$S/d10/stall.bin"

# Headers without end: libcurl stops at its own bound (300 KiB), so memory stays
# bounded whatever the server sends; the failure names that bound.
fault_manifest "$S/m-flood.json" header-flood flood.bin
run_lv f-flood 30 fetch "$S/m-flood.json" --dest "$S/d10" --retries 1 "${COMMON[@]}"
expect "fault /header-flood/: exit $code, expected 1" [ "$code" -eq 1 ]
expect "fault /header-flood/ --retries 1: took $elapsed s, expected <= 10" ge 10 "$elapsed"
expect "fault /header-flood/: no 'flood.bin: FAILED (Too large response headers: N > 307200 ...)' line" \
  grep -qE '^flood\.bin: FAILED \(Too large response headers: [0-9]+ > 307200( \(after 2 attempts\))?\)$' "$S/f-flood.out"
expect "fault /header-flood/: DIR/flood.bin exists" absent "$S/d10/flood.bin"

fault_manifest "$S/m-norange.json" no-range norange.bin
head -c "$FHALF" "$S/fault.bin" >"$S/d10/norange.bin.part"
run_lv f-norange 30 fetch "$S/m-norange.json" --dest "$S/d10" "${COMMON[@]}"
expect "fault /no-range/ with a .part: exit $code, expected 0" [ "$code" -eq 0 ]
expect "fault /no-range/ with a .part: norange.bin wrong or missing (a 200 appended to the .part?)" \
  same_file "$S/d10/norange.bin" "$S/fault.bin"
expect "fault /no-range/ with a .part: the tool did not ask for a Range" \
  log_has "$FAULT_LOG" "$(flog no-range/norange.bin) and r['range'].startswith('bytes=$FHALF-')"

# The file changes on the server between two runs: the first run is cut half way (and
# keeps its .part and the old ETag), the second must send If-Range with the old ETag
# (or Last-Modified), get 200 with the whole new file, and verify it against the
# manifest, which has the new sha256.
fault_manifest "$S/m-changed.json" change-midway changed.bin "$FAULT_CHANGED"
run_lv f-changed1 30 fetch "$S/m-changed.json" --dest "$S/d10" --retries 0 "${COMMON[@]}"
expect "fault /change-midway/ first run (cut, --retries 0): exit $code, expected 1" [ "$code" -eq 1 ]
expect "fault /change-midway/ first run: the .part of a cut download was not kept" \
  [ "$(size_of "$S/d10/changed.bin.part")" -gt 0 ]
run_lv f-changed2 30 fetch "$S/m-changed.json" --dest "$S/d10" --retries 2 "${COMMON[@]}"
expect "fault /change-midway/ second run: exit $code, expected 0" [ "$code" -eq 0 ]
expect "fault /change-midway/ second run: changed.bin is not the new content" same_file "$S/d10/changed.bin" "$FAULT_CHANGED"
expect "fault /change-midway/ second run: no Range + If-Range (old ETag or Last-Modified) answered 200" \
  log_has "$FAULT_LOG" "$(flog change-midway/changed.bin) and r['range']!='' and r['if_range'] in ('\"$FSHA\"', 'Tue, 14 Nov 2023 22:13:20 GMT') and r['status']==200"

fault_manifest "$S/m-r0.json" 500-then-ok r0.bin
run_lv f-r0 30 fetch "$S/m-r0.json" --dest "$S/d10" --retries 0 "${COMMON[@]}"
expect "fault /500-then-ok/ --retries 0: exit $code, expected 1" [ "$code" -eq 1 ]
expect "fault /500-then-ok/ --retries 0: no 'r0.bin: FAILED (reason)' line" has_failed_line f-r0 'r0\.bin'
expect "fault /500-then-ok/ --retries 0: $(log_count "$FAULT_LOG" "$(flog 500-then-ok/r0.bin)") requests, expected 1" \
  [ "$(log_count "$FAULT_LOG" "$(flog 500-then-ok/r0.bin)")" -eq 1 ]
expect "fault /500-then-ok/ --retries 0: DIR/r0.bin exists" absent "$S/d10/r0.bin"

fault_manifest "$S/m-redir.json" redirect-other-host redir.bin
HF_TOKEN=$TOK run_lv f-redir 30 fetch "$S/m-redir.json" --dest "$S/d10" "${COMMON[@]}"
expect "fault /redirect-other-host/: exit $code, expected 0" [ "$code" -eq 0 ]
expect "fault /redirect-other-host/: redir.bin wrong or missing" same_file "$S/d10/redir.bin" "$S/fault.bin"
expect "fault /redirect-other-host/: nothing reached 127.0.0.2" \
  log_has "$FAULT_LOG" "r['host']=='127.0.0.2' and r['uri']=='/ok/redir.bin'"
expect "fault /redirect-other-host/: HF_TOKEN was sent to 127.0.0.2 after a cross-host redirect" \
  log_none "$FAULT_LOG" "r['host']=='127.0.0.2' and r['authorization']!=''"
expect "fault /redirect-other-host/: the token appears in the tool's output" output_lacks_fixed f-redir "$TOK"

# --- 11. Could not run: exit 2 ------------------------------------------------------------
run_lv nomanifest 30 fetch "$S/no-such-manifest.json" --dest "$S/d11" "${COMMON[@]}"
expect "fetch of a missing manifest: exit $code, expected 2" [ "$code" -eq 2 ]
printf '{"format": "llava-verify-manifest/1", "files": [' >"$S/m-broken.json"
run_lv broken 30 fetch "$S/m-broken.json" --dest "$S/d11" "${COMMON[@]}"
expect "fetch of a truncated manifest: exit $code, expected 2" [ "$code" -eq 2 ]

stop_fault
summary
