#!/usr/bin/env bash
# report.html of `llava-verify audit`, opened in a real browser (headless
# Chromium, no network): on examples/sample-release, and on a made-up release
# whose ids, names and captions hold markup, quotes and non-ASCII text and
# whose 5,000+ missing images pass the table's cap. For each:
#  (a) the page renders: <body data-rendered="ok" data-errors="0">, and the
#      browser logs no console message (an uncaught exception logs one);
#  (b) what it shows is report.json: every data-key element against
#      summary (missing_fraction as a percent with 2 decimals, rounded as JS
#      toFixed does), the verdict and reasons, the bars, the file checks, and
#      the missing table row by row (capped at 5,000, links only for http(s)
#      URLs, with rel=noreferrer); the filter (given as #q=... in the URL)
#      searches every row, not only those drawn;
#  (c) the page loads nothing: no URL attribute (src, href, ...) but data:
#      ones in the file, and in the rendered DOM none but the http(s) links of
#      the missing table; its CSP is default-src 'none'; and Chromium's net log
#      has no request made by the page (the browser's own are refused by DNS).
# Also: the same folder twice gives the same report.html bytes, and the JSON
# embedded in it is report.json; with --probe-report, the probe section shows
# each class's count and share (and is hidden without one).
# Usage: compat_audit_html.sh /path/to/llava-verify
set -u
LV=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
SAMPLE="$HERE/../../examples/sample-release"
PY=/usr/bin/python3
export LC_ALL=C.UTF-8
S=$(mktemp -d "${TMPDIR:-/tmp}/lv-audithtml.XXXXXX")
browser_pgid=""
cleanup() {
  # timeout(1) leads its own process group: the browser and its helpers.
  [ -n "$browser_pgid" ] && kill -KILL -- "-$browser_pgid" 2>/dev/null
  rm -rf "$S"
}
trap cleanup EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
summary() {
  echo "compat_audit_html: $passed passed, $failed failed"
  [ "$failed" -eq 0 ] && exit 0
  exit 1
}

BROWSER=$(command -v chromium)
if [ -z "$BROWSER" ]; then
  fail "chromium is not installed (scripts/install-deps.sh installs it)"
  summary
fi

# browse URL NAME: one headless Chromium run of at most 60 s, writing
# $S/NAME.dom (the DOM after scripts ran), NAME.log (stderr, with the console)
# and NAME.netlog; no DNS, no background services; root needs --no-sandbox.
browse() {
  local code
  mkdir -p "$S/home"
  HOME="$S/home" XDG_CONFIG_HOME="$S/home/.config" XDG_CACHE_HOME="$S/home/.cache" \
    timeout -k 5 60 "$BROWSER" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
      --user-data-dir="$S/profile-$2" --no-first-run --no-default-browser-check \
      --disable-extensions --disable-background-networking --disable-component-update \
      --disable-sync --disable-default-apps --host-resolver-rules="MAP * ~NOTFOUND" \
      --enable-logging=stderr --v=0 --log-net-log="$S/$2.netlog" \
      --virtual-time-budget=2000 --dump-dom "$1" >"$S/$2.dom" 2>"$S/$2.log" </dev/null &
  browser_pgid=$!
  wait "$browser_pgid"
  code=$?
  kill -KILL -- "-$browser_pgid" 2>/dev/null  # helpers left behind, if any
  browser_pgid=""
  return "$code"
}

# The made-up release: chat.json + metadata.json + images/ with 2 of 5,004
# images (some in shard folders), so 5,002 are missing.
make_tricky() {
  "$PY" - "$1" <<'PYEOF'
import json, os, sys
out = sys.argv[1]
os.makedirs(os.path.join(out, "images", "00001"), exist_ok=True)
nasty = ['</script><script>document.body.setAttribute("data-pwned","1")</script>',
         '"quoted" & <b>bold</b> \'single\' <!-- x', 'café 東京 🙂 ß İ', 'line\u2028sep\u2029end', '<img src=x onerror="document.body.setAttribute(\'data-pwned\',\'3\')">']
records, meta = [], []
for i in range(5004):
    n = nasty[i % len(nasty)] if i % 97 == 0 else ""
    image = f"{i % 4:05d}/img{i}.jpg" if i % 2 else f"img{i}.jpg"
    if i == 7: image = "00003/a&b \"q\" é.jpg"
    records.append({"id": f"rec{i}{n}", "image": image,
                    "conversations": [{"from": "human", "value": "<image>\nDescribe."}, {"from": "gpt", "value": n or "ok"}]})
    url = f"https://example.com/{i}.jpg?a=1&b=<2>" if i % 3 else ("javascript:document.body.setAttribute('data-pwned','2')" if i == 9 else "")
    meta.append({"id": f"rec{i}", "image": image, "url": url, "blip_caption": n or f"caption {i}"})
json.dump(records, open(os.path.join(out, "chat.json"), "w"), ensure_ascii=False, indent=1)
json.dump(meta, open(os.path.join(out, "metadata.json"), "w"), ensure_ascii=False, indent=1)
for name in ("img0.jpg", "00001/img1.jpg"):
    open(os.path.join(out, "images", name), "wb").write(b"\xff\xd8\xff\xe0 not really a jpeg \xff\xd9")
PYEOF
}

# check_case NAME DIR [min_missing [AUDIT_OPTION...]]
check_case() {
  local name=$1 dir=$2 min_missing=${3:-0} out="$S/$1-out" code query url
  shift 3 2>/dev/null || shift $#
  local extra=("$@")
  "$LV" audit "$dir" --report-dir "$out" "${extra[@]}" >"$S/$name.stdout" 2>"$S/$name.stderr"
  code=$?
  if [ "$code" -ne 0 ] && [ "$code" -ne 1 ]; then
    fail "$name: audit exited $code, expected 0 or 1"; sed 's/^/    /' "$S/$name.stderr" | head -5
    return
  fi
  if [ ! -s "$out/report.json" ] || [ ! -s "$out/report.html" ]; then
    fail "$name: audit did not write report.json and report.html in $out"
    return
  fi
  pass
  # The same folder gives the same page, byte for byte.
  "$LV" audit "$dir" --report-dir "$out-again" "${extra[@]}" >/dev/null 2>&1
  if cmp -s "$out/report.html" "$out-again/report.html"; then pass; else fail "$name: report.html differs from run to run"; fi

  url=$("$PY" -c 'import pathlib, sys; print(pathlib.Path(sys.argv[1]).resolve().as_uri())' "$out/report.html")
  # The filter: the id of the last missing image (past the cap when there are
  # more), in capitals to show that case does not matter.
  query=$("$PY" - "$out/report.json" <<'PYEOF'
import json, sys
ids = [str(m.get("id") or "") for m in json.load(open(sys.argv[1])).get("missing", [])]
ids = [i for i in ids if i and i.isascii() and i.strip() == i]
print(ids[-1].upper() if ids else "")
PYEOF
  )
  local start=$SECONDS
  browse "$url" "$name"
  code=$?
  if [ "$code" -ne 0 ]; then
    fail "$name: chromium exited $code (124: timed out)"; grep -v -e dbus -e 'unexpected operator' "$S/$name.log" | head -5 | sed 's/^/    /'
    [ "$code" -eq 124 ] && summary  # a page that hangs the browser: no 60 s more per run
    return
  fi
  if [ -n "$query" ]; then
    browse "$url#q=$("$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$query")" "$name-q"
    code=$?
    [ "$code" -eq 0 ] || fail "$name: chromium exited $code on the filtered page"
  fi
  echo "$name: chromium runs took $((SECONDS - start)) s"

  local results
  results=$("$PY" - "$out/report.json" "$out/report.html" "$S/$name" "$query" "$min_missing" <<'PYEOF'
import json, os, re, sys
from decimal import Decimal, ROUND_HALF_UP
from html.parser import HTMLParser

report_path, html_path, base, query, min_missing = sys.argv[1:6]
CAP = 5000
report = json.load(open(report_path, encoding="utf-8"))
results = []
def check(name, ok, detail=""):
    results.append(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + detail))

class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children = tag, attrs, parent, []
    def text(self):
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)
    def walk(self):
        for c in self.children:
            if isinstance(c, Node):
                yield c
                yield from c.walk()
    def find(self, pred):
        return [n for n in self.walk() if pred(n)]
    def by_id(self, i):
        found = self.find(lambda n: n.attrs.get("id") == i)
        return found[0] if found else None
    def ancestors(self):
        n = self.parent
        while n is not None:
            yield n
            n = n.parent

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
class Tree(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.cur = self.root
    def handle_starttag(self, tag, attrs):
        n = Node(tag, {k: (v if v is not None else "") for k, v in attrs}, self.cur)
        self.cur.children.append(n)
        if tag not in VOID:
            self.cur = n
    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, {k: (v if v is not None else "") for k, v in attrs}, self.cur))
    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent
    def handle_data(self, data):
        self.cur.children.append(data)

def parse(path):
    t = Tree()
    t.feed(open(path, encoding="utf-8").read())
    t.close()
    return t.root

def js_text(v):  # String(v) in the page, for the values a report holds
    if v is None: return ""
    if v is True: return "true"
    if v is False: return "false"
    if isinstance(v, float) and v.is_integer(): return str(int(v))
    return str(v)

def js_pct(f):  # (f*100).toFixed(2) + '%': the exact double, halves rounded up
    if not isinstance(f, (int, float)) or isinstance(f, bool): return "n/a"
    return str(Decimal(f * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)) + "%"

URL_ATTRS = {"src", "href", "srcset", "data", "poster", "action", "formaction", "xlink:href", "background", "manifest", "ping", "codebase", "cite", "longdesc"}

# (c) in the file as written: nothing to load, a CSP that forbids loading, the JSON embedded whole.
page = parse(html_path)
raw = open(html_path, encoding="utf-8").read()
bad = [f"<{n.tag} {a}={n.attrs[a]!r}>" for n in page.walk() for a in n.attrs if a in URL_ATTRS and not n.attrs[a].startswith("data:")]
check("report.html names no resource but data: ones", not bad, ", ".join(bad[:3]))
bad = [n.tag for n in page.walk() if n.tag in ("iframe", "frame", "object", "embed", "base") or (n.tag == "script" and "src" in n.attrs)
       or (n.tag == "link" and n.attrs.get("rel", "").lower() not in ("icon",))]
check("report.html has no external script, frame or stylesheet", not bad, ", ".join(bad[:3]))
styles = " ".join(n.text() for n in page.walk() if n.tag == "style")
check("the inline CSS imports nothing", not re.search(r"@import|url\(", styles), "@import or url( in <style>")
csp = [n.attrs.get("content", "") for n in page.walk() if n.tag == "meta" and n.attrs.get("http-equiv", "").lower() == "content-security-policy"]
check("the page's CSP is default-src 'none'", len(csp) == 1 and "default-src 'none'" in csp[0], repr(csp))
embedded = page.by_id("report")
try:
    same = embedded is not None and json.loads(embedded.text()) == report
except ValueError as e:
    same = False
check("the embedded JSON is report.json", same, "script#report differs from report.json")
check("no '<' left in the embedded JSON", embedded is not None and "<" not in embedded.text(), "a raw '<' in script#report")
check("report.html has only its own 3 </script>", raw.lower().count("</script") == 3, f"{raw.lower().count('</script')} '</script' in the file")

def check_dom(tag, dom_path, log_path, net_path, q):
    if not os.path.exists(dom_path) or os.path.getsize(dom_path) == 0:
        check(f"{tag}: chromium dumped the DOM", False, "empty DOM dump")
        return
    dom = parse(dom_path)
    body = next((n for n in dom.walk() if n.tag == "body"), None)
    # (a) rendered, without errors.
    check(f"{tag}: rendered", body is not None and body.attrs.get("data-rendered") == "ok",
          f"data-rendered={body.attrs.get('data-rendered') if body else None}")
    check(f"{tag}: no script error", body is not None and body.attrs.get("data-errors") == "0",
          f"data-errors={body.attrs.get('data-errors') if body else None}: {dom.by_id('errors').text() if dom.by_id('errors') else ''}")
    console = [l.strip() for l in open(log_path, encoding="utf-8", errors="replace") if ":CONSOLE" in l]
    check(f"{tag}: nothing on the console", not console, " | ".join(console[:3]))
    check(f"{tag}: no injected markup ran", not dom.find(lambda n: "data-pwned" in n.attrs), "an attribute set by an injected script")

    # (b) the numbers are report.json's.
    summary = report.get("summary", {})
    shown = {}
    for n in dom.find(lambda n: "data-key" in n.attrs):
        shown.setdefault(n.attrs["data-key"], []).append(n.text())
    check(f"{tag}: one data-key element per summary key", sorted(shown) == sorted(summary) and all(len(v) == 1 for v in shown.values()),
          f"page {sorted(shown)}, summary {sorted(summary)}")
    for k, v in summary.items():
        want = js_pct(v) if k == "missing_fraction" else js_text(v)
        got = shown.get(k, [None])[0]
        check(f"{tag}: summary {k}", got == want, f"page {got!r}, report.json {want!r}")
    verdict = dom.by_id("verdict")
    check(f"{tag}: verdict", verdict is not None and verdict.attrs.get("data-verdict") == report.get("verdict")
          and dom.by_id("verdict-text").text() == str(report.get("verdict")).upper(), "verdict banner differs")
    reasons = [n.text() for n in dom.by_id("reasons").children if isinstance(n, Node)]
    check(f"{tag}: reasons", reasons == (report.get("reasons") or ["every check passed"]), f"{reasons!r}")
    bars = [(n.attrs.get("data-record-file"), n.attrs.get("data-present"), n.attrs.get("data-missing"))
            for n in dom.by_id("chart-records").walk() if n.tag == "g" and "data-record-file" in n.attrs]
    want = [(r["path"], js_text(r["present"]), js_text(r["missing"])) for r in report.get("record_files", [])]
    check(f"{tag}: bars per record file", bars == want, f"page {bars[:3]}, report.json {want[:3]}")
    got = {}
    for box in dom.by_id("chart-folders").children:
        if isinstance(box, Node):
            got[box.attrs.get("data-record-file")] = [(n.attrs.get("data-folder"), n.attrs.get("data-present"), n.attrs.get("data-missing"))
                                                    for n in box.walk() if n.tag == "g" and "data-folder" in n.attrs]
    want = {r["path"]: [(d["folder"], js_text(d["present"]), js_text(d["missing"])) for d in r["folders"]]
            for r in report.get("record_files", []) if r.get("folders")}
    check(f"{tag}: bars per shard folder", got == want, f"page {list(got.items())[:1]}, report.json {list(want.items())[:1]}")
    rows = [{td.attrs["data-col"]: td.text() for td in tr.children if isinstance(td, Node)}
            for tr in dom.by_id("files").walk() if tr.tag == "tr" and tr.parent.tag == "tbody"]
    want = [{"path": f["path"], "status": f["status"], "size": js_text(f["size"])} for f in report.get("files", [])]
    check(f"{tag}: file checks", [{k: r.get(k) for k in ("path", "status", "size")} for r in rows] == want, f"page {rows[:2]}, report.json {want[:2]}")
    findings = [tr for tr in dom.by_id("findings").walk() if tr.tag == "tr" and tr.parent.tag == "tbody"]
    want = sum(len(a.get("findings", [])) for a in report.get("archives", []))
    check(f"{tag}: archive findings", len(findings) == want, f"{len(findings)} rows, {want} findings")
    # The probe section: shown only with --probe-report, one row per class with its count and share.
    probe, section = report.get("probe"), dom.by_id("probe-section")
    if probe:
        check(f"{tag}: probe section shown", section is not None and "hidden" not in section.attrs, "hidden")
        note = dom.by_id("probe-note")
        want = (f"{probe['path']}: {js_text(probe['ok'])} of {js_text(probe['urls'])} URLs answer with an image "
                f"({js_pct(probe['reachable_fraction'])})")
        check(f"{tag}: probe note", note is not None and note.text() == want, f"page {note.text() if note else None!r}, want {want!r}")
        rows = [[td.text() for td in tr.children if isinstance(td, Node)]
                for tr in dom.by_id("probe").walk() if tr.tag == "tr" and tr.parent.tag == "tbody"]
        classes = ["ok", "not_found", "forbidden", "server_error", "timeout", "connection_failed", "not_image", "placeholder", "opted_out"]
        want = [[k, js_text(probe[k]), js_pct(probe[k] / probe["urls"])] for k in classes]
        check(f"{tag}: probe rows", rows == want, f"page {rows[:3]}, report.json {want[:3]}")
    else:
        check(f"{tag}: no probe section", section is not None and "hidden" in section.attrs, "shown without a probe report")

    # The missing table: the matching records in order, at most CAP of them.
    missing = report.get("missing", [])
    ql = q.strip().lower()
    def hay(m):
        return "\0".join(js_text(m.get(k)) for k in ("record_file", "index", "id", "image", "url", "caption")).lower()
    matches = [m for m in missing if not ql or ql in hay(m)]
    expect = matches[:CAP]
    tbody = dom.by_id("missing-rows")
    trs = [tr for tr in tbody.children if isinstance(tr, Node)] if tbody is not None else []
    check(f"{tag}: {len(expect)} missing rows", len(trs) == len(expect), f"{len(trs)} rows on the page")
    stray = [n.tag for tr in trs for n in tr.walk() if n.tag not in ("td", "a")]
    check(f"{tag}: missing rows hold only text and links", not stray, f"elements {sorted(set(stray))[:5]}")
    multi = len({m.get("record_file") for m in missing}) > 1
    cols = (["record_file"] if multi else []) + ["index", "id", "image", "url", "caption"]
    wrong = []
    for i, (tr, m) in enumerate(zip(trs, expect)):
        cells = {td.attrs.get("data-col"): td for td in tr.children if isinstance(td, Node)}
        got = {c: cells[c].text() if c in cells else None for c in cols}
        if got != {c: js_text(m.get(c)) for c in cols}:
            wrong.append(f"row {i}: {got!r}")
            continue
        links = [a for a in tr.walk() if a.tag == "a"]
        url = js_text(m.get("url"))
        if re.match(r"^https?://", url, re.I):
            if len(links) != 1 or links[0].attrs.get("href") != url or "noreferrer" not in links[0].attrs.get("rel", "").split():
                wrong.append(f"row {i}: link {[(a.attrs) for a in links]!r} for {url!r}")
        elif links:
            wrong.append(f"row {i}: a link for the non-http URL {url!r}")
    check(f"{tag}: missing rows equal report.json", not wrong, "; ".join(wrong[:3]))
    status = dom.by_id("missing-shown")
    check(f"{tag}: 'N of M shown'", status is not None and status.text() == f"{len(expect)} of {len(missing)} shown",
          repr(status.text() if status else None))
    note = dom.by_id("missing-note")
    if len(matches) > CAP:
        want = f"first {CAP} of {str(len(matches)) + ' matches' if ql else len(missing)}; the CSV has them all"
        check(f"{tag}: the cap note", note is not None and "hidden" not in note.attrs and note.text() == want, repr(note.text() if note else None))
    else:
        check(f"{tag}: no cap note", note is not None and "hidden" in note.attrs, "the note is shown")

    # (c) after rendering: only <a> in the missing table points outside; no request left the page.
    bad = [f"<{n.tag} {a}={n.attrs[a]!r}>" for n in dom.walk() for a in n.attrs if a in URL_ATTRS and not n.attrs[a].startswith("data:")
           and not (n.tag == "a" and a == "href" and tbody in n.ancestors() and re.match(r"^https?://", n.attrs[a], re.I))]
    check(f"{tag}: the rendered page names no resource but data: ones and http(s) links", not bad, ", ".join(bad[:3]))
    try:
        text = open(net_path, encoding="utf-8", errors="replace").read()
        try:
            net = json.loads(text)
        except ValueError:
            net = json.loads(text.rstrip().rstrip(",") + "]}")  # a log cut short
        types = {v: k for k, v in net["constants"]["logEventTypes"].items()}
        reqs = [e["params"]["url"] for e in net["events"]
                if types.get(e["type"]) == "URL_REQUEST_START_JOB" and "url" in e.get("params", {})
                and e["params"].get("initiator") != "not an origin"  # the browser's own background requests
                and not e["params"]["url"].startswith(("file:", "data:", "blob:", "about:", "chrome:"))]
        check(f"{tag}: the page made no network request", not reqs, ", ".join(reqs[:3]))
    except (OSError, ValueError, KeyError) as e:
        check(f"{tag}: the net log is readable", False, str(e))

check_dom("page", base + ".dom", base + ".log", base + ".netlog", "")
if query:
    check_dom(f"page#q={query}", base + "-q.dom", base + "-q.log", base + "-q.netlog", query)
if int(min_missing):
    n = len(report.get("missing", []))
    check(f"at least {min_missing} missing images", n >= int(min_missing), f"{n} in report.json")
print("\n".join(results))
PYEOF
  )
  passed=$((passed + $(grep -c '^PASS ' <<<"$results")))
  local fails
  fails=$(grep -c '^FAIL ' <<<"$results")
  failed=$((failed + fails))
  grep '^FAIL ' <<<"$results" | sed "s/^FAIL /FAIL: $name: /"
  if ! grep -q '^[PF][AI][SI][SL] ' <<<"$results"; then
    fail "$name: the checker printed nothing"
  fi
}

check_case sample "$SAMPLE"
# A probe report (as `probe --json` writes it) beside the sample: its summary gets a section.
cat >"$S/probe.json" <<'JSON'
{"tool": "llava-verify", "version": "0.1.0", "command": "probe", "meta_file": "metadata.json", "dest": null,
 "summary": {"records": 300, "urls": 300, "ok": 255, "not_found": 30, "forbidden": 5, "server_error": 2, "timeout": 1,
             "connection_failed": 3, "not_image": 2, "placeholder": 1, "opted_out": 1, "without_url": 0,
             "not_selected": 0, "from_state": 0, "fetched": 0, "already_present": 0},
 "items": []}
JSON
check_case probe "$SAMPLE" 0 --probe-report "$S/probe.json"
mkdir -p "$S/release<i>&é"
make_tricky "$S/release<i>&é"
check_case tricky "$S/release<i>&é" 5001
summary
