#!/usr/bin/env bash
# Benchmarks `llava-verify probe` against what users run today to check image URLs: a
# Python aiohttp script (bench/baselines/probe_aiohttp.py) and `curl --parallel`, on
# 20,000 ranged GETs to a loopback nginx serving 20,000 distinct small JPEG files; and
# probe's peak RSS on 200,000 URLs (memory must stay bounded).
# shellcheck disable=SC2317  # cmd_* are called indirectly
set -euo pipefail
export LC_ALL=C

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"

# ---- defaults (flags below) ------------------------------------------------
DATA_DIR=/tmp/llava-bench-probe
BIN=$REPO/build/release/llava-verify
BUILD=0
RUNS=3
URLS=20000
MEM_URLS=200000
PARALLEL=256
SKIP_PROBE=0
SKIP_MEM=0
SEED=1
PY=/usr/bin/python3

usage() {
  cat <<EOF
Usage: bench/bench_probe.sh [OPTIONS]

Checks URLS image URLs (default $URLS) on a loopback nginx (Debian's, one worker, config
in a temporary folder, a free port on 127.0.0.1, access log off, keep-alive) that serves
URLS distinct JPEG files of 2-5 KB (DATA/img/NNNNNN.jpg), with:
  aiohttp   $PY bench/baselines/probe_aiohttp.py URLS.txt --parallel $PARALLEL --range 0-15
            (python3-aiohttp; installed with apt-get when missing)
  curl      curl -s --parallel --parallel-max $PARALLEL -K CONFIG -w '%{http_code}\\n'
            (CONFIG: header = "Range: bytes=0-15", then per URL: url = ..., output = /dev/null)
  probe     llava-verify probe META.json --parallel $PARALLEL --per-host $PARALLEL --no-progress
            --json OUT/probe.json   (META: one record per URL; probe asks for
            bytes=0-15 by default, the same 16 bytes as the others)
One untimed warm-up run of each, then RUNS round-robin timed runs, each under
/usr/bin/time -v: median wall time, URLs/s, CPU (user + sys / wall, median), largest
peak RSS, and nginx's CPU during the run. Ratios: aiohttp time / probe time (above 1:
probe faster) and probe time / curl time (the cost over curl's C loop).
Memory: one run of probe alone on MEM_URLS URLs (default $MEM_URLS; /mem/K/NNNNNN.jpg,
rewritten by nginx onto the same files), its peak RSS against the URLS run's.

Checks (untimed, after every run): every command exits 0; aiohttp counts URLS ok; curl
printed URLS lines "206"; probe's JSON summary has urls = ok = URLS.
Note: \`--json /dev/null\` is not used: a tool that writes its reports atomically (a
temporary file beside it, then rename) would replace /dev/null when run as root.

Options:
  --runs N         timed runs per command, median reported (default: $RUNS)
  --urls N         URLs (and files) of the timed runs (default: $URLS)
  --mem-urls N     URLs of the memory check (default: $MEM_URLS; 0 skips it)
  --skip-probe     leave llava-verify out (its rows say n/a); also automatic when the
                   binary has no 'probe' command
  --skip-mem       leave the memory check out
  --data DIR       where the files and outputs go (default: $DATA_DIR)
  --bin PATH       llava-verify binary (default: build/release/llava-verify)
  --build          build it first: cmake --preset release && cmake --build --preset release
  -h, --help       this message

Exit status: 0 when every command that ran succeeded and every check passed, 1 otherwise;
2 usage or setup error.
EOF
}

die() { echo "bench_probe: $*" >&2; exit 2; }

while (($#)); do
  case $1 in
    --runs) need_uint "$1" "${2:-}"; RUNS=$2; shift ;;
    --urls) need_uint "$1" "${2:-}"; URLS=$2; shift ;;
    --mem-urls) need_uint "$1" "${2:-}"; MEM_URLS=$2; shift ;;
    --skip-probe) SKIP_PROBE=1 ;;
    --skip-mem) SKIP_MEM=1 ;;
    --data) DATA_DIR=${2:?}; shift ;;
    --bin) BIN=${2:?}; shift ;;
    --build) BUILD=1 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
  shift
done
((RUNS >= 1)) || die "--runs must be at least 1"
((URLS >= 1)) || die "--urls must be at least 1"
((MEM_URLS == 0)) && SKIP_MEM=1

use_data_dir --data
lock_data_dir bench_probe.sh

for tool in /usr/bin/time curl "$PY"; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
NGINX_BIN=${NGINX_BIN:-$(command -v nginx || echo /usr/sbin/nginx)}
[[ -x $NGINX_BIN ]] || die "nginx not found (apt-get install nginx; see scripts/install-deps.sh)"
if ! "$PY" -c 'import aiohttp' 2>/dev/null; then
  echo "setup:   installing python3-aiohttp (apt-get)"
  if [[ $(id -u) -eq 0 ]]; then
    { apt-get install -y python3-aiohttp || { apt-get update && apt-get install -y python3-aiohttp; }; } >"$DATA_DIR/apt.log" 2>&1 ||
      die "apt-get install python3-aiohttp failed (see $DATA_DIR/apt.log)"
  else
    die "python3-aiohttp is missing and this is not root: apt-get install python3-aiohttp"
  fi
fi

HAVE_PROBE=1
if ((SKIP_PROBE)); then
  HAVE_PROBE=0
else
  if ((BUILD)); then
    (cd "$REPO" && cmake --preset release >/dev/null && cmake --build --preset release) || die "build failed"
  fi
  if [[ ! -x $BIN ]]; then
    HAVE_PROBE=0; PROBE_WHY="no binary at $BIN"
  else
    BIN=$(cd "$(dirname "$BIN")" && pwd -P)/$(basename "$BIN")
    # CLI11 answers `UNKNOWN --help` with the main help: look for probe's own option.
    if ! "$BIN" probe --help 2>&1 | grep -q -e '--per-host'; then
      HAVE_PROBE=0; PROBE_WHY="$BIN has no 'probe' command"
    fi
  fi
fi
((SKIP_PROBE)) && PROBE_WHY="--skip-probe"

# shellcheck source=../tests/net/harness.sh
source "$REPO/tests/net/harness.sh"     # net_free_port, net_port_open, net_nginx_watchdog, stop_nginx
export NGINX_TIMEOUT=${NGINX_TIMEOUT:-7200}
trap 'stop_nginx || true' EXIT
trap 'exit 130' INT TERM
# Loopback only, never through a proxy.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY='*' no_proxy='*'

OUT=$DATA_DIR/out
rm -rf "$OUT"
mkdir -p "$OUT"
STATUS=0

# ---- header -----------------------------------------------------------------
echo "llava-verify probe benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(machine_desc)"
if ((HAVE_PROBE)); then
  echo "binary:  $(binary_desc)"
else
  echo "binary:  n/a ($PROBE_WHY): the probe rows are skipped"
fi
echo "tools:   $(curl --version | head -1 | cut -d' ' -f1-3); $("$NGINX_BIN" -v 2>&1 | sed 's/.*: //') (1 worker, sendfile, access log off);" \
  "$("$PY" --version) with aiohttp $("$PY" -c 'import aiohttp; print(aiohttp.__version__)')"

# ---- data: URLS distinct small JPEG files --------------------------------------
FILES=$DATA_DIR/img
want_stamp() { echo "bench_probe data v1: seed $SEED, $URLS files of 2048..5119 bytes"; }
if [[ ! -f $DATA_DIR/stamp ]] || ! cmp -s "$DATA_DIR/stamp" <(want_stamp) || [[ ! -d $FILES ]]; then
  echo "data:    generating $URLS files under $FILES ..."
  t0=$EPOCHREALTIME
  rm -rf "$FILES" "$DATA_DIR/stamp"
  "$PY" - "$FILES" "$URLS" "$SEED" <<'PYEOF'
import hashlib, os, sys
d, n, seed = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(d)
head = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
for i in range(n):
    h = hashlib.sha256(("size %s %d" % (seed, i)).encode()).digest()
    size = 2048 + int.from_bytes(h[:4], "big") % 3072
    body = hashlib.shake_256(("body %s %d" % (seed, i)).encode()).digest(size - len(head) - 2).replace(b"\xff", b"\xfe")
    with open(os.path.join(d, "%06d.jpg" % i), "wb") as f:
        f.write(head + body + b"\xff\xd9")
PYEOF
  want_stamp >"$DATA_DIR/stamp"
  echo "data:    generated in $(awk -v a="$(usecs "$t0")" -v b="$(usecs "$EPOCHREALTIME")" 'BEGIN { printf "%.1f s", (b - a) / 1e6 }')"
else
  echo "data:    $FILES reused (stamp matches)"
fi
echo "data:    $URLS files, $(du -sh --apparent-size "$FILES" | cut -f1) in all"

# ---- nginx ------------------------------------------------------------------
start_bench_nginx() {
  local user_line="" port
  NGINX_DIR=$(mktemp -d "${TMPDIR:-/tmp}/lv-bench-nginx.XXXXXX")
  mkdir -p "$NGINX_DIR/tmp"
  # As root, nginx would switch its worker to `nobody`, who may not read DATA.
  [[ $(id -u) -eq 0 ]] && user_line="user root root;"
  for _ in 1 2 3 4 5; do
    port=$(net_free_port 127.0.0.1)
    cat >"$NGINX_DIR/nginx.conf" <<EOF
# written by bench/bench_probe.sh
$user_line
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile 8192;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/error.log warn;
events { worker_connections 4096; }
http {
  types { image/jpeg jpg; }
  default_type application/octet-stream;
  server_tokens off;
  sendfile on;
  access_log off;
  keepalive_timeout 30s;
  keepalive_requests 1000000;
  client_body_temp_path $NGINX_DIR/tmp/body;
  proxy_temp_path $NGINX_DIR/tmp/proxy;
  fastcgi_temp_path $NGINX_DIR/tmp/fastcgi;
  uwsgi_temp_path $NGINX_DIR/tmp/uwsgi;
  scgi_temp_path $NGINX_DIR/tmp/scgi;
  server {
    listen 127.0.0.1:$port backlog=4096;
    root $DATA_DIR;
    location /img/ { }
    location /mem/ { rewrite ^/mem/[0-9]+/(.*)\$ /img/\$1 last; }
    location / { return 404; }
  }
}
EOF
    "$NGINX_BIN" -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/error.log" \
      </dev/null >>"$NGINX_DIR/nginx.out" 2>&1 9>&- &
    NGINX_PID=$!
    for _ in $(seq 1 100); do
      kill -0 "$NGINX_PID" 2>/dev/null || break
      if net_port_open 127.0.0.1 "$port"; then
        BASE=http://127.0.0.1:$port
        net_nginx_watchdog 9>&-
        return 0
      fi
      sleep 0.05
    done
    kill "$NGINX_PID" 2>/dev/null || true
    wait "$NGINX_PID" 2>/dev/null || true
    NGINX_PID=""
    grep -q "Address already in use" "$NGINX_DIR/error.log" "$NGINX_DIR/nginx.out" 2>/dev/null || break
  done
  tail -n 20 "$NGINX_DIR/error.log" "$NGINX_DIR/nginx.out" >&2 2>/dev/null || true
  return 1
}
start_bench_nginx || die "nginx did not start"
got=$(curl -s -r 0-15 -o /dev/null -w '%{http_code} %{size_download}' "$BASE/img/000000.jpg") || true
[[ $got == "206 16" ]] || die "nginx answered '$got' to a Range GET of $BASE/img/000000.jpg, expected '206 16'"
echo "server:  nginx $BASE, pid $NGINX_PID"

# ---- inputs: URL list, curl config, probe metadata ------------------------------
# inputs N PREFIX NAME: OUT/NAME.urls, OUT/NAME.curl, OUT/NAME.json for N URLs.
inputs() {
  "$PY" - "$1" "$BASE" "$2" "$OUT/$3" "$URLS" <<'PYEOF'
import json, sys
n, base, kind, out, files = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
def url(i):
    if kind == "img":
        return "%s/img/%06d.jpg" % (base, i)
    return "%s/mem/%d/%06d.jpg" % (base, i // files, i % files)
with open(out + ".urls", "w") as u, open(out + ".curl", "w") as c, open(out + ".json", "w") as m:
    c.write('header = "Range: bytes=0-15"\n')
    m.write("[\n")
    for i in range(n):
        x = url(i)
        u.write(x + "\n")
        c.write('url = "%s"\noutput = "/dev/null"\n' % x)
        rec = {"id": "GCC_train_%09d" % i, "image": "GCC_train_%09d.jpg" % i,
               "caption": "a photo of something, number %d" % i, "blip_caption": "a photo of something", "url": x}
        m.write(("," if i else "") + json.dumps(rec) + "\n")
    m.write("]\n")
PYEOF
}
inputs "$URLS" img main
((SKIP_MEM || !HAVE_PROBE)) || inputs "$MEM_URLS" mem mem
echo "inputs:  $OUT/main.{urls,curl,json} ($URLS URLs, $(du -h --apparent-size "$OUT/main.json" | cut -f1) of metadata)"

# ---- the commands -------------------------------------------------------------
WRAP=()
cmd_aiohttp() { "${WRAP[@]}" "$PY" "$REPO/bench/baselines/probe_aiohttp.py" "$OUT/main.urls" --parallel "$PARALLEL" --range 0-15; }
cmd_curl() { "${WRAP[@]}" curl -s --parallel --parallel-max "$PARALLEL" -K "$OUT/main.curl" -w '%{http_code}\n'; }
cmd_probe() {
  "${WRAP[@]}" "$BIN" probe "$OUT/main.json" --parallel "$PARALLEL" --per-host "$PARALLEL" --no-progress --json "$OUT/probe.json"
}
cmd_probe_mem() {
  "${WRAP[@]}" "$BIN" probe "$OUT/mem.json" --parallel "$PARALLEL" --per-host "$PARALLEL" --no-progress --json "$OUT/probe-mem.json"
}
declare -A LABEL=(
  [aiohttp]="python3 aiohttp (256 tasks)"
  [curl]="curl --parallel-max 256"
  [probe]="llava-verify probe"
  [probe_mem]="llava-verify probe (mem)"
)
CMDS=(aiohttp curl)
((HAVE_PROBE)) && CMDS+=(probe)
declare -A TIMES MED RSS RC CORES SERVER BAD

# CPU ticks (user + system) of nginx's master and worker so far.
nginx_ticks() {
  local p t=0 f
  for p in "$NGINX_PID" $(cat /proc/"$NGINX_PID"/task/*/children 2>/dev/null); do
    f=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    f=${f##*) }   # the fields after "(comm) "; utime and stime are the 12th and 13th
    t=$((t + $(awk '{ print $12 + $13 }' <<<"$f")))
  done
  echo "$t"
}

# check_output CMD N: untimed: did every URL come back ok?
check_output() {
  local c=$1 n=$2 k=$1 got
  case $c in
    aiohttp)
      got=$("$PY" -c 'import json, sys; d = json.loads(open(sys.argv[1]).read() or "{}"); print(d.get("ok", 0))' "$OUT/$k.out" 2>/dev/null || echo "?")
      [[ $got == "$n" ]] || BAD[$k]+="ok $got of $n: $(head -c 200 "$OUT/$k.out"); " ;;
    curl)
      got=$(grep -c '^206$' "$OUT/$k.out" || true)
      [[ $got == "$n" ]] || BAD[$k]+="$got of $n answers were 206; " ;;
    probe|probe_mem)
      local f=$OUT/probe.json
      [[ $c == probe_mem ]] && f=$OUT/probe-mem.json
      got=$("$PY" -c 'import json, sys; s = json.load(open(sys.argv[1]))["summary"]; print(s["urls"], s["ok"])' "$f" 2>/dev/null || echo "?")
      [[ $got == "$n $n" ]] || BAD[$k]+="summary urls/ok '$got', expected '$n $n'; " ;;
  esac
  return 0
}

# run_once CMD N [untimed]: one run under /usr/bin/time -v.
run_once() {
  local c=$1 n=$2 k=$1 rc=0 t0 t1 ng0 ng1 u s rss wall
  rm -f "$OUT/probe.json" "$OUT/probe-mem.json"
  WRAP=(/usr/bin/time -v -o "$OUT/$k.time")
  ng0=$(nginx_ticks)
  t0=$EPOCHREALTIME
  "cmd_$c" >"$OUT/$k.out" 2>"$OUT/$k.err" || rc=$?
  t1=$EPOCHREALTIME
  ng1=$(nginx_ticks)
  WRAP=()
  ((rc == 0)) || RC[$k]=$rc
  check_output "$c" "$n"
  [[ ${3:-} == untimed ]] && return 0
  read -r u s rss < <(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident/ { r = $2 }
    END { print u + 0, s + 0, r + 0 }' "$OUT/$k.time")
  ((rss > ${RSS[$k]:-0})) && RSS[$k]=$rss
  wall=$(awk -v a="$(usecs "$t0")" -v b="$(usecs "$t1")" 'BEGIN { printf "%.3f", (b - a) / 1e6 }')
  TIMES[$k]+="$wall "
  CORES[$k]+="$(awk -v u="$u" -v s="$s" -v w="$wall" 'BEGIN { printf "%.3f", (u + s) / w }') "
  SERVER[$k]+="$(awk -v t=$((ng1 - ng0)) -v hz="$(getconf CLK_TCK)" -v w="$wall" 'BEGIN { printf "%.2f", t / hz / w }') "
  return 0
}

good() { [[ -n ${MED[$1]:-} && -z ${RC[$1]:-} && -z ${BAD[$1]:-} ]]; }

# ---- runs ---------------------------------------------------------------------
echo
echo "== $URLS URLs, $PARALLEL in flight, one host =="
echo "warm-up: one untimed run of each: ${CMDS[*]}"
for c in "${CMDS[@]}"; do run_once "$c" "$URLS" untimed; done
echo "runs:    $RUNS timed runs per command, round-robin; before the runs: $(cpu_busy)"
for ((r = 1; r <= RUNS; r++)); do
  for c in "${CMDS[@]}"; do run_once "$c" "$URLS"; done
done
for c in "${CMDS[@]}"; do MED[$c]=$(echo "${TIMES[$c]% }" | median); done

echo
printf '%-30s %9s  %-*s %9s %6s %7s %6s  %s\n' "command" "median s" $((7 * RUNS + 1)) "runs (s)" "URLs/s" "cores" "RSS MB" "server" "exit"
for c in aiohttp curl probe; do
  if [[ -z ${MED[$c]:-} ]]; then
    printf '%-30s %9s  %-*s %9s %6s %7s %6s  %s\n' "${LABEL[$c]}" "n/a" $((7 * RUNS + 1)) "-" "n/a" "-" "-" "-" "not run: ${PROBE_WHY:-}"
    continue
  fi
  ok=ok
  if [[ -n ${RC[$c]:-} ]]; then ok="FAILED (exit ${RC[$c]})"; STATUS=1; fi
  if [[ -n ${BAD[$c]:-} ]]; then ok="FAILED (${BAD[$c]})"; STATUS=1; fi
  printf '%-30s %9.3f  %-*s %9.0f %6.2f %7s %6.2f  %s\n' "${LABEL[$c]}" "${MED[$c]}" $((7 * RUNS + 1)) "${TIMES[$c]}" \
    "$(awk -v n="$URLS" -v t="${MED[$c]}" 'BEGIN { print n / t }')" "$(echo "${CORES[$c]% }" | median)" \
    "$(mb "${RSS[$c]:-0}")" "$(echo "${SERVER[$c]% }" | median)" "$ok"
done
for c in "${CMDS[@]}"; do
  if [[ -n ${RC[$c]:-} || -n ${BAD[$c]:-} ]]; then
    echo "  ${LABEL[$c]}: stderr ($OUT/$c.err):"
    head -5 "$OUT/$c.err" | sed 's/^/    /'
  fi
done
echo "(URLs/s: URLs / median time; cores: (user + sys) / wall, median; RSS: largest peak RSS, MB = 10^6 bytes;"
echo " server: nginx's CPU during the run, in cores, median; $(nproc) cores in all, shared by client and nginx)"

echo
echo "== ratios (same-run medians) =="
if good aiohttp && good probe; then
  echo "  aiohttp time / probe time:  $(ratio "${MED[aiohttp]}" "${MED[probe]}")  (above 1: probe faster)"
else
  echo "  aiohttp time / probe time:  n/a"
fi
if good probe && good curl; then
  echo "  probe time / curl time:     $(ratio "${MED[probe]}" "${MED[curl]}")  (above 1: probe slower than curl)"
else
  echo "  probe time / curl time:     n/a"
fi
if good aiohttp && good curl; then
  echo "  aiohttp time / curl time:   $(ratio "${MED[aiohttp]}" "${MED[curl]}")  (the baselines against each other)"
fi

# ---- memory -------------------------------------------------------------------
echo
echo "== memory: probe on $MEM_URLS URLs =="
if ((SKIP_MEM)); then
  echo "  skipped (--skip-mem or --mem-urls 0)"
elif ((!HAVE_PROBE)); then
  echo "  n/a (${PROBE_WHY:-})"
else
  run_once probe_mem "$MEM_URLS"
  MED[probe_mem]=${TIMES[probe_mem]% }
  st=ok
  [[ -n ${RC[probe_mem]:-} ]] && { st="FAILED (exit ${RC[probe_mem]})"; STATUS=1; }
  [[ -n ${BAD[probe_mem]:-} ]] && { st="FAILED (${BAD[probe_mem]})"; STATUS=1; }
  echo "  metadata: $(du -h --apparent-size "$OUT/mem.json" | cut -f1); time $(printf '%.2f' "${MED[probe_mem]}") s" \
    "($(awk -v n="$MEM_URLS" -v t="${MED[probe_mem]}" 'BEGIN { printf "%.0f", n / t }') URLs/s); $st"
  echo "  peak RSS: $MEM_URLS URLs $(mb "${RSS[probe_mem]}") MB; $URLS URLs $(mb "${RSS[probe]:-0}") MB;" \
    "ratio $(ratio "${RSS[probe_mem]}" "${RSS[probe]:-1}") for $(ratio "$MEM_URLS" "$URLS")x the URLs"
  echo "  ($(awk -v a="${RSS[probe_mem]}" -v b="${RSS[probe]:-0}" -v n=$((MEM_URLS - URLS)) \
    'BEGIN { printf "%.0f", (a - b) * 1024 / n }') bytes of peak RSS per added URL)"
fi

# ---- checks -------------------------------------------------------------------
echo
echo "== checks =="
for c in "${CMDS[@]}"; do
  if [[ -n ${RC[$c]:-} ]]; then
    echo "  ${LABEL[$c]}: a run exited ${RC[$c]}: FAILED"; STATUS=1
  elif [[ -n ${BAD[$c]:-} ]]; then
    echo "  ${LABEL[$c]}: ${BAD[$c]}FAILED"; STATUS=1
  else
    case $c in
      aiohttp) echo "  ${LABEL[$c]}: exit 0, $URLS of $URLS ok (206 and a JPEG signature), in every run" ;;
      curl) echo "  ${LABEL[$c]}: exit 0, $URLS lines '206', in every run" ;;
      probe) echo "  ${LABEL[$c]}: exit 0, summary urls = ok = $URLS, in every run" ;;
    esac
  fi
done
((HAVE_PROBE)) || echo "  llava-verify probe: n/a (${PROBE_WHY:-})"
echo "outputs: $OUT (stdout, stderr and /usr/bin/time -v of the last run of each command)"
exit $STATUS
