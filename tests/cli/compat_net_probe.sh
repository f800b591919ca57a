#!/usr/bin/env bash
# `llava-verify probe` end to end against tests/net/probe_server.py on loopback: one URL
# per behaviour (images, 404/410/403/401, 500, 429, flaky, HTML, lying content type,
# placeholder, X-Robots-Tag, redirects, loops, RST, stalls, refused connections), named
# with realistic hosts (images.example.com, farm1.staticflickr.com, ...) that --resolve
# points at 127.0.0.1 / 127.0.0.2 and one --url-map rewrites: nothing is resolved by DNS
# and nothing outside loopback is contacted. The server's log (one JSON line per request,
# with the requests in flight per Host header and per local address) tells what the tool
# asked for. A missing `probe` command is a failure, never a skip.
# Usage: compat_net_probe.sh /path/to/llava-verify   (LV_NET_KEEP=1 keeps the scratch folder)
# shellcheck disable=SC2317,SC2016  # functions run from traps and eval; eval strings are single-quoted
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 /path/to/llava-verify" >&2; exit 2; }
LV=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
NETDIR=$(cd "$HERE/../net" && pwd)
PY=/usr/bin/python3
export LC_ALL=C.UTF-8
S=$(mktemp -d "${TMPDIR:-/tmp}/lv-netprobe.XXXXXX")
SRV_PID="" BGPID=""
cleanup() {
  [ -n "$BGPID" ] && kill -KILL "$BGPID" 2>/dev/null
  if [ -n "$SRV_PID" ]; then
    kill -TERM "$SRV_PID" 2>/dev/null
    wait "$SRV_PID" 2>/dev/null
  fi
  if [ -n "${LV_NET_KEEP:-}" ]; then echo "kept: $S" >&2; else rm -rf "$S"; fi
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Nothing from the caller's environment may steer the tool: no proxy, ever.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY='*' no_proxy='*'

passed=0 failed=0
LAST="" SHOWN="" code="" elapsed=""
pass() { passed=$((passed + 1)); echo "ok: $1"; }
fail() {
  failed=$((failed + 1))
  echo "FAIL: $1"
  if [ -n "$LAST" ] && [ "$SHOWN" != "$LAST" ]; then
    SHOWN=$LAST
    echo "    \$ llava-verify ${LAST_ARGS:-}   (exit ${code:-?}, ${elapsed:-?} s)"
    sed -n '1,12s/^/    out: /p' "$S/$LAST.out" 2>/dev/null || true
    sed -n '1,12s/^/    err: /p' "$S/$LAST.err" 2>/dev/null || true
  fi
}
# expect "what must hold" COMMAND...: one check.
expect() {
  local msg=$1; shift
  if "$@"; then pass "$msg"; else fail "$msg"; fi
}
summary() {
  echo "compat_net_probe: $passed passed, $failed failed"
  [ "$failed" -eq 0 ] && exit 0
  exit 1
}
# pycheck TAG ARGS... <<'PY': a Python check (lvp.py importable) that prints "ok: ...",
# "FAIL: ..." and "note: ..." lines; each ok/FAIL line counts as one check.
pycheck() {
  local tag=$1 out rc=0 n; shift
  out=$(PYTHONPATH="$S:$NETDIR" "$PY" - "$@" 2>&1) || rc=$?
  while IFS= read -r line; do
    case $line in
      "") ;;
      "ok: "*) pass "${line#ok: }" ;;
      "FAIL: "*) fail "${line#FAIL: }" ;;
      *) echo "$line" ;;
    esac
  done <<<"$out"
  n=$(grep -c '^FAIL: ' <<<"$out" || true)
  if [ "$rc" -ne 0 ] && [ "$n" -eq 0 ]; then fail "the Python check '$tag' crashed (exit $rc)"; fi
  return 0
}

# run_lv TAG SECONDS ARGS...: runs the tool (killed after SECONDS), sets code and elapsed.
# All runs share a budget that ends well before ctest's 120 s timeout.
DEADLINE=$((SECONDS + 95))
run_lv() {
  local tag=$1 limit=$2 t0 t1 left; shift 2
  LAST=$tag LAST_ARGS="$*"
  left=$((DEADLINE - SECONDS))
  [ "$left" -lt "$limit" ] && limit=$left
  if [ "$limit" -lt 2 ]; then
    code=998 elapsed=0
    : >"$S/$tag.out"; echo "(not run: the script's time budget is spent)" >"$S/$tag.err"
    return 0
  fi
  t0=$EPOCHREALTIME
  code=0
  timeout -k 3 "$limit" "$LV" "$@" >"$S/$tag.out" 2>"$S/$tag.err" </dev/null || code=$?
  t1=$EPOCHREALTIME
  elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  case $code in 124|137) fail "$tag: still running after $limit s (killed)" ;; esac
  return 0
}
# The number of log lines so far, once the server answers no request (a line is written
# when its request ends: a stalled one when the client has closed the connection).
log_mark() {
  "$PY" - "http://127.0.0.1:$PORT/stats" <<'PYEOF' || true
import json, sys, time, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
for _ in range(60):
    try:
        if json.load(opener.open(sys.argv[1], timeout=2))["in_flight_now"] == 0:
            break
    except (OSError, ValueError, KeyError):
        pass
    time.sleep(0.05)
PYEOF
  wc -l <"$LOG"
}
same_file() { cmp -s "$1" "$2"; }

# --- Preconditions: the command exists --------------------------------------------------
# CLI11 answers `UNKNOWN --help` with the main help and exit 0: the help must be probe's.
code=0
"$LV" probe --help >"$S/help.out" 2>&1 || code=$?
if [ "$code" -ne 0 ] || ! grep -q -e '--per-host' "$S/help.out"; then
  fail "'llava-verify probe --help' exits 0 with probe's options (exit $code): the probe command is missing or broken"
  sed -n '1,8s/^/    /p' "$S/help.out"
  summary
fi
missing_opts=""
for opt in --only --json --csv --parallel --per-host --connect-timeout --timeout --retries \
           --max-redirects --resolve --url-map --placeholders --ignore-robots --state \
           --fetch-missing --dest --user-agent --no-progress; do
  grep -q -e "$opt" "$S/help.out" || missing_opts+=" $opt"
done
expect "probe --help lists every option of the spec${missing_opts:+ (missing:$missing_opts)}" [ -z "$missing_opts" ]

# --- The server -------------------------------------------------------------------------
LOG=$S/requests.jsonl
: >"$LOG"
"$PY" "$NETDIR/probe_server.py" --bind 127.0.0.1 --bind 127.0.0.2 --port 0 --port-file "$S/port" \
  --log "$LOG" --placeholder-file "$S/placeholder.line" --stats-file "$S/stats.json" \
  --timeout 115 --owner-pid $$ </dev/null >"$S/server.out" 2>&1 &
SRV_PID=$!
for _ in $(seq 1 100); do
  [ -s "$S/port" ] && break
  kill -0 "$SRV_PID" 2>/dev/null || break
  sleep 0.05
done
if [ ! -s "$S/port" ]; then
  fail "tests/net/probe_server.py did not start: $(tr '\n' ' ' <"$S/server.out")"
  summary
fi
PORT=$(cat "$S/port")
# A port nobody listens on, for "connection refused".
DEAD_PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export PORT DEAD_PORT
{ echo "# placeholders for compat_net_probe.sh: SIZE SHA256 label"; cat "$S/placeholder.line"; } >"$S/placeholders.txt"

# Host names: every one goes to loopback through --resolve; cdn.example.net is never
# contacted: --url-map rewrites it to images.example.com.
NET=(--resolve "images.example.com:$PORT:127.0.0.1" --resolve "farm1.staticflickr.com:$PORT:127.0.0.1"
     --resolve "farm2.staticflickr.com:$PORT:127.0.0.2" --resolve "farm3.staticflickr.com:$DEAD_PORT:127.0.0.1"
     --url-map "http://cdn.example.net/=http://images.example.com:$PORT/")

# lvp.py: the metadata generator and the checks' helpers.
cat >"$S/lvp.py" <<'PYEOF'
import csv, io, json, os, sys
import probe_server

S = os.path.dirname(os.path.abspath(__file__))
PORT, DEAD_PORT = int(os.environ["PORT"]), int(os.environ["DEAD_PORT"])
HOSTS = {"H": "images.example.com", "F1": "farm1.staticflickr.com", "F2": "farm2.staticflickr.com",
         "DEAD": "farm3.staticflickr.com", "CDN": "cdn.example.net"}
CLASSES = ["ok", "not_found", "forbidden", "server_error", "timeout", "connection_failed",
           "not_image", "placeholder", "opted_out"]
SUMMARY_KEYS = ["urls"] + CLASSES + ["fetched"]
ITEM_KEYS = ["index", "id", "image", "url", "class", "http_status", "detail"]
NONOK = "*not ok*"              # any class but ok (the spec does not say which)
NOTE_EXTRAS = {"main"}

def out(kind, msg):
    print("%s: %s" % (kind, msg.replace("\n", " ")))

def check(cond, msg, why=""):
    out("ok" if cond else "FAIL", msg if cond or not why else "%s (%s)" % (msg, why))
    return cond

def url(host, path):
    if host == "CDN":
        return "http://cdn.example.net" + path
    return "http://%s:%d%s" % (HOSTS[host], DEAD_PORT if host == "DEAD" else PORT, path)

def make_set(name, rows, first_number):
    """rows: (path, host, class, [accepted http_status]); writes S/name.json and S/name.exp.json."""
    records, exp = [], []
    for i, (path, host, cls, status) in enumerate(rows):
        n = first_number + 37 * i
        rec = {"id": "GCC_train_%09d" % n, "image": "GCC_train_%09d.jpg" % n,
               "caption": "a photo, number %d, \"quoted\"" % i, "blip_caption": "a photo of a thing",
               "url": url(host, path)}
        records.append(rec)
        exp.append(dict(index=i, id=rec["id"], image=rec["image"], url=rec["url"], path=path,
                        host=host, cls=cls, status=status))
    with open(os.path.join(S, name + ".json"), "w") as f:
        json.dump(records, f, indent=1)
        f.write("\n")
    with open(os.path.join(S, name + ".exp.json"), "w") as f:
        json.dump(exp, f, indent=1)
    return exp

def load_exp(name):
    with open(os.path.join(S, name + ".exp.json")) as f:
        return json.load(f)

def load_report(path, tag):
    try:
        with open(path, "rb") as f:
            return json.loads(f.read().decode("utf-8"))
    except (OSError, ValueError) as e:
        check(False, "%s: --json wrote a valid JSON report" % tag, str(e))
        return None

def check_report(tag, exp, json_path, csv_path=None, fetched=0, only=None):
    """The --json report (and --csv) against the expected classes; returns the report."""
    rep = load_report(json_path, tag)
    if rep is None:
        return None
    if only is not None:
        exp = [e for e in exp if e["index"] in only]
    summ = rep.get("summary", {})
    items = rep.get("items", [])
    check(isinstance(summ, dict) and all(type(summ.get(k)) is int for k in SUMMARY_KEYS),
          "%s: summary has the integer counts %s" % (tag, ",".join(SUMMARY_KEYS)), "got %s" % json.dumps(summ))
    check(isinstance(items, list), "%s: the report has 'summary' and an 'items' list" % tag, "keys %s" % sorted(rep))
    if tag in NOTE_EXTRAS:          # once: keys beyond the spec's (not a failure)
        NOTE_EXTRAS.discard(tag)
        extra_top, extra_summ = sorted(set(rep) - {"summary", "items"}), [k for k in summ if k not in SUMMARY_KEYS]
        if extra_top or extra_summ:
            out("note", "the report has keys the spec does not list: top level %s, summary %s" % (extra_top, extra_summ))
    by_index = {it.get("index"): it for it in items if isinstance(it, dict)}
    bad_keys = [it for it in items if not isinstance(it, dict) or sorted(it) != sorted(ITEM_KEYS)]
    check(not bad_keys, "%s: every item has exactly the keys %s" % (tag, ",".join(ITEM_KEYS)),
          "first offender %s" % (json.dumps(bad_keys[0]) if bad_keys else ""))
    want_counts = {c: 0 for c in CLASSES}
    problems, notes = [], []
    for e in exp:
        it = by_index.get(e["index"])
        label = "%s (record %d, %s)" % (e["path"], e["index"], e["host"])
        if e["cls"] == "ok":
            want_counts["ok"] += 1
            if it is not None:
                problems.append("%s: expected ok, listed as %s %s: %s" % (label, it.get("class"), it.get("http_status"), it.get("detail")))
            continue
        if it is None:
            problems.append("%s: expected %s, not listed (classified ok?)" % (label, e["cls"]))
            continue
        got = it.get("class")
        if e["cls"] == NONOK:
            if got == "ok" or got not in CLASSES:
                problems.append("%s: expected a class other than ok, got %r" % (label, got))
            else:
                want_counts[got] += 1
                notes.append("%s -> %s %s (%s)" % (e["path"], got, it.get("http_status"), it.get("detail")))
        else:
            want_counts[e["cls"]] += 1
            if got != e["cls"]:
                problems.append("%s: expected class %s, got %r (%s)" % (label, e["cls"], got, it.get("detail")))
        if it.get("http_status") not in e["status"]:
            problems.append("%s: expected http_status in %s, got %r" % (label, e["status"], it.get("http_status")))
        for k in ("id", "image", "url"):
            if it.get(k) != e[k]:
                problems.append("%s: %s is %r, expected the record's %r" % (label, k, it.get(k), e[k]))
        if not isinstance(it.get("detail"), str):
            problems.append("%s: detail is not a string" % label)
    check(not problems, "%s: every URL got its class and http_status (%d URLs, %d listed)" % (tag, len(exp), len(items)),
          "; ".join(problems[:6]) + (" ... %d more" % (len(problems) - 6) if len(problems) > 6 else ""))
    for n in notes:
        out("note", "%s: the spec names no class for this: %s" % (tag, n))
    known = {e["index"] for e in exp}
    extra = [it.get("index") for it in items if isinstance(it, dict) and it.get("index") not in known]
    check(not extra, "%s: items list only records of the run" % tag, "unexpected indexes %s" % extra[:10])
    idx = [it.get("index") for it in items if isinstance(it, dict)]
    check(idx == sorted(idx) and len(set(idx)) == len(idx), "%s: items are in record order, once each" % tag, "indexes %s" % idx)
    want = dict(want_counts, urls=len(exp), fetched=fetched)
    if fetched is None:             # not known in advance
        del want["fetched"]
    diff = {k: (summ.get(k), want[k]) for k in want if summ.get(k) != want[k]}
    check(not diff, "%s: summary counts are right" % tag, "got/expected %s" % diff)
    if csv_path:
        check_csv(tag, rep, csv_path)
    return rep

def check_csv(tag, rep, csv_path):
    try:
        data = open(csv_path, "rb").read().decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        check(False, "%s: --csv wrote a UTF-8 file" % tag, str(e))
        return
    rows = list(csv.reader(io.StringIO(data, newline="")))
    check(bool(rows) and rows[0] == ["index", "id", "image", "url", "class", "http_status", "detail"],
          "%s: CSV header is index,id,image,url,class,http_status,detail" % tag, "got %r" % (rows[0] if rows else None))
    check(data.startswith("index,id,image,url,class,http_status,detail\r\n") and data.endswith("\r\n"),
          "%s: CSV lines end with CRLF (RFC 4180, like missing --csv)" % tag, "first line %r" % data[:80])
    want = [[str(it["index"]), it["id"], it["image"], it["url"], it["class"], str(it["http_status"]), it["detail"]]
            for it in rep.get("items", []) if isinstance(it, dict) and all(k in it for k in ITEM_KEYS)]
    got = rows[1:]
    first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), None)
    check(got == want, "%s: CSV rows are the JSON items (%d rows)" % (tag, len(want)),
          "%d rows vs %d; first difference: %r vs %r" % (len(got), len(want), got[first] if first is not None else None,
                                                         want[first] if first is not None else None))

def requests(since=0, until=None, control=False):
    """The log's requests in lines [since, until) (control requests left out)."""
    rows = []
    with open(os.path.join(S, "requests.jsonl"), errors="replace") as f:
        for i, line in enumerate(f):
            if i < since or (until is not None and i >= until) or not line.strip():
                continue
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if control or not r.get("control"):
                rows.append(r)
    return rows

def host_of(r):
    return r["host"].rsplit(":", 1)[0]

def files_under(d):
    """Every file and link under d, as paths relative to d."""
    found = []
    for root, dirs, files in os.walk(d):
        for n in files + [x for x in dirs if os.path.islink(os.path.join(root, x))]:
            found.append(os.path.relpath(os.path.join(root, n), d))
    return sorted(found)

def expected_bytes(e):
    return probe_server.body_for(e["path"])[1]
PYEOF

# The sets of URLs. Classes that the spec leaves open (redirect loops) are "*not ok*".
pycheck gen <<'PYEOF'
from lvp import *
NOK = NONOK
main = [
    ("/img/m-00.jpg", "H", "ok", []),
    ("/png/m-01.png", "F1", "ok", []),
    ("/gif/m-02.gif", "H", "ok", []),
    ("/webp/m-03.webp", "F1", "ok", []),
    ("/big/m-04.jpg", "H", "ok", []),
    ("/404/m-05.jpg", "F1", "not_found", [404]),
    ("/410/m-06.jpg", "H", "not_found", [410]),
    ("/403/m-07.jpg", "F1", "forbidden", [403]),
    ("/401/m-08.jpg", "H", "forbidden", [401]),
    ("/flaky/m-09.jpg", "H", "ok", []),
    ("/500/m-10.jpg", "F1", "server_error", [500]),
    ("/429/m-11.jpg", "F1", "ok", []),
    ("/html/m-12.jpg", "H", "not_image", [200]),
    ("/lying/m-13.jpg", "F1", "not_image", [200]),
    ("/placeholder/m-14.png", "H", "placeholder", [200, 206]),     # ranged: 206 or the full GET's 200
    ("/placeholder-norange/m-15.png", "F1", "placeholder", [200]),
    ("/noai/m-16.jpg", "H", "opted_out", [200]),
    ("/robots-other/m-17.jpg", "F1", "ok", []),
    ("/redirect/3/m-18.jpg", "H", "ok", []),
    ("/redirect/7/m-19.jpg", "F1", NOK, [0, 302]),                   # 8 hops > --max-redirects 5
    ("/loop/m-20.jpg", "H", NOK, [0, 302]),
    ("/reset/m-21.jpg", "F1", "connection_failed", [0]),
    ("/img/m-22.jpg", "DEAD", "connection_failed", [0]),             # refused
    ("/stall/m-23.jpg", "H", "timeout", [0, 200]),                   # headers came, then nothing
    ("/slow/m-24.jpg", "F1", "ok", []),
    ("/img/m-25.jpg", "CDN", "ok", []),                              # through --url-map
    ("/404/m-26.jpg", "CDN", "not_found", [404]),
    ("/404/m-27,comma.jpg", "H", "not_found", [404]),                # a URL that CSV must quote
]
make_set("main", main, 12)
ph = [(p, "F1", "ok", []) for p in ["/slow/ph1-%02d.jpg" % i for i in range(40)]] + \
     [(p, "F2", "ok", []) for p in ["/slow/ph2-%02d.jpg" % i for i in range(40)]]
make_set("perhost", ph, 2000012)
state = [("/img/s-00.jpg", "H", "ok", []), ("/404/s-01.jpg", "F1", "not_found", [404]),
         ("/html/s-02.jpg", "H", "not_image", [200]), ("/png/s-03.png", "F1", "ok", []),
         ("/placeholder/s-04.png", "H", "placeholder", [200, 206]), ("/403/s-05.jpg", "F1", "forbidden", [403]),
         ("/img/s-06.jpg", "F1", "ok", []), ("/noai/s-07.jpg", "H", "opted_out", [200]),
         ("/lying/s-08.jpg", "F1", "not_image", [200]), ("/slow/s-09.jpg", "H", "ok", []),
         ("/410/s-10.jpg", "H", "not_found", [410]), ("/gif/s-11.gif", "F1", "ok", [])]
make_set("state", state, 3000012)
fetch = [("/img/f-00.jpg", "H", "ok", []), ("/png/f-01.png", "F1", "ok", []), ("/gif/f-02.gif", "H", "ok", []),
         ("/webp/f-03.webp", "F1", "ok", []), ("/big/f-04.jpg", "H", "ok", []), ("/slow/f-05.jpg", "F1", "ok", []),
         ("/redirect/2/f-06.jpg", "H", "ok", []), ("/robots-other/f-07.jpg", "F1", "ok", []),
         ("/flaky/f-08.jpg", "H", "ok", []), ("/img/f-09.jpg", "CDN", "ok", []),
         ("/img/f-10.jpg", "H", "ok", []),                                # a non-empty file is already there
         ("/png/f-11.png", "F1", "ok", []),                               # an empty file is already there
         ("/404/f-12.jpg", "F1", "not_found", [404]), ("/html/f-13.jpg", "H", "not_image", [200]),
         ("/lying/f-14.jpg", "F1", "not_image", [200]), ("/placeholder/f-15.png", "H", "placeholder", [200, 206]),
         ("/noai/f-16.jpg", "F1", "opted_out", [200]), ("/500/f-17.jpg", "H", "server_error", [500])]
make_set("fetch", fetch, 4000012)
# Mostly /slow/; every fourth a /trickle/ (its body comes in 4 pieces over 0.3 s), so that
# the kill lands in the middle of some bodies.
kill = [("/%s/k-%02d.jpg" % ("trickle" if i % 4 == 3 else "slow", i), "H" if i % 2 else "F1", "ok", []) for i in range(48)]
make_set("kill", kill, 5000012)
PYEOF

# --- 1. Every class, --parallel 32 -----------------------------------------------------------
COMMON=(--no-progress --timeout 1.5 --connect-timeout 1 --placeholders "$S/placeholders.txt" "${NET[@]}")
m0=$(log_mark)
run_lv main 40 probe "$S/main.json" --parallel 32 --json "$S/main.out.json" --csv "$S/main.out.csv" "${COMMON[@]}"
m1=$(log_mark)
expect "main: exit 1 when some URLs are not ok (got $code, $elapsed s)" [ "$code" -eq 1 ]
pycheck main "$m0" "$m1" <<'PYEOF'
import sys
from lvp import *
m0, m1 = int(sys.argv[1]), int(sys.argv[2])
exp = load_exp("main")
check_report("main", exp, S + "/main.out.json", S + "/main.out.csv")
reqs = requests(m0, m1)
paths = {r["path"] for r in reqs}
unasked = [e["path"] for e in exp if e["host"] != "DEAD" and not any(p.endswith(e["path"].split("/")[-1]) for p in paths)]
check(not unasked, "main: the server got a request for every URL", "never asked: %s" % unasked)
hosts = sorted({host_of(r) for r in reqs})
check(set(hosts) <= {"images.example.com", "farm1.staticflickr.com"},
      "main: Host headers are the records' host names (cdn.example.net mapped to images.example.com)", "got %s" % hosts)
uas = sorted({r["user_agent"] for r in reqs})
check(uas and all(u.startswith("llava-verify/") for u in uas), "main: the User-Agent starts with llava-verify/", "got %s" % uas)
img = [r for r in reqs if r["path"] == "/img/m-00.jpg"]
check(len(img) == 1 and img[0]["range"] == "bytes=0-15", "main: an image is asked once, with Range: bytes=0-15",
      "requests %s" % [(r["method"], r["range"], r["status"]) for r in img])
asked_whole = [r["path"] for r in reqs if r["method"] == "GET" and r["range"] == "" and not r["path"].startswith("/placeholder")]
check(not asked_whole, "main: every GET carries a Range (only the first bytes are asked for; a placeholder's "
      "size match may be fetched whole)", "without Range: %s" % asked_whole[:8])
big = [r for r in reqs if r["path"] == "/big/m-04.jpg"]
sent = max((r["body_bytes_sent"] for r in big), default=None)
check(big and sent < 1 << 20 and not any(r["complete"] for r in big),
      "main: /big/ ignores Range and the tool cut it short (%s of 2097152 body bytes sent, < 1 MiB)" % sent,
      "requests %s" % [(r["status"], r["body_bytes_sent"], r["complete"]) for r in big])
def count(path):
    return sum(1 for r in reqs if r["path"] == path)
check(count("/flaky/m-09.jpg") == 2, "main: /flaky/ retried once after its 500 (2 requests)", "%d requests" % count("/flaky/m-09.jpg"))
check(count("/429/m-11.jpg") == 2, "main: /429/ retried once (2 requests)", "%d requests" % count("/429/m-11.jpg"))
check(count("/500/m-10.jpg") == 3, "main: /500/ asked 3 times (1 + --retries 2 by default)", "%d requests" % count("/500/m-10.jpg"))
# libcurl itself asks once more when a reused keep-alive connection dies before any answer.
# Our 3 attempts; libcurl itself re-sends a request whose reused keep-alive connection
# turns out dead, up to 5 times (CONN_MAX_RETRIES): 3 to 18 requests.
check(3 <= count("/reset/m-21.jpg") <= 18, "main: /reset/ asked 3 times (1 + --retries 2), each maybe re-sent by libcurl "
      "on a dead reused connection (at most 18)", "%d requests" % count("/reset/m-21.jpg"))
check(count("/stall/m-23.jpg") == 3, "main: /stall/ asked 3 times (timeouts are retried)", "%d requests" % count("/stall/m-23.jpg"))
for p in ("/404/m-05.jpg", "/403/m-07.jpg", "/401/m-08.jpg", "/410/m-06.jpg", "/html/m-12.jpg"):
    check(count(p) == 1, "main: %s asked once (no retry on a definitive answer)" % p, "%d requests" % count(p))
hops = sorted(r["path"] for r in reqs if r["path"].startswith("/redirect/") and r["path"].endswith("m-19.jpg"))
check(1 <= len(hops) <= 3 * 7, "main: /redirect/7/ stopped following redirects (%d requests)" % len(hops), "")
loops = count("/loop/m-20.jpg")
check(1 <= loops <= 3 * 6, "main: /loop/ stopped after --max-redirects (%d requests)" % loops, "")
conns = len({r["conn"] for r in reqs})
out("note", "main: %d requests over %d connections (keep-alive)" % (len(reqs), conns))
PYEOF

# --- 2. The report does not depend on --parallel ----------------------------------------------
run_lv serial 40 probe "$S/main.json" --parallel 1 --json "$S/serial.out.json" --csv "$S/serial.out.csv" "${COMMON[@]}"
expect "--parallel 1: exit 1 (got $code, $elapsed s)" [ "$code" -eq 1 ]
expect "--parallel 1 and --parallel 32 give byte-identical JSON" same_file "$S/serial.out.json" "$S/main.out.json"
expect "--parallel 1 and --parallel 32 give byte-identical CSV" same_file "$S/serial.out.csv" "$S/main.out.csv"

# --- 3. --only, --user-agent, --ignore-robots, no --placeholders -------------------------------
pycheck only-list <<'PYEOF'
from lvp import *
exp = load_exp("main")
pick = [e for e in exp if e["path"] in ("/img/m-00.jpg", "/404/m-05.jpg", "/placeholder/m-14.png", "/noai/m-16.jpg")]
with open(S + "/only.txt", "w") as f:
    f.write("".join(e["image"] + "\n" for e in pick))
print("only: %s" % " ".join(str(e["index"]) for e in pick))
PYEOF
m0=$(log_mark)
run_lv only 20 probe "$S/main.json" --only "$S/only.txt" --user-agent "lv-test-agent/2.0 (+https://example.org)" \
  --ignore-robots --json "$S/only.out.json" --no-progress --timeout 5 "${NET[@]}"
expect "--only: exit 1 (got $code)" [ "$code" -eq 1 ]
pycheck only "$m0" <<'PYEOF'
import sys
from lvp import *
exp = load_exp("main")
for e in exp:       # without --placeholders the placeholder is an image; with --ignore-robots, noai is ok
    if e["path"] in ("/placeholder/m-14.png", "/noai/m-16.jpg"):
        e["cls"] = "ok"
only = {e["index"] for e in exp if e["path"] in ("/img/m-00.jpg", "/404/m-05.jpg", "/placeholder/m-14.png", "/noai/m-16.jpg")}
check_report("--only", exp, S + "/only.out.json", only=only)
reqs = requests(int(sys.argv[1]))
paths = sorted({r["path"] for r in reqs})
want = sorted(e["path"] for e in exp if e["index"] in only)
check(paths == want, "--only: the server got requests for the listed images only", "got %s" % paths)
uas = sorted({r["user_agent"] for r in reqs})
check(uas == ["lv-test-agent/2.0 (+https://example.org)"], "--user-agent: the server got that User-Agent", "got %s" % uas)
PYEOF

# --- 4. --per-host: 40 slow URLs on each of two hosts (127.0.0.1 and 127.0.0.2) ----------------
m0=$(log_mark)
run_lv perhost 30 probe "$S/perhost.json" --parallel 32 --per-host 3 --json "$S/perhost.out.json" --no-progress "${NET[@]}"
expect "--per-host 3: exit 0, all 80 URLs ok (got $code, $elapsed s)" [ "$code" -eq 0 ]
pycheck perhost "$m0" <<'PYEOF'
import sys
from lvp import *
check_report("--per-host 3", load_exp("perhost"), S + "/perhost.out.json")
reqs = [r for r in requests(int(sys.argv[1])) if r["path"].startswith("/slow/ph")]
check(len({r["path"] for r in reqs}) == 80, "--per-host 3: the server got the 80 URLs", "%d distinct" % len({r["path"] for r in reqs}))
for name, local in (("farm1.staticflickr.com", None), ("farm2.staticflickr.com", "127.0.0.2")):
    mine = [r for r in reqs if host_of(r) == name]
    mh = max((r["in_flight_host"] for r in mine), default=0)
    check(1 < mh <= 3, "--per-host 3: at most 3 requests in flight to %s, and more than 1 (max %d)" % (name, mh))
    if local:
        ml = max((r["in_flight_local"] for r in mine), default=0)
        check(ml <= 3, "--per-host 3: at most 3 requests in flight on %s (max %d)" % (local, ml))
mt = max((r["in_flight_total"] for r in reqs), default=0)
check(mt > 3, "--per-host 3 --parallel 32: both hosts were served at once (max %d in flight in all; the records list "
      "one host's 40 URLs, then the other's: a full queue for one host must not hold the other back)" % mt)
conns = len({r["conn"] for r in reqs})
check(conns <= len(reqs) // 2, "--per-host 3: keep-alive connections are reused (%d requests over %d connections; "
      "a complete 206 of the 1024 bytes asked for must not be cut, which closes the connection)" % (len(reqs), conns))
PYEOF

# --- 5. --state: a re-run does not ask again for what is classified ----------------------------
pycheck state-list <<'PYEOF'
from lvp import *
exp = load_exp("state")
with open(S + "/state-first.txt", "w") as f:
    f.write("".join(e["image"] + "\n" for e in exp[:6]))
PYEOF
STATE_ARGS=(--placeholders "$S/placeholders.txt" --no-progress --timeout 5 "${NET[@]}")
m0=$(log_mark)
run_lv state1 20 probe "$S/state.json" --state "$S/probe.state" --only "$S/state-first.txt" --json "$S/state1.out.json" "${STATE_ARGS[@]}"
m1=$(log_mark)
expect "--state, first run (--only the first 6 records): exit 1 (got $code)" [ "$code" -eq 1 ]
run_lv state2 20 probe "$S/state.json" --state "$S/probe.state" --json "$S/state2.out.json" --csv "$S/state2.out.csv" "${STATE_ARGS[@]}"
m2=$(log_mark)
expect "--state, second run (all records): exit 1 (got $code)" [ "$code" -eq 1 ]
run_lv state3 20 probe "$S/state.json" --state "$S/probe.state" --json "$S/state3.out.json" "${STATE_ARGS[@]}"
m3=$(log_mark)
expect "--state, third run: exit 1 (got $code)" [ "$code" -eq 1 ]
pycheck state "$m0" "$m1" "$m2" "$m3" <<'PYEOF'
import sys
from lvp import *
m0, m1, m2, m3 = map(int, sys.argv[1:5])
exp = load_exp("state")
first, rest = [e["path"] for e in exp[:6]], [e["path"] for e in exp[6:]]
def paths(a, b):
    return sorted(r["path"] for r in requests(a, b))
check(sorted(set(paths(m0, m1))) == sorted(first), "--state run 1: asked for the 6 --only records",
      "asked %s" % paths(m0, m1))
p2 = paths(m1, m2)
check(not set(p2) & set(first), "--state run 2: did not ask again for the 6 classified in run 1",
      "asked again %s" % sorted(set(p2) & set(first)))
check(sorted(set(p2)) == sorted(rest), "--state run 2: asked for the 6 others", "asked %s" % sorted(set(p2)))
check_report("--state run 2", exp, S + "/state2.out.json", S + "/state2.out.csv")
p3 = paths(m2, m3)
check(not p3, "--state run 3: no request at all (%d)" % len(p3), "asked %s" % p3[:8])
r2, r3 = load_report(S + "/state2.out.json", "run 2"), load_report(S + "/state3.out.json", "--state run 3")
same = r2 is not None and r3 is not None and r2.get("items") == r3.get("items") and \
    all(r2["summary"].get(k) == r3["summary"].get(k) for k in SUMMARY_KEYS)
check(same, "--state run 3: the same items and counts as run 2 (classes from the state file)")
PYEOF

# --- 6. --fetch-missing --dest DIR --------------------------------------------------------------
D=$S/images
mkdir -p "$D"
pycheck fetch-prepare <<'PYEOF'
from lvp import *
exp = load_exp("fetch")
by = {e["path"]: e for e in exp}
with open(S + "/images/" + by["/img/f-10.jpg"]["image"], "wb") as f:
    f.write(b"a file that was here before\n")
open(S + "/images/" + by["/png/f-11.png"]["image"], "wb").close()
PYEOF
FETCH_ARGS=(--fetch-missing --dest "$D" --placeholders "$S/placeholders.txt" --no-progress --timeout 5 "${NET[@]}")
m0=$(log_mark)
run_lv fetch1 30 probe "$S/fetch.json" --json "$S/fetch1.out.json" "${FETCH_ARGS[@]}"
m1=$(log_mark)
expect "--fetch-missing: exit 1 (got $code, $elapsed s)" [ "$code" -eq 1 ]
find "$D" -mindepth 1 -printf '%P %i %s %T@\n' | sort >"$S/fetch1.files"
dir_mtime1=$(stat -c %Y.%y "$D")
run_lv fetch2 30 probe "$S/fetch.json" --json "$S/fetch2.out.json" "${FETCH_ARGS[@]}"
m2=$(log_mark)
expect "--fetch-missing re-run: exit 1 (got $code)" [ "$code" -eq 1 ]
find "$D" -mindepth 1 -printf '%P %i %s %T@\n' | sort >"$S/fetch2.files"
expect "--fetch-missing re-run: no file in DIR was created, replaced or touched" same_file "$S/fetch1.files" "$S/fetch2.files"
[ "$(stat -c %Y.%y "$D")" = "$dir_mtime1" ] ||
  echo "note: --fetch-missing re-run: DIR's own mtime changed: the re-run created or removed an entry in it (a temporary file?)"
pycheck fetch "$m0" "$m1" "$m2" <<'PYEOF'
import sys
from lvp import *
m0, m1, m2 = map(int, sys.argv[1:4])
exp = load_exp("fetch")
ok = [e for e in exp if e["cls"] == "ok"]
check_report("--fetch-missing", exp, S + "/fetch1.out.json", fetched=len(ok) - 1)
d = S + "/images"
bad = []
for e in ok:
    p = os.path.join(d, e["image"])
    want = b"a file that was here before\n" if e["path"] == "/img/f-10.jpg" else expected_bytes(e)
    try:
        got = open(p, "rb").read()
    except OSError:
        got = None
    if got != want:
        bad.append("%s (%s): %s" % (e["image"], e["path"], "missing" if got is None else "%d bytes, expected %d" % (len(got), len(want))))
check(not bad, "--fetch-missing: DIR/<image> holds the server's exact bytes for each ok URL (the non-empty file "
      "already there kept, the empty one replaced)", "; ".join(bad[:5]))
names = files_under(d)
want = sorted(e["image"] for e in ok)
check(names == want, "--fetch-missing: DIR holds the ok images and nothing else (no file for a non-ok URL, no "
      "*.part or temporary file left)", "extra %s, missing %s" % (sorted(set(names) - set(want)), sorted(set(want) - set(names))))
check_report("--fetch-missing re-run", exp, S + "/fetch2.out.json", fetched=0)
ok_names = {e["path"].rsplit("/", 1)[1] for e in ok}
whole = [r["path"] for r in requests(m1, m2) if r["method"] == "GET" and r["range"] == "" and r["path"].rsplit("/", 1)[1] in ok_names]
check(not whole, "--fetch-missing re-run: downloaded nothing (no GET without Range of an ok URL)", "GETs without Range: %s" % whole)
PYEOF

# An `image` value that climbs out of DIR is never written outside it.
"$PY" - "$S/escape.json" "$PORT" <<'PYEOF'
import json, sys
port = int(sys.argv[2])
recs = [{"id": "GCC_train_000000001", "image": "../escape.jpg", "caption": "x",
         "url": "http://images.example.com:%d/img/e-00.jpg" % port},
        {"id": "GCC_train_000000002", "image": "/tmp/lv-probe-absolute-escape.jpg", "caption": "x",
         "url": "http://images.example.com:%d/img/e-01.jpg" % port}]
json.dump(recs, open(sys.argv[1], "w"))
PYEOF
mkdir -p "$S/esc/dest"
rm -f /tmp/lv-probe-absolute-escape.jpg
run_lv escape 20 probe "$S/escape.json" --fetch-missing --dest "$S/esc/dest" --no-progress --timeout 5 "${NET[@]}"
expect "--fetch-missing: image values '../escape.jpg' and '/tmp/...' write nothing outside DIR (exit $code)" \
  eval '[ ! -e "$S/esc/escape.jpg" ] && [ ! -e /tmp/lv-probe-absolute-escape.jpg ]'
rm -f /tmp/lv-probe-absolute-escape.jpg

# --- 7. SIGKILL in the middle of --fetch-missing, then a re-run ---------------------------------
DK=$S/killed
mkdir -p "$DK"
LAST=kill LAST_ARGS="probe kill.json --fetch-missing --dest DIR --parallel 16 (killed)"
"$LV" probe "$S/kill.json" --fetch-missing --dest "$DK" --parallel 16 --no-progress --timeout 5 "${NET[@]}" \
  >"$S/kill.out" 2>"$S/kill.err" </dev/null &
BGPID=$!
# The kill: 0.15 s after the first file (final or temporary) appears in DIR, while the
# first /trickle/ bodies are still coming.
nfiles=0
for _ in $(seq 1 800); do
  nfiles=$(find "$DK" -type f 2>/dev/null | wc -l || true)
  [ "$nfiles" -ge 1 ] && break
  kill -0 "$BGPID" 2>/dev/null || break
  sleep 0.025
done
sleep 0.15
nfiles=$(find "$DK" -type f 2>/dev/null | wc -l || true)
kill -KILL "$BGPID" 2>/dev/null || true
st=0
wait "$BGPID" 2>/dev/null || st=$?
BGPID=""
if [ "$st" -eq 137 ]; then
  expect "SIGKILL: the kill landed while files were being written ($nfiles files in DIR)" [ "$nfiles" -ge 1 ]
  pycheck killed <<'PYEOF'
from lvp import *
exp = load_exp("kill")
d = S + "/killed"
final = {e["image"]: e for e in exp}
names = files_under(d)
bad = [n for n in names if n in final and open(os.path.join(d, n), "rb").read() != expected_bytes(final[n])]
check(not bad, "SIGKILL: every file under a final name is complete (%d final, %d other files)"
      % (sum(n in final for n in names), sum(n not in final for n in names)), "incomplete: %s" % bad[:5])
PYEOF
  run_lv kill-rerun 30 probe "$S/kill.json" --fetch-missing --dest "$DK" --parallel 16 --json "$S/kill2.out.json" \
    --no-progress --timeout 5 "${NET[@]}"
  expect "SIGKILL re-run: exit 0 (got $code, $elapsed s)" [ "$code" -eq 0 ]
  pycheck kill-rerun <<'PYEOF'
from lvp import *
exp = load_exp("kill")
rep = check_report("SIGKILL re-run", exp, S + "/kill2.out.json", fetched=None)
d = S + "/killed"
bad = []
for e in exp:
    try:
        got = open(os.path.join(d, e["image"]), "rb").read()
    except OSError:
        got = None
    if got != expected_bytes(e):
        bad.append(e["image"])
check(not bad, "SIGKILL re-run: all 48 images complete, byte for byte", "wrong or missing: %s" % bad[:5])
names = files_under(d)
extra = sorted(set(names) - {e["image"] for e in exp})
check(not extra, "SIGKILL re-run: no temporary file of the killed run left in DIR", "left: %s" % extra[:5])
PYEOF
else
  fail "SIGKILL: the run ended (exit $st) before the kill ($nfiles files in DIR): nothing was interrupted"
fi

# --- 7b. Images in sub-folders, many in flight at once, each written into its own folder ---------
"$PY" - "$S/nested.json" "$PORT" <<'PYEOF'
import json, sys
recs = [{"id": str(i), "image": "d%d/sub%d/n-%02d.jpg" % (i % 5, i % 3, i),
         "url": "http://images.example.com:%s/slow/n-%02d.jpg" % (sys.argv[2], i)} for i in range(40)]
json.dump(recs, open(sys.argv[1], "w"))
PYEOF
run_lv nested 30 probe "$S/nested.json" "${NET[@]}" --no-progress --parallel 16 --per-host 16 \
  --fetch-missing --dest "$S/nested"
expect "nested: exit 0 (got $code)" [ "$code" -eq 0 ]
pycheck nested <<'PYEOF'
from lvp import *
d = S + "/nested"
bad = []
for i in range(40):
    rel = "d%d/sub%d/n-%02d.jpg" % (i % 5, i % 3, i)
    try:
        got = open(os.path.join(d, rel), "rb").read()
    except OSError:
        got = None
    if got != probe_server.body_for("/slow/n-%02d.jpg" % i)[1]:
        bad.append(rel)
check(not bad, "nested: 40 images, 16 at a time, each in its folder with its own bytes", "wrong or missing: %s" % bad[:5])
check(len(files_under(d)) == 40, "nested: nothing else written", "found %s" % files_under(d)[:8])
PYEOF

# --- 8. Could not run: exit 2 -------------------------------------------------------------------
run_lv nometa 10 probe "$S/no-such-metadata.json" --no-progress --json "$S/nometa.out.json"
expect "probe of a missing metadata file: exit 2 (got $code)" [ "$code" -eq 2 ]
printf '[{"id": "GCC_train_000000001", "url": "http://images.example.com/x.jpg"' >"$S/broken.json"
run_lv broken 10 probe "$S/broken.json" --no-progress --json "$S/broken.out.json"
expect "probe of a truncated metadata file: exit 2 (got $code)" [ "$code" -eq 2 ]

# The server saw nothing but loopback clients, and only the names given to --resolve.
pycheck server <<'PYEOF'
from lvp import *
reqs = requests()
peers = sorted({r["peer"].rsplit(":", 1)[0] for r in reqs})
check(all(p.startswith("127.") for p in peers), "server: every client was on loopback", "peers %s" % peers)
hosts = sorted({host_of(r) for r in reqs})
check(set(hosts) <= {"images.example.com", "farm1.staticflickr.com", "farm2.staticflickr.com"},
      "server: every Host header is a name given to --resolve", "got %s" % hosts)
PYEOF
summary
