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
#  (d) at 1280x900 and at 390x844 (a phone: mobile emulation over the
#      DevTools pipe), the page does not scroll sideways (scrollWidth <=
#      innerWidth), even with 450-character restore commands and 80-character
#      ids and image names: a restore command is in a wrapped <pre> under the
#      record files, named after its record file, never in a <td>; ids and
#      image names break only after '/' and '_'; the record file column keeps
#      its width; the folder bars are "Images per folder"; a record file's
#      roots, hint and invalid_detail are shown.
# Also: the same folder twice gives the same report.html bytes, and the JSON
# embedded in it is report.json; with --probe-report, the probe section shows
# each class's count and share (and is hidden without one).
# Usage: compat_audit_html.sh /path/to/llava-verify
# AUDIT_HTML_SCREENSHOTS=DIR keeps screenshots of (d) in DIR (NAME-WIDTH-N.png).
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

# The long names: a release folder whose paths, record ids and image names are
# 80-odd characters of words joined by '_' and '/', its missing images in an
# archive beside it (a restore command of some 450 characters), a record with
# an invalid value, and a section whose images sit one folder too deep (a hint).
make_long() {
  "$PY" - "$1" <<'PYEOF'
import json, os, sys, zipfile
out = sys.argv[1]
data = b"\xff\xd8\xff\xe0 not really a jpeg \xff\xd9"
def write(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "wb").write(data)
records, missing = [], []
for i in range(24):
    top = ("coco", "gqa", "ocr_vqa", "textvqa")[i % 4]
    image = f"{top}/train2017_shard_{i:06d}/part_b_object_detection/caption_record_{i:09d}_view_{i % 3}.jpg"
    records.append({"id": f"{top}_train2017_shard_{i:06d}_part_b_object_detection_caption_record_identifier_{i:09d}",
                    "image": image, "conversations": [{"from": "human", "value": "<image>\nDescribe."}, {"from": "gpt", "value": "ok"}]})
    if i % 3 == 0:
        missing.append(image)
    else:
        write(os.path.join(out, image))
records.append({"id": "the_record_whose_image_is_outside_the_release_folder", "image": "../outside_of_the_release_folder.jpg",
                "conversations": []})
json.dump(records, open(os.path.join(out, "llava_v1_5_mix665k_subset_with_long_names.json"), "w"), indent=1)
with zipfile.ZipFile(os.path.join(out, "images_for_the_missing_records_of_the_subset.zip"), "w") as z:
    for name in missing:
        z.writestr(name, data)
deep = os.path.join(out, "LLaVA_Pretrain_like_subset_with_a_long_folder_name")
os.makedirs(deep)
pretrain = []
for i in range(4):
    image = f"{i // 2:05d}/blip_laion_cc_sbu_pretraining_image_with_a_long_name_{i:09d}.jpg"
    pretrain.append({"id": f"{i:09d}", "image": image, "conversations": []})
    write(os.path.join(deep, "one_folder_level_too_deep", image))
json.dump(pretrain, open(os.path.join(deep, "blip_laion_cc_sbu_558k_subset.json"), "w"), indent=1)
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
    check(f"{tag}: bars per folder", got == want, f"page {list(got.items())[:1]}, report.json {list(want.items())[:1]}")
    title = next((n.text() for n in dom.by_id("folders-section").children if isinstance(n, Node) and n.tag == "h2"), None)
    check(f"{tag}: the folder bars are 'Images per folder'", title == "Images per folder", repr(title))
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
    stray = [n.tag for tr in trs for n in tr.walk() if n.tag not in ("td", "a", "wbr")]
    check(f"{tag}: missing rows hold only text, links and <wbr>", not stray, f"elements {sorted(set(stray))[:5]}")
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

# check_layout NAME...: the pages of these cases at a laptop's and a phone's
# width, in one Chromium driven over --remote-debugging-pipe (at most 60 s).
check_layout() {
  local args=() name code start=$SECONDS
  for name in "$@"; do
    args+=("$name" "$("$PY" -c 'import pathlib, sys; print(pathlib.Path(sys.argv[1]).resolve().as_uri())' "$S/$name-out/report.html")"
           "$S/$name-out/report.json")
  done
  mkdir -p "$S/home"
  HOME="$S/home" XDG_CONFIG_HOME="$S/home/.config" XDG_CACHE_HOME="$S/home/.cache" \
    timeout -k 5 60 "$PY" - "$BROWSER" "$S" "${AUDIT_HTML_SCREENSHOTS:-}" "${args[@]}" >"$S/layout.out" 2>"$S/layout.err" <<'PYEOF' &
import base64, json, os, select, subprocess, sys, time
browser, scratch, shots = sys.argv[1:4]
pages = [sys.argv[i:i + 3] for i in range(4, len(sys.argv), 3)]
SIZES = ((1280, 900), (390, 844))

# The DevTools protocol over a pipe: the browser reads fd 3 and writes fd 4,
# one JSON message per NUL-terminated chunk.
to_browser, browser_in = os.pipe()[::-1]
browser_out, from_browser = os.pipe()[::-1]
def fds():
    a, b = os.dup(browser_in), os.dup(browser_out)
    os.dup2(a, 3)
    os.dup2(b, 4)
proc = subprocess.Popen([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         f"--user-data-dir={scratch}/profile-layout", "--no-first-run", "--no-default-browser-check",
                         "--disable-extensions", "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--disable-default-apps", "--host-resolver-rules=MAP * ~NOTFOUND",
                         "--hide-scrollbars", "--remote-debugging-pipe", "about:blank"],
                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(f"{scratch}/layout.log", "w"),
                        preexec_fn=fds, close_fds=False)
os.close(browser_in)
os.close(browser_out)
pending, events, next_id = b"", [], 0
def receive(deadline):
    global pending
    while b"\0" not in pending:
        if not select.select([from_browser], [], [], max(0, deadline - time.time()))[0]:
            raise TimeoutError("no answer from the browser")
        chunk = os.read(from_browser, 1 << 20)
        if not chunk:
            raise EOFError("the browser closed the pipe")
        pending += chunk
    message, pending = pending.split(b"\0", 1)
    return json.loads(message)
def call(method, params=None, session=None, timeout=20):
    global next_id
    next_id += 1
    message = {"id": next_id, "method": method, "params": params or {}}
    if session:
        message["sessionId"] = session
    os.write(to_browser, json.dumps(message).encode() + b"\0")
    deadline = time.time() + timeout
    while True:
        answer = receive(deadline)
        if answer.get("id") == next_id:
            if "error" in answer:
                raise RuntimeError(f"{method}: {answer['error']}")
            return answer["result"]
        events.append(answer)
def wait_for(method, session, timeout=20):
    deadline = time.time() + timeout
    while True:
        for i, e in enumerate(events):
            if e.get("method") == method and e.get("sessionId") == session:
                return events.pop(i)
        events.append(receive(deadline))
def evaluate(expression, session):
    answer = call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
    if "exceptionDetails" in answer:
        raise RuntimeError(answer["exceptionDetails"].get("exception", {}).get("description", "exception"))
    return answer["result"].get("value")

# What the page shows, measured in it (restores: the commands to look for in <td>s).
MEASURE = r"""(function (restores) {
  var d = document.documentElement, W = window.innerWidth;
  function all(q, root) { return Array.prototype.slice.call((root || document).querySelectorAll(q)); }
  function one(q, root) { var e = (root || document).querySelector(q); return e ? e.textContent : null; }
  var out = { rendered: document.body.getAttribute('data-rendered'), errors: document.body.getAttribute('data-errors'),
              scrollWidth: d.scrollWidth, clientWidth: d.clientWidth, innerWidth: W };
  out.past = all('body *').filter(function (e) {
    return e.getBoundingClientRect().right > W + 0.5 && !e.closest('.wide, .scroll');
  }).slice(0, 5).map(function (e) { return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && e.className.baseVal === undefined ? '.' + e.className : ''); });
  out.folderTitle = one('#folders-section h2');
  out.folderLabels = all('#chart-folders svg').map(function (s) { return s.getAttribute('aria-label'); });
  out.notes = all('#record-notes > div').map(function (n) {
    return { file: n.getAttribute('data-record-file'), title: one('h3', n), roots: one('p.roots', n), hint: one('p.hint', n),
             invalid: one('p.invalid', n), restores: all('.restore', n).map(function (e) {
               var cs = getComputedStyle(e);
               return { tag: e.tagName.toLowerCase(), text: e.textContent, inTd: !!e.closest('td'), whiteSpace: cs.whiteSpace,
                        right: e.getBoundingClientRect().right };
             }) };
  });
  var tds = all('td');
  out.restoreInTd = restores.filter(function (r) { return tds.some(function (td) { return td.textContent.indexOf(r) >= 0; }); });
  out.recordFileWidths = all('#record-files td[data-col="path"]').map(function (td) { return td.getBoundingClientRect().width; });
  var cells = all('#missing-rows td[data-col="id"], #missing-rows td[data-col="image"]').slice(0, 200);
  out.cells = cells.length;
  out.anywhere = cells.filter(function (td) { return getComputedStyle(td).overflowWrap === 'anywhere'; }).length;
  out.split = [];
  out.wrapped = 0;
  cells.forEach(function (td) {
    var tops = {};
    Array.prototype.forEach.call(td.childNodes, function (n) {
      if (n.nodeType !== 3) return;
      var r = document.createRange();
      r.selectNodeContents(n);
      var rects = r.getClientRects();
      if (rects.length) tops[Math.round(rects[0].top)] = 1;
      if (rects.length > 1 && /^[^\s-]+$/.test(n.data)) out.split.push(n.data);
    });
    if (Object.keys(tops).length > 1) out.wrapped++;
  });
  return out;
})(%s)"""

results = []
def check(name, ok, detail=""):
    results.append(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + detail))
try:
    target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    call("Page.enable", {}, session)
    for name, url, report_path in pages:
        report = json.load(open(report_path, encoding="utf-8"))
        files = report.get("record_files", [])
        restores = [f["restore"] for f in files if f.get("restore")]
        for w, h in SIZES:
            tag = f"{name} at {w}x{h}"
            call("Page.navigate", {"url": "about:blank"}, session)  # not laid out again at the new size
            wait_for("Page.loadEventFired", session)
            call("Emulation.setDeviceMetricsOverride", {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": w < 600}, session)
            call("Page.navigate", {"url": url}, session)
            wait_for("Page.loadEventFired", session)
            m = evaluate(MEASURE % json.dumps(restores), session)
            check(f"{tag}: rendered without error", m["rendered"] == "ok" and m["errors"] == "0", f"{m['rendered']}, {m['errors']} errors")
            check(f"{tag}: innerWidth is {w}", m["innerWidth"] == w, str(m["innerWidth"]))
            check(f"{tag}: no sideways scrolling", m["scrollWidth"] <= min(m["innerWidth"], m["clientWidth"]),
                  f"scrollWidth {m['scrollWidth']}, innerWidth {m['innerWidth']}, past the edge: {m['past']}")
            with_folders = [f for f in files if f.get("folders")]
            if with_folders:
                check(f"{tag}: 'Images per folder'", m["folderTitle"] == "Images per folder", repr(m["folderTitle"]))
                want = ["present and missing images per folder of " + f["path"] for f in with_folders]
                check(f"{tag}: the folder charts' labels", m["folderLabels"] == want, f"{m['folderLabels']!r}")
            notes = {n["file"]: n for n in m["notes"]}
            for f in files:
                n, path = notes.get(f["path"]), f["path"]
                roots = [r for r in f.get("roots", []) if r]
                if f.get("restore"):
                    cmds = n["restores"] if n else []
                    check(f"{tag}: {path}: its restore command in a <pre> under the table",
                          n is not None and n["title"] == path and [(c["tag"], c["text"]) for c in cmds] == [("pre", f["restore"])],
                          f"{n!r}")
                    check(f"{tag}: {path}: the restore command wraps, within the page",
                          all(not c["inTd"] and c["whiteSpace"] == "pre-wrap" and c["right"] <= w for c in cmds), f"{cmds!r}")
                if roots:
                    want = "checked against: " + ", ".join(roots)
                    check(f"{tag}: {path}: the image folders", n is not None and n["roots"] == want, f"{n and n['roots']!r}, want {want!r}")
                if f.get("hint"):
                    check(f"{tag}: {path}: the hint", n is not None and n["hint"] == "no image found: " + f["hint"], f"{n and n['hint']!r}")
                if f.get("invalid_detail"):
                    check(f"{tag}: {path}: the invalid value", n is not None and n["invalid"] == "first invalid image value: " + f["invalid_detail"],
                          f"{n and n['invalid']!r}")
            check(f"{tag}: no restore command in a table cell", not m["restoreInTd"], f"{m['restoreInTd'][:1]!r}")
            check(f"{tag}: the record file column keeps its width", all(x >= 100 for x in m["recordFileWidths"]), f"{m['recordFileWidths']}")
            check(f"{tag}: ids and image names break after '/' and '_' only", not m["split"] and not m["anywhere"],
                  f"{m['anywhere']} cells with overflow-wrap:anywhere; pieces broken: {m['split'][:3]}")
            if name == "long":
                check(f"{tag}: the long ids and image names wrap", m["wrapped"] > 0, f"{m['wrapped']} of {m['cells']} cells on two lines or more")
            if shots:
                height = evaluate("document.documentElement.scrollHeight", session)
                for k, y in enumerate(range(0, min(height, 6 * h), h)):  # the first six screens, scrolled to
                    evaluate(f"window.scrollTo(0, {y})", session)
                    png = call("Page.captureScreenshot", {"format": "png"}, session)["data"]
                    open(os.path.join(shots, f"{name}-{w}-{k}.png"), "wb").write(base64.b64decode(png))
    try:
        call("Browser.close", timeout=5)
    except (OSError, RuntimeError, TimeoutError, EOFError):
        pass
except (OSError, RuntimeError, TimeoutError, EOFError, ValueError, KeyError) as e:
    check("the layout run", False, f"{type(e).__name__}: {e}")
finally:
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
print("\n".join(results))
PYEOF
  browser_pgid=$!
  wait "$browser_pgid"
  code=$?
  kill -KILL -- "-$browser_pgid" 2>/dev/null
  browser_pgid=""
  echo "layout: chromium run took $((SECONDS - start)) s"
  if [ "$code" -ne 0 ]; then
    fail "layout: the run exited $code (124: timed out)"
    tail -n 5 "$S/layout.err" | sed 's/^/    /'
  fi
  passed=$((passed + $(grep -c '^PASS ' "$S/layout.out")))
  failed=$((failed + $(grep -c '^FAIL ' "$S/layout.out")))
  grep '^FAIL ' "$S/layout.out" | sed 's/^FAIL /FAIL: layout: /'
  grep -q '^[PF][AI][SI][SL] ' "$S/layout.out" || fail "layout: the checker printed nothing"
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
# The long names: in a folder whose path makes the restore command long.
LONG="$S/a_release_folder_with_a_rather_long_name_for_the_restore_command/playground_data_subset"
mkdir -p "$LONG"
make_long "$LONG"
check_case long "$LONG"
[ -n "${AUDIT_HTML_SCREENSHOTS:-}" ] && mkdir -p "$AUDIT_HTML_SCREENSHOTS"
check_layout sample tricky long
summary
