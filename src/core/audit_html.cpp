#include "core/audit_html.h"

namespace lv {
namespace {

// The page up to the embedded JSON. The Content-Security-Policy lets the page
// load nothing at all (inline styles and scripts only; `data:` for the empty
// favicon, so the browser asks for no favicon.ico), whatever the report holds.
constexpr std::string_view kHead = R"lvhtml(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<meta name="generator" content="llava-verify audit">
<title>llava-verify audit report</title>
<link rel="icon" href="data:,">
<style>
:root { --fg: #1d2127; --muted: #5c6570; --bg: #fff; --panel: #f5f7f9; --line: #d9dee3;
        --ok: #1f7a3a; --ok-bg: #e6f4ea; --bad: #b3261e; --bad-bg: #fce8e6; --warn: #8a5a00;
        --present: #3c9a5f; --missing: #d04a3c; --link: #0b57d0; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e3e6ea; --muted: #9aa3ad; --bg: #16181b; --panel: #1f2227; --line: #343a41;
          --ok: #7fd19b; --ok-bg: #15301f; --bad: #f2948b; --bad-bg: #3a1a17; --warn: #e0b45c;
          --present: #4fb474; --missing: #e0675a; --link: #8ab4f8; }
}
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 16px 20px 40px; color: var(--fg); background: var(--bg);
       font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 22px; margin: 0 0 2px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 14px; margin: 14px 0 6px; color: var(--muted); font-weight: 600; }
a { color: var(--link); }
.muted, #meta { color: var(--muted); }
td[data-col="sha256"] { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12px; }
.banner { margin: 14px 0; padding: 12px 16px; border-radius: 8px; border: 1px solid var(--line); background: var(--panel); }
.banner.pass { background: var(--ok-bg); border-color: var(--ok); }
.banner.fail { background: var(--bad-bg); border-color: var(--bad); }
#verdict-text { font-size: 24px; font-weight: 700; letter-spacing: .04em; }
.banner.pass #verdict-text { color: var(--ok); }
.banner.fail #verdict-text { color: var(--bad); }
#reasons { margin: 6px 0 0; padding-left: 20px; }
#policy { margin: 6px 0 0; color: var(--muted); }
#errors { margin: 12px 0; padding: 10px 14px; border: 2px solid var(--bad); border-radius: 8px; color: var(--bad); }
.groups { display: flex; flex-wrap: wrap; gap: 12px 28px; }
.cards { display: flex; flex-wrap: wrap; gap: 8px; }
.card { min-width: 112px; padding: 8px 12px; border: 1px solid var(--line); border-radius: 8px; background: var(--panel); }
.card .value { display: block; font-size: 20px; font-weight: 650; font-variant-numeric: tabular-nums; }
.card .label { display: block; color: var(--muted); font-size: 12px; }
.card.bad { border-color: var(--bad); }
.card.bad .value { color: var(--bad); }
.chart { display: block; width: 100%; max-width: 940px; height: auto; font: 12px system-ui, sans-serif; }
.chart text { fill: var(--fg); }
.chart .present { fill: var(--present); }
.chart .missing { fill: var(--missing); }
.chart .track { fill: var(--panel); }
table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: anywhere; }
th { background: var(--panel); position: sticky; top: 0; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.st-ok { color: var(--ok); font-weight: 600; }
.st-bad { color: var(--bad); font-weight: 600; }
.st-warn { color: var(--warn); font-weight: 600; }
.toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 12px; margin: 6px 0; }
#filter { width: min(420px, 100%); padding: 6px 10px; font: inherit; color: inherit; background: var(--bg);
          border: 1px solid var(--line); border-radius: 6px; }
#missing-note { color: var(--warn); }
.scroll { max-height: 70vh; overflow: auto; border: 1px solid var(--line); border-radius: 6px; }
.scroll table { margin: 0; }
</style>
<script>
// Errors while rendering are counted in the body's data-errors attribute and shown on the page.
window.lvErrorCount = 0;
function lvShowError(text) {
  window.lvErrorCount += 1;
  if (!document.body) return;
  document.body.setAttribute('data-errors', String(window.lvErrorCount));
  var box = document.getElementById('errors');
  if (!box) return;
  var p = document.createElement('p');
  p.textContent = 'The report could not be shown in full: ' + text;
  box.appendChild(p);
  box.hidden = false;
}
window.addEventListener('error', function (e) { lvShowError(e.message || 'script error'); });
window.addEventListener('unhandledrejection', function (e) { lvShowError(String(e.reason)); });
</script>
</head>
<body data-rendered="no" data-errors="0">
<header>
<h1>llava-verify audit</h1>
<div id="meta"></div>
</header>
<noscript><p>This page draws report.json with JavaScript; report.json beside it holds the same data.</p></noscript>
<div id="errors" role="alert" hidden></div>
<section id="verdict" class="banner">
<div><span id="verdict-text"></span></div>
<ul id="reasons"></ul>
<p id="policy"></p>
<ul id="problems"></ul>
</section>
<section><h2>Summary</h2><div id="cards" class="groups"></div></section>
<section><h2>Images per record file</h2><div id="chart-records"></div></section>
<section id="folders-section" hidden><h2>Images per shard folder</h2><div id="chart-folders"></div></section>
<section><h2>Record files</h2><div id="record-files"></div></section>
<section><h2>File checks</h2><div id="files"></div></section>
<section><h2>Archives</h2><div id="archives"></div><h3>Archive findings</h3><div id="findings"></div></section>
<section><h2>Inputs</h2><div id="inputs"></div></section>
<section id="probe-section" hidden><h2>URL probe</h2><p id="probe-note"></p><div id="probe"></div></section>
<section id="missing-section"><h2>Missing images</h2>
<div class="toolbar">
<input id="filter" type="search" placeholder="Filter by id, image, URL or caption" aria-label="Filter the missing images" autocomplete="off" spellcheck="false">
<span id="missing-shown" aria-live="polite"></span>
<span id="missing-note" hidden></span>
</div>
<div class="scroll"><table id="missing-table"><thead><tr id="missing-head"></tr></thead><tbody id="missing-rows"></tbody></table></div>
</section>
<script type="application/json" id="report">)lvhtml";

// The rest of the page: the script that renders the JSON. Every string of the
// report goes in with textContent or setAttribute, never as markup.
constexpr std::string_view kTail = R"lvhtml(</script>
<script>
(function () {
  'use strict';
  var CAP = 5000;
  var SVG_NS = 'http://www.w3.org/2000/svg';
  var report = JSON.parse(document.getElementById('report').textContent);
  var summary = report.summary || {};

  function text(v) { return v === null || v === undefined ? '' : String(v); }
  function pct(f) { return typeof f === 'number' && isFinite(f) ? (f * 100).toFixed(2) + '%' : 'n/a'; }
  function count(v) { return typeof v === 'number' && isFinite(v) ? v : 0; }
  function list(v) { return Array.isArray(v) ? v : []; }
  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, content) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (content !== undefined) e.textContent = content;
    return e;
  }
  function svg(tag, attrs, content) {
    var e = document.createElementNS(SVG_NS, tag);
    for (var k in attrs || {}) e.setAttribute(k, String(attrs[k]));
    if (content !== undefined) e.textContent = content;
    return e;
  }
  function short(s, n) { return s.length > n ? s.slice(0, n - 1) + '\u2026' : s; }
  function httpLink(url) {
    if (!/^https?:\/\//i.test(url)) return document.createTextNode(url);
    return el('a', { href: url, rel: 'noreferrer' }, url);
  }

  // A table of rows; optional columns appear only when some row has a value.
  function table(cols, rows) {
    var used = cols.filter(function (c) {
      return !c.optional || rows.some(function (r) { return text(r[c.key]) !== ''; });
    });
    var t = el('table');
    var head = el('tr');
    used.forEach(function (c) { head.appendChild(el('th', { scope: 'col', class: c.num ? 'num' : '' }, c.label)); });
    t.appendChild(el('thead')).appendChild(head);
    var body = el('tbody');
    var frag = document.createDocumentFragment();
    rows.forEach(function (r) {
      var tr = el('tr');
      used.forEach(function (c) {
        var td = el('td', { 'data-col': c.key });
        var v = c.get ? c.get(r) : r[c.key];
        if (v instanceof Node) td.appendChild(v); else td.textContent = text(v);
        var cls = (c.num ? 'num ' : '') + (c.cls ? c.cls(r) : '');
        if (cls.trim()) td.className = cls.trim();
        tr.appendChild(td);
      });
      frag.appendChild(tr);
    });
    body.appendChild(frag);
    t.appendChild(body);
    return t;
  }
  function fill(id, cols, rows, none) {
    $(id).appendChild(rows.length ? table(cols, rows) : el('p', { class: 'muted' }, none));
  }
  function statusClass(s) {
    return s === 'ok' ? 'st-ok' : (s === 'failed' || s === 'missing' || s === 'error') ? 'st-bad' : 'st-warn';
  }

  function renderHeader() {
    var parts = ['directory ' + text(report.directory), text(report.tool) + ' ' + text(report.version)];
    if (report.timestamp) parts.push(text(report.timestamp));
    $('meta').textContent = parts.join(' \u00b7 ');
    document.title = 'audit ' + text(report.verdict).toUpperCase() + ': ' + text(report.directory);
  }

  function renderVerdict() {
    var v = text(report.verdict);
    var box = $('verdict');
    box.className = 'banner ' + (v === 'pass' || v === 'fail' ? v : 'unknown');
    box.setAttribute('data-verdict', v);
    $('verdict-text').textContent = v.toUpperCase();
    var reasons = list(report.reasons);
    reasons.forEach(function (r) { $('reasons').appendChild(el('li', {}, text(r))); });
    if (!reasons.length) $('reasons').appendChild(el('li', { class: 'muted' }, 'every check passed'));
    var p = report.policy || {};
    var parts = ['max missing fraction ' + (p.max_missing_fraction === null || p.max_missing_fraction === undefined
                                            ? 'not set' : pct(p.max_missing_fraction)),
                 'unknown hashes ' + (p.allow_unknown_hashes ? 'allowed' : 'not allowed')];
    if (list(p.require).length) parts.push('required: ' + list(p.require).map(text).join(', '));
    $('policy').textContent = 'Policy: ' + parts.join('; ');
    list(report.problems).forEach(function (w) { $('problems').appendChild(el('li', { class: 'st-warn' }, text(w))); });
  }

  var CARDS = [
    ['Release files', [['files_checked', 'checked'], ['files_ok', 'ok'], ['files_failed', 'failed'],
                       ['files_unverified', 'unverified']]],
    ['Archives', [['archives', 'archives'], ['archive_entries', 'entries'], ['archive_findings', 'findings']]],
    ['Records', [['record_files', 'record files'], ['records', 'records'], ['distinct_images', 'distinct images']]],
    ['Images', [['present', 'present'], ['missing', 'missing'], ['missing_fraction', 'missing fraction']]]
  ];
  var BAD = { files_failed: 1, files_unverified: 1, archive_findings: 1, missing: 1, missing_fraction: 1 };

  function renderCards() {
    var known = {};
    var groups = CARDS.map(function (g) {
      g[1].forEach(function (c) { known[c[0]] = 1; });
      return [g[0], g[1].filter(function (c) { return c[0] in summary; })];
    });
    var other = Object.keys(summary).filter(function (k) { return !known[k]; });
    if (other.length) groups.push(['Other', other.map(function (k) { return [k, k.replace(/_/g, ' ')]; })]);
    groups.forEach(function (g) {
      if (!g[1].length) return;
      var box = el('div', { class: 'group' });
      box.appendChild(el('h3', {}, g[0]));
      var cards = box.appendChild(el('div', { class: 'cards' }));
      g[1].forEach(function (c) {
        var key = c[0], v = summary[key];
        var card = cards.appendChild(el('div', { class: 'card' + (BAD[key] && typeof v === 'number' && v > 0 ? ' bad' : '') }));
        card.appendChild(el('span', { class: 'value', 'data-key': key }, key === 'missing_fraction' ? pct(v) : text(v)));
        card.appendChild(el('span', { class: 'label' }, c[1]));
      });
      $('cards').appendChild(box);
    });
  }

  // Horizontal stacked bars, present then missing, on one scale per chart.
  function bars(rows, label) {
    var LABEL = 230, BAR = 440, NOTE = 270, ROW = 24, TOP = 26;
    var width = LABEL + BAR + NOTE, height = TOP + rows.length * ROW + 4;
    var max = 1;
    rows.forEach(function (r) { max = Math.max(max, r.present + r.missing); });
    var s = svg('svg', { class: 'chart', viewBox: '0 0 ' + width + ' ' + height, width: width, height: height,
                         role: 'img', 'aria-label': label });
    s.appendChild(svg('rect', { class: 'present', x: LABEL, y: 6, width: 12, height: 12 }));
    s.appendChild(svg('text', { x: LABEL + 18, y: 16 }, 'present'));
    s.appendChild(svg('rect', { class: 'missing', x: LABEL + 90, y: 6, width: 12, height: 12 }));
    s.appendChild(svg('text', { x: LABEL + 108, y: 16 }, 'missing'));
    rows.forEach(function (r, i) {
      var y = TOP + i * ROW;
      var g = s.appendChild(svg('g', r.attrs));
      g.appendChild(svg('title', {}, r.label + ': ' + r.present + ' present, ' + r.missing + ' missing'));
      g.appendChild(svg('text', { x: LABEL - 8, y: y + 16, 'text-anchor': 'end' }, short(r.label, 32)));
      var wp = BAR * r.present / max, wm = BAR * r.missing / max;
      g.appendChild(svg('rect', { class: 'track', x: LABEL, y: y + 4, width: BAR, height: ROW - 8 }));
      g.appendChild(svg('rect', { class: 'present', x: LABEL, y: y + 4, width: wp.toFixed(2), height: ROW - 8 }));
      g.appendChild(svg('rect', { class: 'missing', x: (LABEL + wp).toFixed(2), y: y + 4, width: wm.toFixed(2), height: ROW - 8 }));
      g.appendChild(svg('text', { x: LABEL + BAR + 8, y: y + 16 }, r.present + ' present, ' + r.missing + ' missing' + r.note));
    });
    return s;
  }

  function renderCharts() {
    var files = list(report.record_files);
    if (!files.length) {
      $('chart-records').appendChild(el('p', { class: 'muted' }, 'No record file was read.'));
      return;
    }
    $('chart-records').appendChild(bars(files.map(function (f) {
      var p = count(f.present), m = count(f.missing);
      return { label: text(f.path), present: p, missing: m,
               note: ' (' + pct(f.missing_fraction) + ')',
               attrs: { class: 'bar', 'data-record-file': text(f.path), 'data-present': p, 'data-missing': m } };
    }), 'present and missing images per record file'));
    var any = false;
    files.forEach(function (f) {
      var folders = list(f.folders);
      if (!folders.length) return;
      any = true;
      var box = $('chart-folders').appendChild(el('div', { 'data-record-file': text(f.path) }));
      if (files.length > 1) box.appendChild(el('h3', {}, text(f.path)));
      box.appendChild(bars(folders.map(function (d) {
        var p = count(d.present), m = count(d.missing);
        return { label: text(d.folder) === '' ? '(top level)' : text(d.folder), present: p, missing: m, note: '',
                 attrs: { class: 'bar', 'data-folder': text(d.folder), 'data-present': p, 'data-missing': m } };
      }), 'present and missing images per shard folder of ' + text(f.path)));
    });
    $('folders-section').hidden = !any;
  }

  function renderTables() {
    fill('record-files', [
      { key: 'path', label: 'record file' },
      { key: 'records', label: 'records', num: true },
      { key: 'distinct_images', label: 'distinct images', num: true },
      { key: 'present', label: 'present', num: true },
      { key: 'missing', label: 'missing', num: true },
      { key: 'missing_fraction', label: 'missing fraction', num: true, get: function (r) { return pct(r.missing_fraction); } },
      { key: 'invalid', label: 'invalid', num: true, optional: true },
      { key: 'in_archives', label: 'in archives', num: true, optional: true },
      { key: 'restore', label: 'restorable', num: true, optional: true },
      { key: 'meta', label: 'metadata', optional: true },
      { key: 'error', label: 'error', optional: true, cls: function () { return 'st-bad'; } }
    ], list(report.record_files), 'No record file was read.');
    fill('files', [
      { key: 'path', label: 'file' },
      { key: 'manifest', label: 'manifest' },
      { key: 'status', label: 'status', cls: function (r) { return statusClass(r.status); } },
      { key: 'size', label: 'size (bytes)', num: true },
      { key: 'detail', label: 'detail', optional: true }
    ], list(report.files), 'No release file was checked.');
    fill('archives', [
      { key: 'path', label: 'archive' },
      { key: 'entries', label: 'entries', num: true },
      { key: 'ok', label: 'ok', num: true },
      { key: 'with_findings', label: 'with findings', num: true },
      { key: 'error', label: 'error', optional: true, cls: function () { return 'st-bad'; } }
    ], list(report.archives), 'No archive was tested.');
    var findings = [];
    list(report.archives).forEach(function (a) {
      list(a.findings).forEach(function (f) {
        findings.push({ archive: a.path, entry: f.entry, name: f.name, kind: f.kind, offset: f.offset, detail: f.detail });
      });
    });
    fill('findings', [
      { key: 'archive', label: 'archive' },
      { key: 'entry', label: 'entry', num: true },
      { key: 'name', label: 'name' },
      { key: 'kind', label: 'finding', cls: function () { return 'st-bad'; } },
      { key: 'offset', label: 'offset', num: true, optional: true },
      { key: 'detail', label: 'detail', optional: true }
    ], findings, 'No archive finding.');
    fill('inputs', [
      { key: 'path', label: 'path' },
      { key: 'kind', label: 'kind' },
      { key: 'size', label: 'size (bytes)', num: true, optional: true },
      { key: 'files', label: 'files', num: true, optional: true },
      { key: 'sha256', label: 'sha256', optional: true }
    ], list(report.inputs), 'No input was found.');
  }

  // The missing images: all of them are searched, at most CAP rows are drawn.
  // A probe report's summary (audit --probe-report): one row per class, in the
  // report's order (report.json's probe object: path, urls, the classes, reachable_fraction).
  var PROBE_NOT_CLASSES = { path: 1, urls: 1, reachable_fraction: 1 };
  function renderProbe() {
    var p = report.probe;
    if (!p || typeof p !== 'object') return;
    $('probe-section').hidden = false;
    var urls = count(p.urls);
    $('probe-note').textContent = text(p.path) + ': ' + count(p.ok) + ' of ' + urls +
      ' URLs answer with an image (' + pct(p.reachable_fraction) + ')';
    var rows = Object.keys(p).filter(function (k) { return !(k in PROBE_NOT_CLASSES); }).map(function (k) {
      return { cls: k, urls: count(p[k]), share: urls ? pct(count(p[k]) / urls) : 'n/a' };
    });
    fill('probe', [
      { key: 'cls', label: 'class', cls: function (r) { return r.cls === 'ok' ? 'st-ok' : r.urls ? 'st-bad' : ''; } },
      { key: 'urls', label: 'URLs', num: true },
      { key: 'share', label: 'share', num: true }
    ], rows, 'No URL was probed.');
  }

  function renderMissing() {
    var missing = list(report.missing);
    var files = {};
    missing.forEach(function (m) { files[text(m.record_file)] = 1; });
    var cols = ['index', 'id', 'image', 'url', 'caption'];
    if (Object.keys(files).length > 1) cols.unshift('record_file');
    cols.forEach(function (c) {
      $('missing-head').appendChild(el('th', { scope: 'col', class: c === 'index' ? 'num' : '' }, c.replace('_', ' ')));
    });
    var input = $('filter'), rows = $('missing-rows'), shownBox = $('missing-shown'), note = $('missing-note');
    var hay = null;
    function haystack() {
      if (!hay) {
        hay = missing.map(function (m) {
          return [m.record_file, m.index, m.id, m.image, m.url, m.caption].map(text).join('\u0000').toLowerCase();
        });
      }
      return hay;
    }
    function row(m) {
      var tr = document.createElement('tr');
      cols.forEach(function (c) {
        var td = el('td', { 'data-col': c });
        if (c === 'url') td.appendChild(httpLink(text(m.url)));
        else td.textContent = text(m[c]);
        if (c === 'index') td.className = 'num';
        tr.appendChild(td);
      });
      return tr;
    }
    function apply() {
      var q = input.value.trim().toLowerCase();
      var h = q ? haystack() : null;
      var frag = document.createDocumentFragment();
      var shown = 0, matches = 0;
      for (var i = 0; i < missing.length; i++) {
        if (h && h[i].indexOf(q) < 0) continue;
        matches++;
        if (shown < CAP) { frag.appendChild(row(missing[i])); shown++; }
      }
      rows.textContent = '';
      rows.appendChild(frag);
      shownBox.textContent = shown + ' of ' + missing.length + ' shown';
      shownBox.setAttribute('data-shown', String(shown));
      shownBox.setAttribute('data-matches', String(matches));
      shownBox.setAttribute('data-total', String(missing.length));
      note.hidden = matches <= shown;
      note.textContent = matches <= shown ? '' :
        'first ' + shown + ' of ' + (q ? matches + ' matches' : String(missing.length)) + '; the CSV has them all';
    }
    var pending = 0;
    input.addEventListener('input', function () {
      clearTimeout(pending);
      pending = setTimeout(apply, missing.length > 2000 ? 120 : 0);
    });
    var m = /^#q=(.*)$/.exec(location.hash);
    if (m) {
      try { input.value = decodeURIComponent(m[1]); } catch (e) { input.value = m[1]; }
    }
    if (!missing.length) input.disabled = true;
    apply();
  }

  renderHeader();
  renderVerdict();
  renderCards();
  renderCharts();
  renderTables();
  renderProbe();
  renderMissing();
  document.body.setAttribute('data-rendered', 'ok');
})();
</script>
</body>
</html>
)lvhtml";

}  // namespace

std::string render_audit_html(std::string_view report_json) {
  std::string out;
  out.reserve(kHead.size() + report_json.size() + report_json.size() / 64 + kTail.size());
  out += kHead;
  for (char c : report_json) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
    }
  }
  out += kTail;
  return out;
}

}  // namespace lv
